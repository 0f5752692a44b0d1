"""The forms of measures and result reports: ordered lists, Thai months, evidence uploads."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.services import transition_perform
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    ReportingRoundFactory,
    ResultReportFactory,
)
from tests.test_staff_pages import as_user
from tests.web_helpers import people_of
from workflow.models import Action, Evidence, Measure, ResultReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organization):
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    round_ = ReportingRoundFactory(organization=organization, name="รอบ 12 เดือน")
    return people, division, round_


def test_measure_form_drafts_a_measure_with_ordered_methods_and_thai_months(world):
    people, division, round_ = world

    response = as_user(people.working).post(
        reverse("workflow:measure-create"),
        {
            "fiscal_year": round_.fiscal_year.pk, "number": 1,
            "title": "จัดทำมาตรการส่งเสริมคุณธรรม", "divisions": [division.pk],
            "methods": ["แต่งตั้งคณะทำงาน", "", "จัดประชุมคณะทำงาน"],
            "start_month": 10, "start_year": 2563, "end_month": 9, "end_year": 2564,
        },
    )  # fmt: skip

    measure = Measure.objects.get()
    assert response["Location"] == reverse("workflow:measure-detail", args=[measure.pk])
    assert [m.text for m in measure.methods.all()] == ["แต่งตั้งคณะทำงาน", "จัดประชุมคณะทำงาน"]
    assert (measure.period_start, measure.period_end) == (dt.date(2020, 10, 1), dt.date(2021, 9, 1))
    assert measure.period_display == "ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔"


def test_measure_form_shows_the_services_errors_on_the_form(world):
    people, division, round_ = world

    response = as_user(people.working).post(
        reverse("workflow:measure-create"),
        {
            "fiscal_year": round_.fiscal_year.pk, "number": 1, "title": "มาตรการ",
            "divisions": [division.pk], "methods": [""],
            "start_month": 10, "start_year": 2563, "end_month": 9, "end_year": 2564,
        },
    )  # fmt: skip

    assert response.status_code == 400  # sent back with its errors
    assert not Measure.objects.exists()
    assert "errorlist" in response.content.decode()


def test_measure_edit_reorders_methods_and_refuses_a_stale_version(world, organization):
    people, division, round_ = world
    measure = MeasureFactory(organization=organization, fiscal_year=round_.fiscal_year,
                             divisions=[division], methods=["หนึ่ง", "สอง"])  # fmt: skip
    url = reverse("workflow:measure-edit", args=[measure.pk])
    data = {
        "number": measure.number, "title": measure.title, "divisions": [division.pk],
        "methods": ["สอง", "หนึ่ง"], "version": measure.version,
        "start_month": 10, "start_year": 2563, "end_month": 9, "end_year": 2564,
    }  # fmt: skip
    client = as_user(people.head)

    first = client.post(url, data)
    stale = client.post(url, {**data, "methods": ["สาม"]}, HTTP_REFERER=url)

    assert first.status_code == 302
    assert [m.text for m in Measure.objects.get(pk=measure.pk).methods.all()] == ["สอง", "หนึ่ง"]
    # the stale save shows the form again, with the text typed and the conflict explained
    assert stale.status_code == 400  # sent back with what was typed
    page = stale.content.decode()
    assert "รายการนี้มีการเปลี่ยนแปลงหลังจากที่ท่านเปิดไว้ กรุณาโหลดใหม่" in page
    assert ">สาม</textarea>" in page
    assert f'name="overwrite" value="{measure.version + 1}"' in page


def test_result_report_form_evidence_and_recommendations(world, organization):
    # given a measure of the head's division
    people, division, round_ = world
    measure = MeasureFactory(organization=organization, fiscal_year=round_.fiscal_year,
                             divisions=[division])  # fmt: skip
    head = as_user(people.head)

    # when the head drafts a result report and attaches files
    head.post(
        reverse("workflow:result-report-create", args=[measure.pk]),
        {"reporting_round": round_.pk, "items": ["จัดประชุมแล้ว", "ประกาศแล้ว"]},
    )
    report = ResultReport.objects.get()
    head.post(
        reverse("workflow:evidence-add", args=[report.pk]),
        {"title": "คำสั่งแต่งตั้ง", "file": SimpleUploadedFile("order.pdf", b"%PDF-1.4 order")},
    )
    page = head.post(
        reverse("workflow:evidence-add", args=[report.pk]),
        {"title": "หน้าเว็บ", "file": SimpleUploadedFile("x.pdf", b"<html><script>")},
    )

    # then the items are ordered and only the real PDF is kept
    assert [i.text for i in report.items.all()] == ["จัดประชุมแล้ว", "ประกาศแล้ว"]
    assert list(Evidence.objects.values_list("title", "content_type")) == [
        ("คำสั่งแต่งตั้ง", "application/pdf")
    ]
    assert page.status_code == 400  # the page again, the refusal at the file box
    assert '<ul class="errorlist"' in page.content.decode()

    # when it is submitted, the working group writes recommendations
    transition_perform(item=report, action=Action.SUBMIT, actor=people.head)
    report = ResultReport.objects.get(pk=report.pk)
    as_user(people.working).post(
        reverse("workflow:result-report-edit", args=[report.pk]),
        {"recommendations": ["ควรเผยแพร่ทางเว็บไซต์"], "version": report.version},
    )

    # then
    assert [r.text for r in report.recommendations.all()] == ["ควรเผยแพร่ทางเว็บไซต์"]
    assert [i.text for i in report.items.all()] == ["จัดประชุมแล้ว", "ประกาศแล้ว"]


def test_evidence_over_the_size_limit_is_refused(world, organization, settings):
    people, division, round_ = world
    settings.EVIDENCE_MAX_BYTES = 1024
    measure = MeasureFactory(organization=organization, fiscal_year=round_.fiscal_year,
                             divisions=[division])  # fmt: skip
    report = ResultReportFactory(measure=measure, reporting_round=round_)

    response = as_user(people.head).post(
        reverse("workflow:evidence-add", args=[report.pk]),
        {"title": "ภาพถ่าย", "file": SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * 2048)},
    )

    assert response.status_code == 400
    assert 'value="ภาพถ่าย"' in response.content.decode()  # the title is kept
    assert not Evidence.objects.exists()


def test_staff_evidence_download_is_an_attachment_never_a_page(world, organization):
    people, division, round_ = world
    measure = MeasureFactory(organization=organization, fiscal_year=round_.fiscal_year,
                             divisions=[division])  # fmt: skip
    report = ResultReportFactory(measure=measure, reporting_round=round_)
    stored = Evidence.objects.create(
        report=report, title="เก่า", file=SimpleUploadedFile("old.html", b"<script>1</script>"),
        content_type="text/html", size=18,
    )  # fmt: skip

    response = as_user(people.auditor).get(reverse("workflow:evidence", args=[stored.pk]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("lines", [5, 50])
def test_item_pages_query_count_does_not_grow_with_lines(
    world, organization, django_assert_max_num_queries, lines
):
    # given a measure and a result report with many lines, edits and transitions
    people, division, round_ = world
    measure = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, divisions=[division],
        methods=[f"วิธีที่ {n}" for n in range(lines)],
    )  # fmt: skip
    report = ResultReportFactory(
        measure=measure, reporting_round=round_, items=[f"ผลที่ {n}" for n in range(lines)]
    )
    for item in (measure, report):
        transition_perform(item=item, action=Action.SUBMIT, actor=people.head)
        transition_perform(item=item, action=Action.RETURN, actor=people.working, comment="แก้")
    client = as_user(people.auditor)

    # then
    for url in (
        reverse("workflow:measure-detail", args=[measure.pk]),
        reverse("workflow:result-report-detail", args=[report.pk]),
        reverse("workflow:result-report-edit", args=[report.pk]),
    ):
        with django_assert_max_num_queries(25):
            client.get(url)
