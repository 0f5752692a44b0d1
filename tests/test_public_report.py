"""The public site: published versions only, in the six columns of the seed report."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from approvals.services import transition_perform
from tests.factories import (
    MeasureFactory,
    OrganizationFactory,
    ReportingRoundFactory,
    ResultReportFactory,
)
from tests.web_helpers import (
    SEED_MEASURES,
    imported_seed_report,
    many_measures,
    published_report,
)
from workflow.importing import report_import
from workflow.models import Action, Evidence, Measure, Publication
from workflow.selectors import REPORT_COLUMNS

pytestmark = pytest.mark.django_db


def report_url(organization, name="public:report"):
    return reverse(name, args=[organization.slug, 2564])


def test_public_report_is_at_a_stable_address():
    assert reverse("public:report", args=["khao-thong", 2564]) == "/public/khao-thong/2564/"


def test_public_report_shows_the_six_columns_in_thai(client, organization):
    # given
    published_report(organization)

    # when
    response = client.get(report_url(organization))

    # then
    page = response.content.decode()
    assert response.status_code == 200
    for column in REPORT_COLUMNS:
        assert f'<th scope="col">{column}</th>' in page
    title, method, result = SEED_MEASURES[0]
    assert f"๑. {title}" in page
    assert f"๑. {method}" in page
    assert f"๑. {result}" in page
    assert f"๗. {SEED_MEASURES[6][0]}" in page
    assert "ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔" in page
    assert "Nayok" in page  # who approved


def test_public_report_never_shows_a_draft_a_comment_or_an_unpublished_revision(
    client, organization
):
    # given a published report, a measure still drafted, and a returned result report
    people, round_, items = published_report(organization, measures=SEED_MEASURES[:2])
    MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=9,
        title="มาตรการร่างที่ยังไม่เผยแพร่", methods=["วิธีการร่างลับ"],
    )  # fmt: skip
    measure, _report = items[1]
    transition_perform(item=measure, action=Action.REVISE, actor=people.working)
    Measure.objects.filter(pk=measure.pk).update(title="ชื่อมาตรการฉบับแก้ไขยังไม่เผยแพร่")
    six_months = ReportingRoundFactory(
        organization=organization, fiscal_year=round_.fiscal_year, name="รอบ 6 เดือน"
    )
    returned = ResultReportFactory(
        measure=items[0][0], reporting_round=six_months, items=["ผลร่างลับ"]
    )
    transition_perform(item=returned, action=Action.SUBMIT, actor=people.head)
    transition_perform(
        item=returned, action=Action.RETURN, actor=people.working, comment="ความเห็นภายในห้ามเผยแพร่"
    )

    # when
    page = client.get(report_url(organization)).content.decode()
    csv_text = client.get(report_url(organization, "public:report-csv")).content.decode()

    # then
    for text in page, csv_text:
        assert "มาตรการร่างที่ยังไม่เผยแพร่" not in text
        assert "วิธีการร่างลับ" not in text
        assert "ชื่อมาตรการฉบับแก้ไขยังไม่เผยแพร่" not in text
        assert "ความเห็นภายในห้ามเผยแพร่" not in text
        assert "ผลร่างลับ" not in text
        assert SEED_MEASURES[1][0] in text  # the last published version stays


def test_public_csv_and_xlsx_have_the_seed_headers_and_the_same_rows(client, organization):
    # given
    published_report(organization, measures=SEED_MEASURES[:3])

    # when
    csv_response = client.get(report_url(organization, "public:report-csv"))
    xlsx_response = client.get(report_url(organization, "public:report-xlsx"))

    # then
    assert csv_response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == REPORT_COLUMNS
    assert len(rows) == 4
    assert rows[1][0] == f"๑. {SEED_MEASURES[0][0]}"
    assert rows[1][1].split("\n")[0] == f"๑. {SEED_MEASURES[0][1]}"
    assert rows[1][2] == "สำนักปลัด"
    assert rows[1][3] == "ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔"
    assert rows[1][4] == f"๑. {SEED_MEASURES[0][2]}"
    assert rows[1][5] == "๑. ควรดำเนินการอย่างต่อเนื่อง"
    sheet = load_workbook(io.BytesIO(xlsx_response.getvalue())).active
    xlsx_rows = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == rows


def test_public_evidence_is_served_only_when_published_and_never_as_html(client, organization):
    # given evidence on a published result report, and evidence added to a draft
    people, _round, items = published_report(organization, measures=SEED_MEASURES[:1])
    _measure, report = items[0]
    transition_perform(item=report, action=Action.REVISE, actor=people.head)
    draft_file = Evidence.objects.create(
        report=report, title="ร่าง", file=SimpleUploadedFile("x.pdf", b"%PDF-1.4 draft"),
        content_type="application/pdf", size=14,
    )  # fmt: skip
    sneaky = Evidence.objects.create(
        report=report, title="หน้าเว็บ", file=SimpleUploadedFile("x.html", b"<script>1</script>"),
        content_type="text/html", size=18,
    )  # fmt: skip
    walk = [(Action.SUBMIT, people.head), (Action.REVIEW, people.working)]
    walk += [(Action.APPROVE, people.chief), (Action.PUBLISH, people.publisher)]
    for action, actor in walk:
        transition_perform(item=report, action=action, actor=actor)
    unpublished = Evidence.objects.create(
        report=report, title="หลังเผยแพร่", file=SimpleUploadedFile("y.pdf", b"%PDF-1.4 late"),
        content_type="application/pdf", size=13,
    )  # fmt: skip

    # when
    published = client.get(reverse("public:evidence", args=[draft_file.pk]))
    html = client.get(reverse("public:evidence", args=[sneaky.pk]))
    late = client.get(reverse("public:evidence", args=[unpublished.pk]))

    # then
    assert published.status_code == 200
    assert published["Content-Type"] == "application/pdf"
    assert published["Content-Disposition"].startswith("attachment;")
    assert published["X-Content-Type-Options"] == "nosniff"
    assert html.status_code == 200
    assert html["Content-Type"] == "application/octet-stream"
    assert html["Content-Disposition"].startswith("attachment;")
    assert late.status_code == 404


@pytest.mark.parametrize("name", ["public:report", "public:report-csv", "public:report-xlsx"])
def test_public_report_query_count_does_not_grow_with_rows(
    client, organization, django_assert_max_num_queries, name
):
    # given 5 measures, then 50
    # the XLSX's first request also makes and stores it (lookups, lock, insert, savepoints,
    # and the published opening paragraph)
    most = 11 if name == "public:report-xlsx" else 6
    published_report(organization, measures=many_measures(5))
    with django_assert_max_num_queries(most):
        client.get(report_url(organization, name))
    other = OrganizationFactory(slug="other-org")
    published_report(other, measures=many_measures(50))

    # then the bigger report costs no more queries
    with django_assert_max_num_queries(most):
        response = client.get(report_url(other, name))
    assert response.status_code == 200


def test_unknown_organization_or_year_is_not_found(client, organization):
    assert client.get("/public/nowhere/2564/").status_code == 404
    assert client.get(f"/public/{organization.slug}/2599/").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_public_download_imports_back_into_the_same_measures(client, organization, fmt):
    # given the seed report imported and published
    imported_seed_report(organization)
    download = client.get(report_url(organization, f"public:report-{fmt}")).getvalue()

    # when another organization imports the download
    other = OrganizationFactory(slug="copy")
    result = report_import(
        source=io.BytesIO(download), organization=other, fiscal_year=2564,
        reporting_round=ReportingRoundFactory(organization=other, fiscal_year__year=2564),
        create_missing_divisions=True, source_name=f"report.{fmt}",
    )  # fmt: skip

    # then it holds the same measures, methods, divisions, periods and results
    def plan(org):
        return [
            (
                m.number, m.title, [x.text for x in m.methods.all()],
                sorted(d.name for d in m.divisions.all()), m.period_start, m.period_end,
                [[i.text for i in r.items.all()] for r in m.result_reports.all()],
                [[i.text for i in r.recommendations.all()] for r in m.result_reports.all()],
            )
            for m in Measure.objects.filter(organization=org).order_by("number")
        ]  # fmt: skip

    assert len(result.measures) == 7
    assert plan(other) == plan(organization)


def test_public_index_and_organization_pages_link_to_the_report(client, organization):
    published_report(organization, measures=SEED_MEASURES[:1])
    OrganizationFactory(slug="silent", name="อบต.ที่ยังไม่เผยแพร่")

    index = client.get(reverse("public:index")).content.decode()
    years = client.get(reverse("public:organization", args=[organization.slug])).content.decode()

    assert reverse("public:organization", args=[organization.slug]) in index
    assert "อบต.ที่ยังไม่เผยแพร่" not in index
    assert report_url(organization) in years
    assert "๒๕๖๔" in years


def test_pages_are_thai_whatever_the_browser_asks(client, organization):
    response = client.get(reverse("public:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "th"


def test_public_report_shows_the_audit_chain_head_at_publication(client, organization):
    # given
    published_report(organization, measures=SEED_MEASURES[:1])
    newest = Publication.objects.order_by("-published_at", "-id").first()

    # when
    page = client.get(report_url(organization)).content.decode()

    # then
    assert newest.chain_head
    assert f"<code>{newest.chain_head}</code>" in page
