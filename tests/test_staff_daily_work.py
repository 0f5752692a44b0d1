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
    assert stale.status_code == 200
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
    assert response.status_code == 200
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
