"""The chief executive in Chromium, Thai and English, desktop and phone: reads what a revision
changes in the published measure and the row as it will be published, then approves two
items at once and reads each one's outcome."""

from pathlib import Path

import pytest
from django.conf import settings

from approvals.services import transition_perform
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    ReportingRoundFactory,
    ResultReportFactory,
)
from tests.test_browser_staff_year import DESKTOP, PHONE, log_in
from tests.web_helpers import people_of, published_then_revised, walk_to_published
from workflow import services
from workflow.models import Action, Measure, Organization, ResultReport, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "i14b"
TITLE = "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร การประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน"
METHODS = [
    "มีการดำเนินการตรวจสอบเว็บไซต์ของหน่วยงานว่ามีการออกแบบหน้าเว็บที่มีการเข้าถึงได้ง่าย",
    "มีการประชาสัมพันธ์ผลการดำเนินงาน",
]


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def office():
    """A published measure revised (one word of its title, one method), and a second measure,
    both reviewed and waiting for the chief executive."""
    organization = Organization.objects.create(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    people.chief.first_name, people.chief.last_name = "ประยุทธ", "ผู้บริหาร"
    people.chief.save()
    round_ = ReportingRoundFactory(organization=organization, name="รอบ 12 เดือน")
    revised = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=1, title=TITLE,
        methods=METHODS, divisions=[division],
    )  # fmt: skip
    revised = published_then_revised(
        revised, people, title=TITLE.replace("ปรับปรุง", "พัฒนา", 1),
        methods=[METHODS[0], "มีการประชาสัมพันธ์ผลการดำเนินงานผ่านเฟซบุ๊กของหน่วยงาน"],
    )  # fmt: skip
    other = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=2,
        title="ส่งเสริมการมีส่วนร่วมทั้งจากภายในและภายนอกหน่วยงาน", divisions=[division],
    )  # fmt: skip
    for item in (revised, other):
        for action, actor in ((Action.SUBMIT, people.head), (Action.REVIEW, people.working)):
            transition_perform(item=Measure.objects.get(pk=item.pk), action=action, actor=actor)
    return people, revised, other


