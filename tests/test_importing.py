import csv
import datetime as dt
import io
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from tests.factories import DivisionFactory, FiscalYearFactory, OrganizationFactory, UserFactory
from workflow.importing import ReportImportError, report_import, report_parse
from workflow.models import (
    Division,
    Measure,
    MeasureMethod,
    Recommendation,
    ReportingRound,
    ResultItem,
    ResultReport,
    State,
)

SEED = Path(__file__).resolve().parent.parent / (
    "workflow/fixtures/khao-thong-2564-measures-report.txt"
)
REASON = "imported from khao-thong-2564-measures-report.txt"
FULL_YEAR = (dt.date(2020, 10, 1), dt.date(2021, 9, 1))

# The seed report, read by hand: for each measure its number, title, the start of each
# method, its divisions, its period, the start of each result and of each recommendation.
EXPECTED = [
    {
        "number": 1,
        "title": "ปรับปรุง เว็บไซต์ หน่วยงานเพื่อ เปิดเผยข้อมูล ข่าวสาร การ ประชาสัมพันธ์ ภารกิจต่าง ๆ ของหน่วยงาน",
        "methods": [
            "มีการดำเนินการ ตรวจสอบเว็บไซต์ของ หน่วยงาน",
            "มีการประชาสัมพันธ์ เว็บไซต์หน่วยงานและ",
            "จัดเก็บไฟล์ข้อมูลที่ สำคัญ",
            "แต่งตั้งเจ้าหน้าที่ รับผิดชอบดูแลเว็บไซต์",
        ],
        "divisions": {"สำนักปลัด"},
        "period": FULL_YEAR,
        "results": [
            "ดำเนินการจ้าง เหมาดูแลเว็บไซต์",
            "มีการปรับปรุง ข้อมูลที่เป็นปัจจุบัน",
            "เพิ่มช่องทางการ ให้บริการออนไลน์",
            "เว็บไซต์หน่วยงาน มีการเชื่อมโยงสื่อ",
        ],
        "recommendations": [
            "การนำเอกสาร หรือข้อมูลใด ๆ",
            "ข้อมูลใดที่ไม่ เกี่ยวข้องควรมี",
            "ควรจัดเรียง ข้อมูลหน้า",
        ],
    },
    {
        "number": 2,
        "title": "ส่งเสริมการมีส่วนร่วมทั้งจากภายในและภายนอกหน่วยงาน",
        "methods": [
            "มีการแต่งตั้งคณะกรรมการในการตรวจสอบงานต่าง ๆ",
            "มีการแจ้งเวียนให้ทุกหน่วยงาน",
            "มีการประชาสัมพันธ์ผลการดำเนินงาน",
            "จัดประชุมประจำเดือน",
            "จัดทำประกาศแสดงเจตจำนงสุจริต",
        ],
        "divisions": {"สำนักปลัด", "กองคลัง"},
        "period": FULL_YEAR,
        "results": [
            "การดำเนินการโครงการต่าง ๆ",
            "มีการแจ้งเวียนหรือติดประกาศ",
            "ผลการดำเนินงานต่าง ๆ เผยแพร่",
        ],
        "recommendations": [
            "ควรมีการส่งเสริมให้บุคลากรภายในหน่วยงาน",
            "รับฟังข้อคิดเห็นจากทุกภาคส่วน",
        ],
    },
    {
        "number": 3,
        "title": "จัดเวที ประชาคม ประชุมรับฟัง ความคิดเห็น ของประชาชน ผู้มารับบริการ "
        "เพื่อเปิดโอกาส ให้มีส่วนร่วม ในการ ปรับปรุงการ ทำงานหรือ การให้บริการ ของหน่วยงาน",
        "methods": [
            "มีการจัดประชุม ประชาคม",
            "รวบรวมข้อมูลเพื่อ นำมาวางแผน",
            "รวบรวมปัญหาเพื่อ หาแนวทางแก้ไข",
        ],
        "divisions": {"สำนักปลัด"},  # written `สำนักปลัด อบต.`
        "period": FULL_YEAR,
        "results": ["จัดเวทีประชุม ปรึกษาหารือ", "รวบรวมปัญหาใน แต่ละเดือน"],
        "recommendations": ["ในการประชุมเมื่อนำข้อปัญหา"],
    },
    {
        # Methods ๒–๔, the fourth division and results ๓–๗ are on the next page;
        # result ๗ goes on over the page after that.
        "number": 4,
        "title": "ปรับปรุง วิธีการและ ขั้นตอนการ ดำเนินการ ให้บริการให้มี ประสิทธิภาพ มากยิ่งขึ้น",
        "methods": [
            "จัดให้มีการประชุม ภายในหน่วยงาน",
            "มีการกำหนดบริการ ขั้นตอนการให้บริการ",
            "มีการเผยแพร่ ประชาสัมพันธ์การ",
            "ช่องทางการ ให้บริการที่ หลากหลาย",
        ],
        "divisions": {"สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม"},
        "period": FULL_YEAR,
        "results": [
            "มีการประกาศ ขั้นตอนการ",
            "ดำเนินการ ประชาสัมพันธ์ ขั้นตอนการ",
            "ดำเนินการจัดทำ สื่อประชาสัมพันธ์",
            "จัดหาเก้าอี้นั่งรอ",
            "เนื่องจาก สถานการณ์การ",
            "จัดตั้งงบประมาณ ประจำปี พ.ศ. ๒๕๖๔",
            "จัดหน่วยบริการ เคลื่อนที่",
        ],
        "recommendations": ["ควรมีการ ปรับปรุงข้อมูล", "แผนผังขั้นตอน การให้บริการ"],
    },
    {
        "number": 5,
        "title": "ประเมิน ความเสี่ยงการ ทุจริต ประจำปี ๒๕๖๔",
        "methods": [
            "แต่งตั้งคณะทำงาน เพื่อจัดทำแผนการ",
            "คณะทำงานมีการ ประชุมเพื่อวางแผน",
            "มีมาตรการในการ บริหารจัดการความ",
            "ติดตามผลการ ประเมินความเสี่ยง",
            "รายงานผลการ ดำเนินการป้องกันการ",
        ],
        "divisions": {"สำนักปลัด"},
        "period": FULL_YEAR,
        "results": [
            "มีการแต่งตั้ง คณะทำงานเพื่อ",
            "คณะทำงานได้มี การประชุมเพื่อ",
            "มีการจัดทำการ มาตรการในการ",
            "รายงานผลให้ ผู้บังคับบัญชาทราบ",
        ],
        "recommendations": ["ควรมีการแจ้ง เวียนเผยแพร่"],
    },
    {
        "number": 6,
        "title": "จัดทำ มาตรการ ส่งเสริม คุณธรรมและ ความโปร่งใส ภายใน หน่วยงาน",
        "methods": [
            "แต่งตั้งคณะทำงาน",
            "จัดประชุม คณะทำงานเพื่อ",
            "มีการจัดทำแนวทาง วิธีการ",
            "กำหนดผู้รับผิดชอบ",
            "กำหนดขั้นตอนหรือ วิธีการปฏิบัติ",
            "กำหนดแนวทางการ กำกับติดตาม",
        ],
        "divisions": {"สำนักปลัด"},
        "period": FULL_YEAR,
        "results": [
            "มีการแต่งตั้ง คณะทำงานเพื่อ สนับสนุน",
            "คณะทำงานมี หน้าที่วิเคราะห์ผล",
            "รายงานสรุปการ ดำเนินงาน",
        ],
        "recommendations": ["ต้องมีการสร้าง ความเข้าใจ"],
    },
    {
        "number": 7,
        "title": "การจัด กิจกรรมเพื่อ เสริมสร้าง วัฒนธรรม องค์กรต่อต้าน การทุจริต "
        "คอร์ปชั่นแสดง เจตจำนงการ ต่อต้านการ ทุจริตทุก รูปแบบ",
        "methods": [
            "มีการจัดกิจกรรม ผู้บริหารมอบนโยบาย",
            "จัดกิจกรรมจิตอาสา",
            "เปิดโอกาสให้ผู้ที่มี ส่วนได้เสีย",
        ],
        "divisions": {"สำนักปลัด"},
        "period": (dt.date(2021, 1, 1), dt.date(2021, 4, 1)),  # ม.ค. ๒๕๖๔ - เม.ย. ๒๕๖๔
        "results": ["มีการจัดกิจกรรม ต่อต้านการทุจริต"],
        "recommendations": ["การจัดกิจกรรม ส่งเสริมการ"],
    },
]


