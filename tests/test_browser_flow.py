"""The whole way of a result report in Chromium, from a division head's draft to the public page."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import DivisionFactory, MeasureFactory, ReportingRoundFactory
from tests.web_helpers import browser_log_in, people_of, walk_to_published

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


# Playwright's sync API runs an event loop in the test's thread (for the whole session once
# started), which Django takes for an async context; the ORM calls of the tests (set-up,
# database flush) are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(browser, live_server, username: str):
    return browser_log_in(browser, live_server, username)


def take(page, action: str, comment: str = "") -> None:
    """Open the action's confirmation, then confirm it (with a comment, if given)."""
    page.click(f"summary[data-action={action}]")
    if comment:
        page.fill(f"#comment-{action}", comment)
    page.click(f"button[name=confirm][value={action}]")
    page.wait_for_selector(".messages li")


def test_result_report_from_draft_through_return_to_the_public_page(browser, live_server):
    # given a published measure of สำนักปลัด, its people, a round, and a draft nobody published
    from workflow.models import Organization

    organization = Organization.objects.create(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    round_ = ReportingRoundFactory(organization=organization, name="รอบ 12 เดือน")
    measure = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=1,
        title="ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร", divisions=[division],
        methods=["มีการดำเนินการตรวจสอบเว็บไซต์ของหน่วยงาน"],
    )  # fmt: skip
    walk_to_published(measure, people)
    MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=2,
        title="มาตรการฉบับร่างที่ไม่เคยเผยแพร่", divisions=[division],
    )  # fmt: skip

    # when the division head drafts and submits a result report
    head = log_in(browser, live_server, people.head.username)
    shot(head, "home-division-head")
    head.goto(f"{live_server.url}/measures/{measure.pk}/")
    head.click("a[href$='/reports/new/']")
    head.select_option("#id_reporting_round", str(round_.pk))
    head.fill("textarea[name=items] >> nth=0", "ดำเนินการจ้างเหมาดูแลเว็บไซต์")
    head.click("main form button[type=submit]")
    head.wait_for_selector(".state-drafted")
    shot(head, "result-report-drafted")
    take(head, "submit")
    report_url = head.url

    # and the working group returns it with a reason
    working = log_in(browser, live_server, people.working.username)
    working.goto(report_url)
    take(working, "return", "โปรดระบุชื่อผู้รับจ้างดูแลเว็บไซต์")
    working.wait_for_selector(".state-drafted")

    # and the division head sees the reason, fixes the report and submits it again
    head.goto(report_url)
    assert "โปรดระบุชื่อผู้รับจ้างดูแลเว็บไซต์" in head.content()
    shot(head, "result-report-returned")
    head.click("a[href$='/edit/']")
    head.fill("textarea[name=items] >> nth=0", "ดำเนินการจ้างเหมาไทยโลคัลเว็บดูแลเว็บไซต์")
    head.click("main form button[type=submit]")
    head.wait_for_selector(".state-drafted")
    take(head, "submit")

    # and it is reviewed, approved and published
    working.goto(report_url)
    take(working, "review")
    chief = log_in(browser, live_server, people.chief.username)
    shot(chief, "home-chief-executive")
    chief.goto(report_url)
    take(chief, "approve")
    publisher = log_in(browser, live_server, people.publisher.username)
    publisher.goto(report_url)
    take(publisher, "publish")
    publisher.wait_for_selector(".state-published")
    shot(publisher, "result-report-published")
    publisher.goto(f"{live_server.url}/measures/")
    shot(publisher, "measure-list")

    # then the public page shows it, and never the draft nor the reason for returning
    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH").new_page()
    visitor.goto(f"{live_server.url}/public/khao-thong/2564/")
    page = visitor.content()
    shot(visitor, "public-report-phone")
    desktop = browser.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    desktop_page = desktop.new_page()
    desktop_page.goto(f"{live_server.url}/public/khao-thong/2564/")
    shot(desktop_page, "public-report-desktop")
    desktop_page.goto(f"{live_server.url}/accounts/login/")
    shot(desktop_page, "login")
    assert "ดำเนินการจ้างเหมาไทยโลคัลเว็บดูแลเว็บไซต์" in page
    assert "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร" in page
    assert "มาตรการฉบับร่างที่ไม่เคยเผยแพร่" not in page
    assert "โปรดระบุชื่อผู้รับจ้างดูแลเว็บไซต์" not in page
    assert "ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔" in page