def fits(page) -> bool:
    """Nothing sticks out past the right edge of the screen."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize(
    ("language", "viewport", "size"),
    [
        ("th", DESKTOP, "desktop"),
        ("th", PHONE, "phone"),
        ("en", DESKTOP, "desktop"),
        ("en", PHONE, "phone"),
    ],
)
def test_chief_executive_reviews_a_revision_and_approves_two_items_at_once(
    browser, live_server, language, viewport, size
):
    # given a revised published measure and a second one, both waiting for the chief
    people, revised, other = office()
    chief = log_in(browser, live_server, people.chief.username, viewport=viewport,
                   language=language)  # fmt: skip

    # when the chief executive opens the revised measure
    chief.goto(f"{live_server.url}/measures/{revised.pk}/")

    # then what the revision changes is there, the changed words marked, the rest left out
    changes = chief.locator(".revision-changes")
    assert changes.is_visible()
    assert chief.locator(".revision-changes del").first.inner_text() == "ปรับปรุง"
    marked = chief.locator(".revision-changes ins").all_inner_texts()
    assert "พัฒนา" in marked and any("เฟซบุ๊ก" in text for text in marked)
    assert "ระยะเวลาดำเนินการ" not in changes.inner_text()
    # and the row as it will be published: six cells, the revised title first
    cells = chief.locator(".preview table.report td")
    assert cells.count() == 6
    assert cells.nth(0).inner_text().startswith("๑. พัฒนาเว็บไซต์")
    heading = "The row as it will be published" if language == "en" else "ตัวอย่างแถวในรายงาน"
    assert heading in chief.inner_text(".preview h2")
    if size == "phone":
        assert fits(chief)
    shot(chief, f"revision-{language}-{size}")

    # when they tick both measures on their home page and confirm
    chief.goto(f"{live_server.url}/")
    chief.check(f"#pick-measure-{revised.pk}")
    chief.check(f"#pick-measure-{other.pk}")
    chief.click("summary[data-action=approve]")
    assert chief.locator("details.confirm[open] .told").is_visible()
    shot(chief, f"bulk-confirm-{language}-{size}")
    chief.click("button[name=action][value=approve]")
    chief.wait_for_selector(".outcomes")

    # then each is reported done, and both are approved
    assert chief.locator(".outcomes li.done").count() == 2
    outcomes = chief.inner_text(".outcomes")
    if language == "en":
        assert "Measure 1 " in outcomes and "๑" not in outcomes
    else:
        assert "มาตรการข้อ ๑ " in outcomes
    if size == "phone":
        assert fits(chief)
    shot(chief, f"bulk-outcome-{language}-{size}")
    assert set(Measure.objects.values_list("state", flat=True)) == {State.APPROVED}
    assert revised.transition_logs.filter(action="approve").count() == 2  # once per revision


@pytest.mark.parametrize(
    ("language", "viewport", "size"), [("th", DESKTOP, "desktop"), ("en", PHONE, "phone")]
)
def test_head_and_publisher_read_a_revised_result_report(
    browser, live_server, language, viewport, size
):
    # given a published measure whose published result report its division head revises
    people, revised, _other = office()
    measure = Measure.objects.get(pk=revised.pk)
    for action, actor in ((Action.APPROVE, people.chief), (Action.PUBLISH, people.publisher)):
        transition_perform(item=Measure.objects.get(pk=measure.pk), action=action, actor=actor)
    report = ResultReportFactory(
        measure=measure,
        reporting_round=measure.organization.rounds.get(),
        items=["ดำเนินการจ้างเหมาดูแลเว็บไซต์"],
        recommendations=["ควรปรับปรุงข้อมูลทุกเดือน"],
    )
    walk_to_published(report, people)
    transition_perform(
        item=ResultReport.objects.get(pk=report.pk), action=Action.REVISE, actor=people.head
    )
    report = ResultReport.objects.get(pk=report.pk)
    services.result_report_update(
        report=report, actor=people.head, expected_version=report.version,
        items=["ดำเนินการจ้างเหมาดูแลเว็บไซต์", "อบรมเจ้าหน้าที่ดูแลเว็บไซต์"],
    )  # fmt: skip
    url = f"{live_server.url}/reports/{report.pk}/"

    # when the division head opens the drafted revision
    head = log_in(browser, live_server, people.head.username, viewport=viewport,
                  language=language)  # fmt: skip
    head.goto(url)

    # then the added result line is marked, and the row shows both lines and the advice kept
    assert "อบรมเจ้าหน้าที่ดูแลเว็บไซต์" in head.inner_text(".revision-changes ins")
    cells = head.locator(".preview table.report td")
    assert "๒. อบรมเจ้าหน้าที่ดูแลเว็บไซต์" in cells.nth(4).inner_text()
    assert "๑. ควรปรับปรุงข้อมูลทุกเดือน" in cells.nth(5).inner_text()
    shot(head, f"report-revision-head-{language}-{size}")

    # when it is submitted, reviewed and approved, the publisher opens it
    for action, actor in ((Action.SUBMIT, people.head), (Action.REVIEW, people.working),
                          (Action.APPROVE, people.chief)):  # fmt: skip
        transition_perform(item=ResultReport.objects.get(pk=report.pk), action=action, actor=actor)
    publisher = log_in(browser, live_server, people.publisher.username, viewport=viewport,
                       language=language)  # fmt: skip
    publisher.goto(url)

    # then the publisher reads the same changes and row before publishing
    assert publisher.locator(".revision-changes").is_visible()
    assert publisher.locator(".preview table.report td").count() == 6
    assert publisher.locator("summary[data-action=publish]").is_visible()
    if size == "phone":
        assert fits(publisher)
    shot(publisher, f"report-revision-publisher-{language}-{size}")