def _assert_starts(texts: list[str], starts: list[str]) -> None:
    assert len(texts) == len(starts), texts
    for text, start in zip(texts, starts, strict=True):
        assert text.startswith(start), (text, start)


def _assert_seed_imported(organization, reporting_round) -> None:
    measures = Measure.objects.filter(organization=organization).order_by("number")
    assert [m.number for m in measures] == [1, 2, 3, 4, 5, 6, 7]
    for measure, expected in zip(measures, EXPECTED, strict=True):
        assert measure.title == expected["title"]
        assert measure.state == State.DRAFTED
        _assert_starts([m.text for m in measure.methods.all()], expected["methods"])
        assert {d.name for d in measure.divisions.all()} == expected["divisions"]
        assert (measure.period_start, measure.period_end) == expected["period"]
        report = ResultReport.objects.get(measure=measure)
        assert report.reporting_round == reporting_round
        assert report.state == State.DRAFTED
        _assert_starts([i.text for i in report.items.all()], expected["results"])
        _assert_starts([r.text for r in report.recommendations.all()], expected["recommendations"])


def _db_counts() -> dict[str, int]:
    models = (Measure, MeasureMethod, ResultReport, ResultItem, Recommendation, Division)
    counts = {model.__name__: model.objects.count() for model in models}
    counts.update({f"{model.__name__} history": model.history.count() for model in models})
    return counts


