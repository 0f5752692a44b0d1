"""The published report as CSV and XLSX: the six columns of the seed, one row per measure."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from workflow.assessment_exports import analysis_sheet_add
from workflow.selectors import PublicReport

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMN_WIDTHS = (32, 48, 18, 18, 48, 40)


def sheet_wrap(sheet, widths) -> None:
    """Wrap every cell at its top, and give the columns their widths."""
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = wrap
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width


def report_csv(report: PublicReport) -> bytes:
    """UTF-8 with a byte order mark, so that Excel opens the Thai text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(report.columns)
    writer.writerows(report.table())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(report: PublicReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(report.fiscal_year.year)
    sheet.append(list(report.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.table():
        sheet.append(row)
    sheet_wrap(sheet, COLUMN_WIDTHS)
    sheet.freeze_panes = "A2"
    analysis_sheet_add(workbook, report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
