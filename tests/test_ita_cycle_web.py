"""The yearly ITA cycle through its pages, its API, its file import, the public report (page,
PDF, XLSX, the OIT addresses) and the reminders that count down to the OIT window."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from approvals import reminders
from approvals.models import Notification, NotificationKind, Role
from approvals.services import transition_perform
from tests.factories import (
    FiscalYearFactory,
    MeasureFactory,
    MembershipFactory,
    ReportingRoundFactory,
    UserFactory,
)
from tests.test_api import assert_error, client_for
from tests.test_ita_cycle import NAKHON_SAWAN_2564
from workflow.assessment import Analysis, AssessmentScheme, Indicator, ItaResult
from workflow.assessment_data import schemes_load
from workflow.assessment_services import (
    analysis_create,
    analysis_update,
    ita_result_import,
    ita_result_save,
    measure_indicators_set,
)
from workflow.importing.errors import ReportImportError
from workflow.models import Action, Measure

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(world):
    """The world's organization with the ITA 2564 result, a 2565 measure answering
    indicator 1 and a drafted analysis for 2565; a second working group member."""
    schemes_load()
    wg = world["working_group"]
    second = UserFactory(username="working_group_2")
    MembershipFactory(user=second, organization=world.organization, role=Role.WORKING_GROUP)
    ita_result_save(
        organization=world.organization, year=2564, score="96.87",
        indicator_scores=NAKHON_SAWAN_2564, actor=wg,
    )  # fmt: skip
    year = FiscalYearFactory(year=2565)
    measure = MeasureFactory(
        organization=world.organization, fiscal_year=year, number=1, divisions=[world.division],
        period_start=dt.date(2021, 10, 1), period_end=dt.date(2022, 9, 1),
        title="ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร",
    )  # fmt: skip
    one = Indicator.objects.get(scheme__year=2565, number=1)
    measure_indicators_set(measure=measure, actor=wg, indicator_ids=[one.pk])
    analysis = analysis_create(organization=world.organization, fiscal_year=year, actor=wg)
    analysis_update(
        analysis=analysis, actor=wg, summary="นำประเด็นมากำหนดเป็นมาตรการ",
        issues={1: "เผยแพร่ขั้นตอนการปฏิบัติงาน", 7: "ปรับปรุงช่องทางการสื่อสาร"},
    )  # fmt: skip
    world.users["working_group_2"] = second
    return analysis


def _publish(world, analysis):
    for action, who in (
        (Action.SUBMIT, "working_group"),
        (Action.REVIEW, "working_group_2"),
        (Action.APPROVE, "chief"),
        (Action.PUBLISH, "publisher"),
    ):
        transition_perform(item=analysis, action=action, actor=world[who])


def test_analysis_page_is_seen_by_members_and_flags_the_indicator_without_measure(
    client, world, cycle
):
    # given / when a member of each role opens the analysis
    url = f"/ita/analyses/{cycle.pk}/"
    for who in ("working_group", "head", "chief", "publisher", "auditor"):
        client.force_login(world[who])
        page = client.get(url)
        # then they see it, with indicator 7 (82.50) flagged: no measure answers it
        assert page.status_code == 200, who
        text = page.content.decode()
        assert "๙๖.๘๗" in text and "ประสิทธิภาพการสื่อสาร" in text
        assert "ตัวชี้วัดที่ต่ำกว่าเกณฑ์ผ่านและยังไม่มีมาตรการ" in text
        assert ("แก้ไขการวิเคราะห์" in text) == (who == "working_group")
    # and someone of another organization does not
    client.force_login(world["outsider"])
    assert client.get(url).status_code == 404


def test_only_the_working_group_edits_the_analysis_and_opens_a_year(client, world, cycle):
    for who in ("head", "chief", "publisher", "auditor"):
        client.force_login(world[who])
        response = client.post(
            f"/ita/analyses/{cycle.pk}/edit/",
            {"summary": "แก้โดยผู้ไม่มีสิทธิ์", "version": cycle.version},
            HTTP_REFERER=f"/ita/analyses/{cycle.pk}/",
        )
        assert response.status_code == 302
        response = client.post(
            f"/ita/{world.organization.pk}/open/",
            {"from_year": 2564, "measures": [world.measure().pk]},
            HTTP_REFERER="/ita/",
        )
        assert response.status_code == 302
    assert Analysis.objects.get(pk=cycle.pk).summary == "นำประเด็นมากำหนดเป็นมาตรการ"
    assert not Measure.objects.filter(carried_from__isnull=False).exists()

    # when the working group opens 2565 from 2564 with one measure ticked
    client.force_login(world["working_group"])
    first = Measure.objects.filter(fiscal_year__year=2564).first()
    page = client.get(f"/ita/{world.organization.pk}/open/?from=2564")
    assert page.status_code == 200 and "checked" in page.content.decode()
    response = client.post(
        f"/ita/{world.organization.pk}/open/", {"from_year": 2564, "measures": [first.pk]}
    )
    assert response.status_code == 302
    assert list(Measure.objects.filter(carried_from__isnull=False)) == [
        Measure.objects.get(carried_from=first)
    ]


def test_result_form_refuses_bad_scores_in_thai_and_keeps_what_was_typed(client, world, cycle):
    # given
    client.force_login(world["working_group"])
    data = {"score": "๑๐๕", **{f"indicator_{n}": s for n, s in NAKHON_SAWAN_2564.items()}}

    # when
    page = client.post(f"/ita/{world.organization.pk}/results/2565/", data)

    # then
    assert page.status_code == 200
    text = page.content.decode()
    assert "คะแนนต้องเป็นตัวเลขตั้งแต่ ๐ ถึง ๑๐๐" in text or "คะแนนต้องเป็นตัวเลขตั้งแต่ 0 ถึง 100" in text
    assert 'value="๑๐๕"' in text
    assert not ItaResult.objects.filter(scheme__year=2565).exists()
    client.force_login(world["head"])
    response = client.post(
        f"/ita/{world.organization.pk}/results/2565/", {**data, "score": "90"}, HTTP_REFERER="/"
    )
    assert response.status_code == 302
    assert not ItaResult.objects.filter(scheme__year=2565).exists()


def test_ita_result_import_reads_csv_and_xlsx_and_names_the_bad_row(world, cycle):
    # given a CSV as an officer would type it
    lines = ["ตัวชี้วัด,คะแนน"] + [f"{n}. ตัวชี้วัด,{s}" for n, s in NAKHON_SAWAN_2564.items()]
    csv_file = SimpleUploadedFile(
        "ita-2565.csv", ("\n".join([*lines, "คะแนนรวม,95.10"])).encode("utf-8")
    )

    # when
    result = ita_result_import(
        organization=world.organization, year=2565, source=csv_file, source_name="ita-2565.csv",
        actor=world["working_group"],
    )  # fmt: skip

    # then
    assert (str(result.score), result.level, result.scores.count()) == ("95.10", "AA", 10)

    # and a bad score names its row, and nothing changes
    bad = SimpleUploadedFile("bad.csv", "\n".join([*lines[:3], "3,เก้าสิบ", "รวม,90"]).encode())
    with pytest.raises(ReportImportError) as refused:
        ita_result_import(
            organization=world.organization, year=2565, source=bad, source_name="bad.csv",
            actor=world["working_group"],
        )  # fmt: skip
    assert refused.value.line == 4
    assert str(ItaResult.objects.get(pk=result.pk).score) == "95.10"


def test_api_analysis_round_trip_and_fiscal_year_open(world, cycle):
    # given
    wg, second = client_for(world["working_group"]), client_for(world["working_group_2"])
    url = f"/api/v1/ita/analyses/{cycle.pk}/"

    # when the working group reads, edits and submits it through the API
    read = wg.get(url)
    version = Analysis.objects.get(pk=cycle.pk).version
    assert read.status_code == 200 and read["ETag"] == f'"{version}"'
    assert read.json()["content"]["unanswered"] == [7]
    assert_error(wg.patch(url, {"summary": "x"}, format="json"), 428, "precondition_required")
    edited = wg.patch(
        url, {"issues": {"7": "เพิ่มช่องทางไลน์"}}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert edited.status_code == 200
    assert wg.get(f"{url}actions/").json()["actions"] == ["submit"]
    assert wg.post(f"{url}transitions/submit/", {}, format="json").status_code == 200
    assert_error(wg.post(f"{url}transitions/review/", {}), 403, "not_permitted")
    assert second.post(f"{url}transitions/review/", {}).status_code == 200
    assert_error(client_for(world["outsider"]).get(url), 404, "not_found")

    # and a year is opened from the API, twice
    opened = [
        wg.post(
            "/api/v1/ita/fiscal-year-open/",
            {"organization": world.organization.pk, "from_year": 2564, "to_year": 2565},
            format="json",
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in opened] == [200, 200]
    assert (
        len(opened[0].json()["created"]) == Measure.objects.filter(fiscal_year__year=2564).count()
    )
    assert opened[1].json()["created"] == []
    assert_error(
        client_for(world["head"]).post(
            "/api/v1/ita/fiscal-year-open/",
            {"organization": world.organization.pk, "from_year": 2564, "to_year": 2565},
            format="json",
        ),
        403,
        "not_permitted",
    )
    # and a measure names its indicators through the API, the working group only
    measure = Measure.objects.filter(fiscal_year__year=2565).order_by("number").last()
    nine = Indicator.objects.get(scheme__year=2565, number=9)
    indicators_url = f"/api/v1/ita/measures/{measure.pk}/indicators/"
    put = wg.put(indicators_url, {"indicator_ids": [nine.pk]}, format="json")
    assert put.status_code == 200 and put.json() == {"indicator_ids": [nine.pk]}
    other_year = Indicator.objects.get(scheme__year=2564, number=9)
    assert_error(
        wg.put(indicators_url, {"indicator_ids": [other_year.pk]}, format="json"), 400, "invalid"
    )
    assert_error(
        client_for(world["auditor"]).put(indicators_url, {"indicator_ids": []}, format="json"),
        403,
        "not_permitted",
    )
    schemes = client_for(world["auditor"]).get("/api/v1/ita/schemes/").json()
    assert [s["year"] for s in schemes["results"]] == [2564, 2565, 2566, 2567, 2568]


def test_public_page_pdf_and_xlsx_show_the_published_analysis(client, world, cycle, tmp_path):
    from tests.test_public_pdf import pdftotext

    # given nothing published yet: the public page has no analysis
    page = client.get(f"/public/{world.organization.slug}/2565/")
    assert page.status_code == 200 and "ita-analysis" not in page.content.decode()

    # when the analysis is published
    _publish(world, cycle)

    # then the page shows it before the measures, with the chart, its table and the addresses
    text = client.get(f"/public/{world.organization.slug}/2565/").content.decode()
    assert text.index("ita-analysis") < text.index("มาตรการ/แนวทาง</th>")
    assert "<svg" in text and "visually-hidden" in text and "๙๗.๖๘" in text
    assert "ปรับปรุงช่องทางการสื่อสาร" in text
    assert f"/public/{world.organization.slug}/2565/oit/O42/" in text
    assert "ใช้ที่อยู่นี้ตอบข้อ O42 ในระบบ ITAS" in text
    item = client.get(f"/public/{world.organization.slug}/2565/oit/o42/")
    assert item.status_code == 200 and "<svg" in item.content.decode()
    assert client.get(f"/public/{world.organization.slug}/2565/oit/O99/").status_code == 404
    response = client.get(f"/public/{world.organization.slug}/2565/report.pdf")
    assert response.status_code == 200, response.status_code
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF"), pdf[:200]
    pdf_text = pdftotext(pdf, tmp_path)
    assert "96.87" in pdf_text or "๙๖.๘๗" in pdf_text
    assert "ปรับปรุงช่องทางการสื่อสาร" in pdf_text
    assert "เกณฑ์ผ่าน ๘๕" in pdf_text  # the chart's pass-mark line is drawn
    workbook = load_workbook(
        io.BytesIO(b"".join(client.get(f"/public/{world.organization.slug}/2565/report.xlsx")))
    )
    assert workbook.sheetnames[1] == "ITA 2564"
    cells = [c for row in workbook["ITA 2564"].iter_rows(values_only=True) for c in row if c]
    assert "97.68" in cells and "ปรับปรุงช่องทางการสื่อสาร" in cells


def test_reminders_count_down_to_the_oit_window_when_it_closes_first(world):
    # given a 6-month round of 2564 due 31 May 2021, after the OIT window closes (30 Apr)
    schemes_load()
    scheme = AssessmentScheme.objects.get(year=2564)
    assert scheme.oit_closes_on == dt.date(2021, 4, 30)
    round_ = ReportingRoundFactory(
        organization=world.organization, fiscal_year=world.fiscal_year, name="รอบ 6 เดือน",
        months=6, due_on=dt.date(2021, 5, 31),
    )  # fmt: skip
    world.measure()

    # when the reminders run 7 days before the OIT window closes
    assert reminders.reminders_send(today=dt.date(2021, 4, 23)) >= 1

    # then the heads are told the OIT deadline, not the round's later due date
    reminder = Notification.objects.get(
        user=world["head"], kind=NotificationKind.REMINDER, dedupe_key__contains=f":{round_.pk}:"
    )
    assert reminder.title.startswith("อีก ๗ วัน ปิดรับการตอบแบบ OIT")
    # and nothing more on the round's own due date minus 7 days (its deadline was the OIT's)
    assert reminders.due_reminders_send(dt.date(2021, 5, 24)) == 0


def test_bad_input_on_the_pages_is_refused_without_a_server_error(client, world, cycle):
    # given
    client.force_login(world["working_group"])
    org = world.organization.pk

    # when / then: no year, a year that is not a number, text with NUL, unknown indicators
    assert client.get(f"/ita/{org}/open/").status_code == 302
    assert client.get(f"/ita/{org}/open/?from=abc").status_code == 302
    assert client.post(f"/ita/{org}/analyses/new/", {"fiscal_year": "abc"}).status_code == 404
    before = Analysis.objects.get(pk=cycle.pk).summary
    response = client.post(
        f"/ita/analyses/{cycle.pk}/edit/",
        {"summary": "บรรทัดแรก\x00\nบรรทัดที่สอง", "issues_7": "ข้อ\x00ความ"},
    )
    # text no database can store is refused before any view (the site's 400 page)
    assert response.status_code == 400
    assert Analysis.objects.get(pk=cycle.pk).summary == before
    assert client.post(f"/ita/{org}/results/2599/", {}).status_code == 404
    response = client.post(
        f"/ita/{org}/results/2564/import/",
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00garbage")},
        HTTP_REFERER="/ita/",
    )
    assert response.status_code == 302
    assert (
        client.post(f"/ita/analyses/{cycle.pk}/transition/", {"action": "fly"}).status_code == 302
    )