def _seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def _write(tmp_path, lines: list[str], name="report.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _edited(tmp_path, line: int, old: str, new: str) -> Path:
    lines = _seed_lines()
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return _write(tmp_path, lines)


def _table_rows() -> list[list[str]]:
    return [line.split("\t") if line else [] for line in _seed_lines()]


def _csv_bytes(encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(_table_rows())
    return buffer.getvalue().encode(encoding)


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the seed, as a file -----------------------------------------------------------------


def test_report_import_seed_yields_every_measure_as_in_the_file(khao_thong):
    # given
    twelve_months = ReportingRound.objects.get(organization=khao_thong, name="รอบ 12 เดือน")

    # when
    result = report_import(source=SEED, organization=khao_thong, fiscal_year=2564)

    # then
    _assert_seed_imported(khao_thong, twelve_months)  # no round given: the one due last
    assert len(result.measures) == 7 and len(result.result_reports) == 7
    assert (result.methods_count, result.results_count, result.recommendations_count) == (
        30,
        24,
        11,
    )
    assert result.created_divisions == []


def test_report_import_seed_keeps_the_tricky_texts_whole(khao_thong):
    # when
    report_import(source=SEED, organization=khao_thong, fiscal_year=2564)

    # then: result ๗ of measure 4 runs over two page breaks and keeps its date range
    measure_4 = Measure.objects.get(number=4)
    last = measure_4.result_reports.get().items.get(position=7).text
    assert last == (
        "จัดหน่วยบริการ เคลื่อนที่ ออกไป ให้บริการภายใน หมู่บ้าน โดยจัด ให้บริการเมื่อวันที่ "
        "๘ มีนาคม ๒๕๖๔ - ๑๘ มีนาคม ๒๕๖๔ เรื่องที่ออกไป ให้บริการ เช่น การ จัดเก็บภาษาบำรุง "
        "ห้องที่ค่าจัดเก็บขยะ การให้บริการด้าน ความรู้เรื่องการ ส่งเสริมสุขภาพการ "
        "ป้องกันควบคุมโรค และการจัดการขยะ อย่างถูกวิธีเพื่อเป็น การรักษา สิ่งแวดล้อม เป็นต้น"
    )
    assert measure_4.methods.get(position=4).text == "ช่องทางการ ให้บริการที่ หลากหลาย เช่น มา รับ"
    # numbers inside a text never split it
    measure_5 = Measure.objects.get(number=5)
    assert (
        measure_5.result_reports.get()
        .items.get(position=1)
        .text.endswith("ตามคำสั่ง อบต.เขาทอง ที่ ๔๔๖/๒๕๖๓ ลง วันที่ ๒๙ ธันวาคม ๒๕๖๓")
    )
    assert "โควิด-๑๙" in measure_4.result_reports.get().items.get(position=5).text
    assert Measure.objects.get(number=6).methods.get(position=1).text == "แต่งตั้งคณะทำงาน"
    # a dash inside a numbered item is text, not a new item
    assert "มีกระดาน -ถาม ตอบ/ช่องทาง ร้องเรียน-ร้องทุกข์" in (
        Measure.objects.get(number=1).result_reports.get().items.get(position=3).text
    )
    # the leading number or dash is never kept: the position is the number
    texts = [
        *MeasureMethod.objects.values_list("text", flat=True),
        *ResultItem.objects.values_list("text", flat=True),
        *Recommendation.objects.values_list("text", flat=True),
    ]
    assert not [t for t in texts if t[0] in "-0123456789๐๑๒๓๔๕๖๗๘๙" or "<" in t]


def test_report_import_records_who_and_why_in_the_history(khao_thong):
    # given
    officer = UserFactory(username="officer")

    # when
    report_import(source=SEED, organization=khao_thong, fiscal_year=2564, actor=officer)

    # then: every row written has a history row naming the file and the importer
    for model in (Measure, MeasureMethod, ResultReport, ResultItem, Recommendation):
        rows = model.objects.all()
        history = model.history.all()
        assert rows.count() > 0
        assert {h.id for h in history} == {r.pk for r in rows}
        assert {(h.history_user, h.history_change_reason) for h in history} == {(officer, REASON)}
    measure_4 = Measure.objects.get(number=4).history.first()  # divisions: in the snapshot
    assert len(measure_4.history_children["divisions"]) == 4


def test_report_import_into_the_given_round(khao_thong):
    # given
    six_months = ReportingRound.objects.get(organization=khao_thong, name="รอบ 6 เดือน")

    # when
    report_import(
        source=SEED, organization=khao_thong, fiscal_year=2564, reporting_round=six_months
    )

    # then
    assert set(ResultReport.objects.values_list("reporting_round", flat=True)) == {six_months.pk}


def test_report_import_from_a_file_object_uses_its_name(khao_thong):
    # when
    with SEED.open("rb") as handle:
        report_import(
            source=handle, organization=khao_thong, fiscal_year=2564, source_name="upload.txt"
        )

    # then
    assert Measure.objects.count() == 7
    assert {h.history_change_reason for h in Measure.history.all()} == {"imported from upload.txt"}


# --- the same table as CSV and XLSX ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.csv", lambda: _csv_bytes("utf-8")),
        ("report-bom.csv", lambda: _csv_bytes("utf-8-sig")),
        ("report.xlsx", lambda: _xlsx_bytes(_table_rows())),
    ],
)
def test_report_import_csv_and_xlsx_import_the_same(khao_thong, tmp_path, name, content):
    # given
    path = tmp_path / name
    path.write_bytes(content())
    twelve_months = ReportingRound.objects.get(organization=khao_thong, name="รอบ 12 เดือน")

    # when
    report_import(source=path, organization=khao_thong, fiscal_year=2564)

    # then
    assert report_parse(path).measures == report_parse(SEED).measures
    _assert_seed_imported(khao_thong, twelve_months)


