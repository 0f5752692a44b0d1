"""The opening paragraph walked in Chromium: the working group writes and submits it, the chief
executive approves it, the publisher publishes it, and a citizen reads it above the table —
Thai and English, desktop and phone; each screen saved under var/screenshots/i16b/."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from approvals.models import Role
from approvals.services import transition_perform
from tests.factories import MembershipFactory, UserFactory
from tests.web_helpers import SEED_MEASURES, published_report
from workflow.models import Action, ReportIntroduction, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "i16b"
PASSWORD = "pass-1234"  # tests.factories.UserFactory
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TEXT = (
    "ตามที่ได้ดำเนินการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ"
    " (ITA) ประจำปีงบประมาณ พ.ศ. ๒๕๖๓ องค์การบริหารส่วนตำบลเขาทองจึงได้กำหนดมาตรการดังต่อไปนี้"
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def session(browser, live_server, username, viewport, language):
    context = browser.new_context(viewport=viewport, locale="th-TH")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    if username:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
    return context, page


def shots(browser, live_server, username, path, name) -> dict:
    """The page as `username` in Thai and English, desktop and phone; its widths."""
    widths = {}
    for language in ("th", "en"):
        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context, page = session(browser, live_server, username, viewport, language)
            page.goto(f"{live_server.url}{path}")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{language}-{device}.png"), full_page=True
            )
            widths[(language, device)] = page.evaluate("document.documentElement.scrollWidth")
            context.close()
    return widths


def test_opening_paragraph_through_the_workflow_in_chromium(browser, live_server, organization):
    # given a published report; its working group (two members), chief executive, publisher
    _people, _round, _items = published_report(
        organization, measures=SEED_MEASURES[:2], with_results=False
    )
    reviewer = UserFactory(username="working2", first_name="Working2")
    MembershipFactory(user=reviewer, organization=organization, role=Role.WORKING_GROUP)
    path = f"/introductions/{organization.slug}/2564/"

    # when the working group member opens the paragraph from the measures and writes it
    context, page = session(browser, live_server, "working", DESKTOP, "th")
    page.goto(f"{live_server.url}/measures/")
    page.click(f"a[href='{path}']")
    page.fill("#text", TEXT)
    page.click("form.card button[type=submit]")
    page.wait_for_selector("summary[data-action=submit]")
    # and submits it, confirming
    page.click("summary[data-action=submit]")
    page.click("button[name=confirm][value=submit]")
    page.wait_for_selector(".state-submitted")
    context.close()
    introduction = ReportIntroduction.objects.get(organization=organization)
    assert introduction.state == State.SUBMITTED and introduction.text == TEXT
    working = shots(browser, live_server, "working", path, "introduction-working")

    # when the second member reviews it, the chief executive sees it to approve
    transition_perform(item=introduction, action=Action.REVIEW, actor=reviewer)
    chief = shots(browser, live_server, "nayok", path, "introduction-chief")
    context, page = session(browser, live_server, "nayok", PHONE, "th")
    page.goto(f"{live_server.url}{path}")
    page.click("summary[data-action=approve]")
    page.click("button[name=confirm][value=approve]")
    page.wait_for_selector(".state-approved")
    context.close()

    # when the publisher opens it and publishes it
    publisher = shots(browser, live_server, "publisher", path, "introduction-publisher")
    context, page = session(browser, live_server, "publisher", DESKTOP, "en")
    page.goto(f"{live_server.url}{path}")
    page.click("summary[data-action=publish]")
    page.click("button[name=confirm][value=publish]")
    page.wait_for_selector(".state-published")
    context.close()

    # then the citizen reads it above the table, on a phone too
    citizen = shots(
        browser, live_server, None, f"/public/{organization.slug}/2564/", "introduction-public"
    )
    context, page = session(browser, live_server, None, PHONE, "th")
    page.goto(f"{live_server.url}/public/{organization.slug}/2564/")
    assert TEXT in page.inner_text("p.introduction")
    context.close()
    assert ReportIntroduction.objects.get(pk=introduction.pk).state == State.PUBLISHED

    # and the auditor reads its whole history on the audit timeline
    timeline = f"/audit/{organization.slug}/introductions/{introduction.pk}/"
    auditor = shots(browser, live_server, "auditor", timeline, "introduction-audit-timeline")
    # and no page scrolls sideways on the phone
    for widths in (working, chief, publisher, citizen, auditor):
        assert widths[("th", "phone")] <= 390 and widths[("en", "phone")] <= 390, widths
