"""The staff's daily work in the pages: nothing typed is lost, each page says where the item
stands and who has it, search finds what people type, a report waits for its measure."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from approvals.services import transition_perform
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    ReportingRoundFactory,
    ResultReportFactory,
)
from tests.web_helpers import as_user, imported_seed_report, people_of
from workflow.models import Action, Measure, ResultReport, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(organization):
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    for user, name in (
        (people.head, ("สมชาย", "ใจดี")),
        (people.working, ("สมศรี", "ตรวจงาน")),
        (people.chief, ("ประยุทธ", "ผู้บริหาร")),
        (people.publisher, ("มานี", "เว็บไซต์")),
    ):
        user.first_name, user.last_name = name
        user.save()
    round_ = ReportingRoundFactory(organization=organization, name="รอบ 12 เดือน")
    measure = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=1,
        title="ปรับปรุงเว็บไซต์หน่วยงาน", divisions=[division],
    )  # fmt: skip
    return people, division, round_, measure


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_of(measure) -> str:
    return reverse("workflow:measure-detail", args=[measure.pk])


# --- nothing typed is ever lost -------------------------------------------------------


def test_transition_refused_by_a_newer_version_keeps_the_reason_and_names_who_acted(office):
    # given a submitted measure that the division head withdraws in another tab
    people, _division, _round, measure = office
    transition_perform(item=measure, action=Action.SUBMIT, actor=people.head)
    seen = Measure.objects.get(pk=measure.pk).version
    transition_perform(item=measure, action=Action.WITHDRAW, actor=people.head)

    # when the working group returns the version it saw, with a long reason
    response = as_user(people.working).post(
        reverse("workflow:transition", args=["measure", measure.pk]),
        {"action": "return", "version": seen, "comment": "แก้ไขวิธีการข้อ ๒ ให้ระบุผู้รับผิดชอบ"},
    )

    # then the page again: the reason still in its box, who changed the item and how
    assert response.status_code == 409
    page = response.content.decode()
    assert "แก้ไขวิธีการข้อ ๒ ให้ระบุผู้รับผิดชอบ</textarea>" in page
    assert "สมชาย ใจดี" in page and "เปลี่ยนแปลงรายการนี้เมื่อ" in page
    assert Measure.objects.get(pk=measure.pk).state == State.DRAFTED


def test_stale_save_by_the_same_person_says_it_was_their_other_tab(office):
    # given a measure edited in one tab
    people, division, _round, measure = office
    url = reverse("workflow:measure-edit", args=[measure.pk])
    data = {
        "number": 1, "title": measure.title, "divisions": [division.pk], "methods": ["หนึ่ง"],
        "version": measure.version, "start_month": 10, "start_year": 2563,
        "end_month": 9, "end_year": 2564,
    }  # fmt: skip
    client = as_user(people.head, "en")
    assert client.post(url, data).status_code == 302

    # when the older tab saves its own text
    stale = client.post(url, {**data, "title": "ชื่อที่พิมพ์ไว้ในแท็บเก่า"})

    # then the form again with that text, and the conflict is theirs, not "someone else"
    page = stale.content.decode()
    assert stale.status_code == 400  # sent back with what was typed
    assert "ชื่อที่พิมพ์ไว้ในแท็บเก่า</textarea>" in page
    assert "You changed this item yourself" in page
    assert "Someone else" not in page

    # and saving over the newer version is a choice they can make
    newer = Measure.objects.get(pk=measure.pk).version
    over = client.post(url, {**data, "title": "ชื่อที่พิมพ์ไว้ในแท็บเก่า", "overwrite": newer})
    assert over.status_code == 302
    assert Measure.objects.get(pk=measure.pk).title == "ชื่อที่พิมพ์ไว้ในแท็บเก่า"


def test_edit_refused_because_the_item_moved_on_keeps_the_typed_results(office):
    # given a drafted result report that is submitted while its head edits it
    people, _division, round_, measure = office
    report = ResultReportFactory(measure=measure, reporting_round=round_, items=["ผลเดิม"])
    client = as_user(people.head)
    version = report.version
    transition_perform(item=report, action=Action.SUBMIT, actor=people.head)

    # when the edit is saved
    response = client.post(
        reverse("workflow:result-report-edit", args=[report.pk]),
        {"items": ["ผลที่พิมพ์ใหม่ทั้งย่อหน้า"], "version": version},
    )

    # then nothing is lost and the reason is on the form
    page = response.content.decode()
    assert response.status_code == 400  # sent back with what was typed
    assert "ผลที่พิมพ์ใหม่ทั้งย่อหน้า</textarea>" in page
    assert "ไม่สามารถแก้ไขรายการนี้ในสถานะปัจจุบันได้" in page
    assert [i.text for i in ResultReport.objects.get(pk=report.pk).items.all()] == ["ผลเดิม"]


# --- where the item stands ------------------------------------------------------------


def test_returned_item_shows_the_reason_who_and_when_and_who_has_it_now(office):
    # given a measure returned by the working group
    people, _division, _round, measure = office
    transition_perform(item=measure, action=Action.SUBMIT, actor=people.head)
    transition_perform(item=measure, action=Action.RETURN, actor=people.working, comment="เพิ่มตัวชี้วัด")

    # when its division head opens it
    page = as_user(people.head).get(page_of(measure)).content.decode()

    # then the banner, and the next step with the person who takes it
    assert "ถูกส่งกลับแก้ไข" in page and "เพิ่มตัวชี้วัด" in page
    assert "ส่งกลับแก้ไขโดย สมศรี ตรวจงาน · คณะทำงาน" in page
    assert "หัวหน้าส่วนราชการแก้ไขให้ครบถ้วนแล้วเสนอ — สมชาย ใจดี" in page


def test_actions_are_ordered_by_weight_and_name_who_will_be_told(office):
    # given a reviewed measure
    people, _division, _round, measure = office
    for action, actor in ((Action.SUBMIT, people.head), (Action.REVIEW, people.working)):
        transition_perform(item=measure, action=action, actor=actor)

    # when the chief executive opens it
    page = as_user(people.chief).get(page_of(measure)).content.decode()

    # then approve comes first and filled, return after it and outlined
    approve = page.index('data-action="approve"')
    back = page.index('data-action="return"')
    assert approve < back
    assert 'class="button" data-action="approve"' in page
    assert 'class="button secondary" data-action="return"' in page
    # and the confirmation names the publisher and the submitter
    assert "มานี เว็บไซต์ · ผู้เผยแพร่" in page and "สมชาย ใจดี" in page


def test_success_message_says_who_has_the_item_now(office):
    people, _division, _round, measure = office

    response = as_user(people.head).post(
        reverse("workflow:transition", args=["measure", measure.pk]),
        {"action": "submit", "version": measure.version},
    )

    assert response.status_code == 302
    (message,) = messages_of(response)
    assert "สมศรี ตรวจงาน" in message


# --- search ---------------------------------------------------------------------------


def test_search_finds_an_imported_title_typed_without_the_line_wrap_spaces(organization):
    # given the seed report imported as it is (its titles keep the PDF's line-wrap spaces)
    people, result = imported_seed_report(organization)
    first = result.measures[0]
    assert "ปรับปรุง เว็บไซต์" in first.title
    client = as_user(people.auditor)

    # when the title is typed without the spaces, and a year in either digit form
    found = client.get(reverse("workflow:measure-list"), {"q": "ปรับปรุงเว็บไซต์"})
    arabic = client.get(reverse("workflow:measure-list"), {"q": "ประจำปี 2564"})
    thai_digits = client.get(reverse("workflow:measure-list"), {"q": "ประจำปี๒๕๖๔"})

    # then the measure is found and the words are marked
    assert found.context["page"].paginator.count == 1
    assert "<mark>ปรับปรุง เว็บไซต์</mark>" in found.content.decode()
    assert arabic.context["page"].paginator.count >= 1
    assert [m.pk for m in arabic.context["page"]] == [m.pk for m in thai_digits.context["page"]]


def test_search_reaches_methods_results_and_recommendations(office):
    # given a measure whose method, result and recommendation hold different words
    people, _division, round_, measure = office
    MeasureFactory(organization=measure.organization, fiscal_year=round_.fiscal_year,
                   number=2, title="อื่น", divisions=[_division], methods=["อื่น"])  # fmt: skip
    ResultReportFactory(
        measure=measure, reporting_round=round_, items=["จ้างเหมาดูแลเว็บไซต์"],
        recommendations=["ควรตรวจสอบความถูกต้อง"],
    )  # fmt: skip
    client = as_user(people.auditor)

    def found(url, q):
        return [row.pk for row in client.get(url, {"q": q}).context["page"]]

    # then each text leads to its measure and its report, with the two-code-point ำ too
    assert found(reverse("workflow:measure-list"), "จ้างเหมา") == [measure.pk]
    assert found(reverse("workflow:measure-list"), "วิธีการที่หนึ่ง") != []
    assert len(found(reverse("workflow:result-report-list"), "ควรตรวจสอบ")) == 1
    assert found(reverse("workflow:measure-list"), "จ\u0e49\u0e32งเหมา") == [measure.pk]
    assert found(reverse("workflow:measure-list"), "ไม่มีคำนี้") == []


# --- publishing -----------------------------------------------------------------------


def _approved(item, people):
    for action, actor in (
        (Action.SUBMIT, people.head),
        (Action.REVIEW, people.working),
        (Action.APPROVE, people.chief),
    ):
        transition_perform(item=item, action=action, actor=actor)


def test_a_report_cannot_be_published_before_its_measure_and_both_go_in_order(office):
    # given an approved measure and its approved result report, neither published
    people, _division, round_, measure = office
    report = ResultReportFactory(measure=measure, reporting_round=round_)
    _approved(measure, people)
    _approved(report, people)
    client = as_user(people.publisher)

    # when the publisher publishes the report alone
    refused = client.post(
        reverse("workflow:transition", args=["report", report.pk]),
        {"action": "publish", "version": ResultReport.objects.get(pk=report.pk).version},
    )

    # then it is refused, explained, and the page offers to publish both in order
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "ต้องเผยแพร่มาตรการก่อน" in page
    offer = reverse("workflow:result-report-publish-with-measure", args=[report.pk])
    assert offer in page
    assert ResultReport.objects.get(pk=report.pk).state == State.APPROVED

    # when they take the offer
    both = client.post(offer)

    # then the measure is published first, then the report
    assert both.status_code == 302
    logs = list(measure.transition_logs.filter(action="publish").order_by("created_at", "id"))
    assert [log.result_report_id for log in logs] == [None, report.pk]


def test_publisher_schedules_at_a_be_date_lists_and_calls_it_off(office):
    # given an approved measure
    people, _division, _round, measure = office
    _approved(measure, people)
    client = as_user(people.publisher)
    schedule_url = reverse("workflow:publication-schedule", args=["measure", measure.pk])
    version = Measure.objects.get(pk=measure.pk).version

    # when a moment in the past is chosen, then one next year in BE
    past = client.post(
        schedule_url,
        {"day": 1, "month": 10, "year": 2563, "hour": 9, "minute": 0, "version": version},
    )
    import datetime as dt

    next_year_be = dt.date.today().year + 544
    later = client.post(
        schedule_url,
        {"day": 1, "month": 10, "year": next_year_be, "hour": 9, "minute": 30, "version": version},
    )

    # then the past one is refused at the time box, the form keeping the chosen date
    assert past.status_code == 400
    assert "ต้องเป็นเวลาในอนาคต" in past.content.decode() or "future" in past.content.decode()
    assert 'value="2563"' in past.content.decode()
    # and the later one is listed with its BE date, and can be called off
    assert later.status_code == 302
    from approvals.models import PublicationSchedule

    schedule = PublicationSchedule.objects.get(measure=measure)
    assert schedule.publish_at.astimezone(dt.timezone(dt.timedelta(hours=7))).hour == 9
    listing = client.get(reverse("workflow:publication-schedules")).content.decode()
    assert "๑ ต.ค." in listing and "๐๙:๓๐" in listing
    cancel = client.post(reverse("workflow:publication-schedule-cancel", args=[schedule.pk]))
    assert cancel.status_code == 302
    schedule.refresh_from_db()
    assert schedule.cancelled_at is not None


# --- evidence -------------------------------------------------------------------------


def _pdf(name="order.pdf", body=b"%PDF-1.4 test"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body, content_type="application/pdf")


def test_evidence_upload_refused_keeps_the_title_and_shows_the_limits(office):
    people, _division, round_, measure = office
    report = ResultReportFactory(measure=measure, reporting_round=round_)
    client = as_user(people.head)

    response = client.post(
        reverse("workflow:evidence-add", args=[report.pk]),
        {"title": "คำสั่งแต่งตั้งคณะทำงาน", "file": _pdf(body=b"not a pdf")},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="คำสั่งแต่งตั้งคณะทำงาน"' in page
    assert "PDF, JPEG, PNG, DOCX, XLSX" in page and "๒๐ MB" in page


def test_evidence_is_replaced_and_removed_in_history_and_downloaded_by_its_title(office):
    # given a drafted report with a wrong file
    people, _division, round_, measure = office
    report = ResultReportFactory(measure=measure, reporting_round=round_)
    client = as_user(people.head)
    client.post(
        reverse("workflow:evidence-add", args=[report.pk]),
        {"title": "คำสั่งแต่งตั้งคณะทำงาน", "file": _pdf()},
    )
    evidence = report.evidence.get()

    # when it is replaced, downloaded, then removed
    client.post(
        reverse("workflow:evidence-replace", args=[evidence.pk]),
        {"title": evidence.title, "file": _pdf(body=b"%PDF-1.4 corrected")},
    )
    download = client.get(reverse("workflow:evidence", args=[evidence.pk]))
    client.post(reverse("workflow:evidence-remove", args=[evidence.pk]))

    # then the download is named from the title, and history keeps all three steps
    assert "filename*=utf-8''" in download["Content-Disposition"]
    assert "%E0%B8%84%E0%B8%B3" in download["Content-Disposition"]  # คำ…
    assert download["Content-Disposition"].endswith(".pdf")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 corrected"
    from workflow.models import Evidence

    assert not report.evidence.exists()
    kinds = list(
        Evidence.history.filter(id=evidence.pk)
        .order_by("history_date")
        .values_list("history_type", flat=True)
    )
    assert kinds == ["+", "~", "-"]


# --- approvers in bulk, the year at a glance ------------------------------------------


def test_chief_executive_approves_several_items_and_each_outcome_is_reported(office):
    # given two reviewed measures, and a third the chief cannot approve (already approved)
    people, division, round_, measure = office
    second = MeasureFactory(organization=measure.organization, fiscal_year=round_.fiscal_year,
                            number=2, title="ส่งเสริมการมีส่วนร่วม", divisions=[division])  # fmt: skip
    third = MeasureFactory(organization=measure.organization, fiscal_year=round_.fiscal_year,
                           number=3, title="จัดเวทีประชาคม", divisions=[division])  # fmt: skip
    for item in (measure, second, third):
        for action, actor in ((Action.SUBMIT, people.head), (Action.REVIEW, people.working)):
            transition_perform(item=item, action=action, actor=actor)
    picked = [f"measure:{m.pk}:{Measure.objects.get(pk=m.pk).version}" for m in (measure, second)]
    stale_third = f"measure:{third.pk}:{Measure.objects.get(pk=third.pk).version}"
    transition_perform(item=third, action=Action.APPROVE, actor=people.chief)
    client = as_user(people.chief)
    assert "approve" in client.get(reverse("workflow:home")).content.decode()

    # when they tick all three and approve
    response = client.post(
        reverse("workflow:bulk-transition"),
        {"action": "approve", "items": [*picked, stale_third]},
    )

    # then two are approved, one at a time through the transition path, the third refused
    assert response.status_code == 200
    states = dict(Measure.objects.values_list("pk", "state"))
    assert states[measure.pk] == states[second.pk] == State.APPROVED
    outcomes = response.context["outcomes"]
    assert [o["done"] for o in outcomes] == [True, True, False]
    assert outcomes[2]["reason"] == "รายการนี้มีการเปลี่ยนแปลงหลังจากที่ท่านเปิดไว้ กรุณาโหลดใหม่"
    assert measure.transition_logs.filter(action="approve").count() == 1


def test_year_grid_shows_each_round_overdue_items_and_counts(office, django_assert_max_num_queries):
    # given a measure with a report in a past-due round, and one without
    people, division, round_, measure = office
    MeasureFactory(organization=measure.organization, fiscal_year=round_.fiscal_year, number=2,
                   title="ส่งเสริมการมีส่วนร่วม", divisions=[division])  # fmt: skip
    report = ResultReportFactory(measure=measure, reporting_round=round_)
    transition_perform(item=report, action=Action.SUBMIT, actor=people.head)
    client = as_user(people.working)

    # when the working group opens the year (a fixed number: the header's person and
    # position, the opening paragraph's state, whatever the number of measures)
    with django_assert_max_num_queries(21):
        response = client.get(reverse("workflow:year", args=[round_.fiscal_year.year]))

    # then each measure has its round's cell, both overdue (the round was due in 2564)
    grid = response.context["grid"]
    assert [[c.state for c in row.cells] for row in grid.rows] == [["submitted"], [""]]
    assert all(c.overdue for row in grid.rows for c in row.cells)
    counts = {s.state: (s.measures, s.reports) for s in grid.stages}
    assert counts["drafted"] == (2, 0) and counts["submitted"] == (0, 1)
    page = response.content.decode()
    assert "เกินกำหนด" in page and "stage-bar" in page
    # and the home page links to it
    home = client.get(reverse("workflow:home")).content.decode()
    assert reverse("workflow:year", args=[round_.fiscal_year.year]) in home