def test_report_parse_detects_the_format_from_the_content():
    # given: files without a telling name
    csv_file = io.BytesIO(_csv_bytes("utf-8-sig"))
    xlsx_file = io.BytesIO(_xlsx_bytes(_table_rows()))
    text_file = io.StringIO(SEED.read_text(encoding="utf-8"))

    # when
    parsed = [report_parse(f) for f in (csv_file, xlsx_file, text_file)]

    # then
    assert [p.format for p in parsed] == ["csv", "xlsx", "txt"]
    assert parsed[0].measures == parsed[1].measures == parsed[2].measures


# --- what a bad file does: a clear message naming the line, nothing written -----------------


def _assert_refused(path, *, says: list[str], organization, line: int, **kwargs) -> None:
    before = _db_counts()
    with pytest.raises(ReportImportError) as caught:
        report_import(source=path, organization=organization, fiscal_year=2564, **kwargs)
    assert caught.value.line == line
    for text in says:
        assert text in str(caught.value), str(caught.value)
    assert _db_counts() == before


def test_report_import_truncated_mid_row_imports_nothing(khao_thong, tmp_path):
    # given: the file ends in the middle of measure 7's row, in its divisions
    lines = _seed_lines()
    cut = lines[30].index("สำนักปลัด") + 4
    path = _write(tmp_path, [*lines[:30], lines[30][:cut]])

    # then
    _assert_refused(
        path,
        organization=khao_thong,
        line=31,
        says=["บรรทัดที่ 31:", "line 31: this row has 3 columns, the table has 6", "cut short"],
    )


