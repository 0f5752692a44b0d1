"""The published analysis as a second sheet of the report's XLSX (the first stays the
six-column table the importer reads back)."""

from __future__ import annotations

from openpyxl.styles import Font

from workflow import thai
from workflow.assessment_selectors import public_analysis

HEADERS = ("ตัวชี้วัดของการประเมิน ITA", "คะแนน", "คะแนนปีก่อน", "ประเด็นที่ต้องแก้ไข/ปรับปรุง", "มาตรการที่ตอบ")
WIDTHS = (40, 10, 12, 60, 24)


def analysis_sheet_add(workbook, report) -> None:
    published = public_analysis(organization=report.organization, fiscal_year=report.fiscal_year)
    if published is None:
        return
    content = published.content
    sheet = workbook.create_sheet(f"ITA {content['year_assessed']}")
    sheet.append(
        [
            f"ผลการประเมิน ITA ปีงบประมาณ พ.ศ. {thai.to_thai_digits(content['year_assessed'])}:"
            f" {content['score']} คะแนน ระดับ {content['level']}"
        ]
    )
    sheet.append(list(HEADERS))
    for cell in (*sheet[1], *sheet[2]):
        cell.font = Font(bold=True)
    for tool in content["tools"]:
        sheet.append([f"{tool['name_th']} ({tool['code']})"])
        for row in tool["rows"]:
            sheet.append(
                [
                    f"{row['number']}. {row['name_th']}",
                    row["score"] or "",
                    row["previous_score"] or "",
                    row["issues"],
                    ", ".join(str(m["number"]) for m in row["measures"]),
                ]
            )
    if content.get("summary"):
        sheet.append([])
        sheet.append([content["summary"]])
    from workflow.exports import sheet_wrap

    sheet_wrap(sheet, WIDTHS)