def test_report_import_truncated_inside_a_paragraph_imports_nothing(khao_thong, tmp_path):
    # given: cut inside the last cell of measure 6, a <p> never closed
    lines = _seed_lines()
    path = _write(tmp_path, [*lines[:27], lines[27][: lines[27].rindex("</p>") - 20]])

    # then
    _assert_refused(
        path,
        organization=khao_thong,
        line=28,
        says=["line 28: the recommendations cell is incomplete"],
    )


def test_report_import_without_a_table_imports_nothing(khao_thong, tmp_path):
    # given: only the title and the introduction survived
    path = _write(tmp_path, _seed_lines()[:9])

    # then
    _assert_refused(path, organization=khao_thong, line=8, says=["no measures table found"])


BAD_LINES = {
    # measures 1–6 are already written when measure 7 fails: they are rolled back
    "unknown-division": (
        (31, "\tสำนักปลัด\t", "\tกองสาธารณสุข\t"),
        [
            "บรรทัดที่ 31: ไม่รู้จักหน่วยงาน 'กองสาธารณสุข'",
            "line 31: unknown division 'กองสาธารณสุข'",
        ],
    ),
    "unreadable-period": (
        (25, "ต.ค. ๒๕๖๓ - ก.ย. ๒๕๖๔", "ตลอดปี"),
        ["บรรทัดที่ 25: อ่านระยะเวลาดำเนินการไม่ได้", "line 25: unreadable period 'ตลอดปี'"],
    ),
    "wrong-column-count": (  # measure 2's divisions and period merged into one cell
        (14, "</p>\t<p>ต.ค.", "</p> <p>ต.ค."),
        ["บรรทัดที่ 14: แถวนี้มี 5 ช่อง", "line 14: this row has 5 columns, the table has 6"],
    ),
    "duplicate-number": (
        (25, "๕.ประเมิน", "๓.ประเมิน"),
        ["line 25: measure number 3 is used twice (also on line 17)"],
    ),
    "period-outside-the-year": (
        (31, "ม.ค. ๒๕๖๔ - เม.ย. ๒๕๖๔", "ม.ค. ๒๕๖๔ - ธ.ค. ๒๕๖๔"),
        ["line 31: the period", "outside fiscal year 2564"],
    ),
}


@pytest.mark.parametrize(("edit", "says"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_report_import_bad_line_imports_nothing(khao_thong, tmp_path, edit, says):
    # given
    line, old, new = edit
    path = _edited(tmp_path, line, old, new)

    # then
    _assert_refused(path, organization=khao_thong, line=line, says=says)


def test_report_import_creates_missing_divisions_when_asked(khao_thong, tmp_path):
    # given
    path = _edited(tmp_path, 17, "สำนักปลัด อบต.\t", "-กองสาธารณสุข อบต. -สำนักปลัด\t")
    officer = UserFactory(username="officer")

    # when
    result = report_import(
        source=path,
        organization=khao_thong,
        fiscal_year=2564,
        create_missing_divisions=True,
        actor=officer,
    )

    # then
    created = Division.objects.get(organization=khao_thong, name="กองสาธารณสุข")
    assert result.created_divisions == [created]
    assert {d.name for d in Measure.objects.get(number=3).divisions.all()} == {
        "กองสาธารณสุข",
        "สำนักปลัด",
    }
    history = created.history.get()
    assert (history.history_user, history.history_change_reason) == (
        officer,
        "imported from report.txt",
    )
    assert Division.objects.filter(organization=khao_thong).count() == 5


def test_report_import_wrong_column_count_in_csv_names_the_row(khao_thong, tmp_path):
    # given
    rows = _table_rows()
    rows[16] = rows[16][:4]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "report.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")

    # then
    _assert_refused(
        path,
        organization=khao_thong,
        line=17,
        says=["แถวที่ 17: แถวนี้มี 4 ช่อง", "row 17: this row has 4 columns"],
    )


def test_report_import_first_row_continuing_nothing_imports_nothing(khao_thong, tmp_path):
    # given
    lines = _seed_lines()
    path = _write(tmp_path, [*lines[:10], "\t" + lines[10].split("\t", 1)[1]])

    # then
    _assert_refused(
        path, organization=khao_thong, line=11, says=["line 11: the first row of the table"]
    )


def test_report_import_twice_imports_nothing_the_second_time(khao_thong):
    # given
    report_import(source=SEED, organization=khao_thong, fiscal_year=2564)

    # then
    _assert_refused(
        SEED,
        organization=khao_thong,
        line=11,
        says=["line 11: measure 1 already exists in fiscal year 2564"],
    )


def test_report_import_without_a_round_for_the_results_imports_nothing(db):
    # given
    organization = OrganizationFactory(slug="no-rounds")
    FiscalYearFactory(year=2564)

    # then
    with pytest.raises(ReportImportError, match="has no reporting round") as caught:
        report_import(
            source=SEED, organization=organization, fiscal_year=2564, create_missing_divisions=True
        )
    assert caught.value.line is None
    assert Measure.objects.count() == Division.objects.count() == 0


def test_report_import_measures_only_needs_no_round(db, tmp_path):
    # given: results and recommendations left empty
    organization = OrganizationFactory(slug="plan-only")
    FiscalYearFactory(year=2564)
    rows = [
        "มาตรการ/แนวทาง\tวิธีการดำเนินการ\tผู้รับผิดชอบ\tระยะเวลาดำเนินการ\tผลการดำเนินการ\tข้อเสนอแนะ",
        "1. เผยแพร่ข้อมูล\t1. ทำ 2. ตรวจ\tสำนักปลัด, กองคลัง\tต.ค. 2563 - ก.ย. 2564\t\t",
    ]
    path = _write(tmp_path, rows)

    # when
    result = report_import(
        source=path, organization=organization, fiscal_year=2564, create_missing_divisions=True
    )

    # then
    assert result.reporting_round is None and ResultReport.objects.count() == 0
    measure = Measure.objects.get()
    assert [m.text for m in measure.methods.all()] == ["ทำ", "ตรวจ"]
    assert {d.name for d in measure.divisions.all()} == {"สำนักปลัด", "กองคลัง"}


def test_report_parse_repairs_what_pdf_extraction_does(tmp_path):
    # given: ำ as nikhahit + sara aa, a year mixing digits, a list with leading dashes
    rows = [
        "มาตรการ/ แนวทาง\tวิธีการดำเนินการ\tผู้รับผิดชอบ\tระยะเวลา ดำเนินการ\tผล\tข้อเสนอแนะ",
        "๑.จัดท\u0e4d\u0e32แผน ๒๕6๔\t<p>-ประชุม</p> <p>-สรุป&amp;รายงาน</p>\tสำนักปลัด\t"
        "ต.ค.๒๕๖๓ - ก.ย.๒๕๖๔\t\t-ควรมี -รับฟัง",
    ]

    # when
    parsed = report_parse(_write(tmp_path, rows)).measures[0]

    # then
    assert parsed.title == "จัดทำแผน ๒๕๖๔"
    assert parsed.methods == ["ประชุม", "สรุป&รายงาน"]
    assert parsed.recommendations == ["ควรมี", "รับฟัง"]
    assert parsed.results == []


# --- the command --------------------------------------------------------------------------


def test_import_report_command_prints_a_summary(khao_thong):
    # given
    UserFactory(username="officer")
    out = StringIO()

    # when
    call_command(
        "import_report",
        str(SEED),
        "--org",
        "khao-thong",
        "--year",
        "2564",
        "--round",
        "รอบ 6 เดือน",
        "--user",
        "officer",
        stdout=out,
    )

    # then
    assert out.getvalue().strip() == (
        "Imported 7 measures, 30 methods, 7 result reports with 24 results "
        "and 11 recommendations (round: รอบ 6 เดือน); 64 texts with line-wrap spaces "
        "(proposals to review)."
    )
    assert {r.reporting_round.name for r in ResultReport.objects.all()} == {"รอบ 6 เดือน"}
    assert {h.history_user.username for h in Measure.history.all()} == {"officer"}


def test_import_report_command_fails_with_the_line(khao_thong, tmp_path):
    # given
    path = _edited(tmp_path, 31, "\tสำนักปลัด\t", "\tกองสาธารณสุข\t")

    # when
    with pytest.raises(CommandError, match="line 31: unknown division 'กองสาธารณสุข'"):
        call_command("import_report", str(path), "--org", "อบต.เขาทอง", "--year", "2564")

    # then
    assert Measure.objects.count() == 0


def test_import_report_command_creates_divisions_when_asked(khao_thong, tmp_path):
    # given
    path = _edited(tmp_path, 31, "\tสำนักปลัด\t", "\tกองสาธารณสุข\t")
    out = StringIO()

    # when
    call_command(
        "import_report", str(path), "--org", "khao-thong", "--year", "2564",
        "--create-divisions", stdout=out,
    )  # fmt: skip

    # then
    assert "new divisions: กองสาธารณสุข" in out.getvalue()
    assert Measure.objects.count() == 7


def test_report_parse_joins_a_period_cut_by_a_page_break_and_reads_a_repeated_one_once(tmp_path):
    # given
    header = "มาตรการ/แนวทาง\tวิธีการดำเนินการ\tผู้รับผิดชอบ\tระยะเวลาดำเนินการ\tผล\tข้อเสนอแนะ"
    rows = [
        header,
        "๑.ก\t๑.ทำ\tสำนักปลัด\tต.ค. ๒๕๖๓ -\t\t",
        header,
        "\t\t\tก.ย. ๒๕๖๔\t\t",
        "๒.ข\t๑.ทำ\tสำนักปลัด\tม.ค. ๒๕๖๔ - เม.ย. ๒๕๖๔\t\t",
        "\t๒.ตรวจ\t\tม.ค. ๒๕๖๔ - เม.ย. ๒๕๖๔\t\t",
    ]

    # when
    first, second = report_parse(_write(tmp_path, rows)).measures

    # then
    assert (first.period_start, first.period_end) == FULL_YEAR
    assert (second.period_start, second.period_end) == (dt.date(2021, 1, 1), dt.date(2021, 4, 1))
    assert second.methods == ["ทำ", "ตรวจ"]


def test_report_import_damaged_xlsx_imports_nothing(khao_thong, tmp_path):
    # given: the first half of a workbook
    content = _xlsx_bytes(_table_rows())
    path = tmp_path / "report.xlsx"
    path.write_bytes(content[: len(content) // 2])

    # then
    with pytest.raises(ReportImportError, match="cannot read the XLSX file"):
        report_import(source=path, organization=khao_thong, fiscal_year=2564)
    assert Measure.objects.count() == 0


def test_report_import_prefers_a_division_spelled_exactly_over_one_without_suffix(db, tmp_path):
    # given: a เทศบาล whose สำนักปลัด is called สำนักปลัดเทศบาล
    organization = OrganizationFactory(slug="tambon-town", short_name="ทต.ทดสอบ")
    FiscalYearFactory(year=2564)
    palad = DivisionFactory(organization=organization, name="สำนักปลัดเทศบาล")
    header = "มาตรการ/แนวทาง\tวิธีการดำเนินการ\tผู้รับผิดชอบ\tระยะเวลาดำเนินการ\tผล\tข้อเสนอแนะ"
    rows = [
        header,
        "1. ก\t1. ทำ\tสำนักปลัด เทศบาล\tต.ค. 2563 - ก.ย. 2564\t\t",
        "2. ข\t1. ทำ\t-สำนักปลัด ทต.ทดสอบ\tต.ค. 2563 - ก.ย. 2564\t\t",
    ]

    # when
    report_import(source=_write(tmp_path, rows), organization=organization, fiscal_year=2564)

    # then
    assert {m.divisions.get() for m in Measure.objects.all()} == {palad}


def test_import_report_command_refuses_unknown_arguments(khao_thong):
    with pytest.raises(CommandError, match="no organization"):
        call_command("import_report", str(SEED), "--org", "nowhere", "--year", "2564")
    with pytest.raises(CommandError, match="fiscal year 2599 does not exist"):
        call_command("import_report", str(SEED), "--org", "khao-thong", "--year", "2599")
    with pytest.raises(CommandError, match="no reporting round 'รอบ 3 เดือน'"):
        call_command(
            "import_report", str(SEED), "--org", "khao-thong", "--year", "2564",
            "--round", "รอบ 3 เดือน",
        )  # fmt: skip
    assert Measure.objects.count() == 0


def test_import_report_command_takes_a_round_by_id(khao_thong):
    # given
    six_months = ReportingRound.objects.get(organization=khao_thong, name="รอบ 6 เดือน")

    # when
    call_command(
        "import_report", str(SEED), "--org", "khao-thong", "--year", "2564",
        "--round", str(six_months.pk), stdout=StringIO(),
    )  # fmt: skip

    # then
    assert set(ResultReport.objects.values_list("reporting_round", flat=True)) == {six_months.pk}
