"""The working group in Chromium: open 2565 from 2564, enter the ITA 2564 result, analyse it,
and the analysis goes through review, approval and publication to the public page's chart."""

import os
from io import StringIO

import pytest
from django.core.management import call_command

from tests.test_browser_flow import shot


def take(page, action: str) -> None:
    """The analysis page's action button (its actions need no confirmation step)."""
    page.click(f"form:has(input[name=action][value={action}]) button[type=submit]")
    page.wait_for_selector(".messages li")


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "itaflow-2564"  # seed_demo
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# อบจ.นครสวรรค์'s ITA 2564 total and indicator 1; the other indicator scores are illustrative
SCORES = ["97.68", "98.10", "97.95", "96.40", "95.22", "93.80", "82.50", "91.35", "100", "98.75"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def log_in(browser, live_server, username: str, viewport=DESKTOP, locale="th-TH"):
    context = browser.new_context(viewport=viewport, locale=locale)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_working_group_opens_2565_and_publishes_the_analysis_with_its_chart(browser, live_server):
    # given อบต.เขาทอง as seeded: seven measures of 2564 with their indicators
    call_command("seed_demo", stdout=StringIO())
    from workflow.assessment import AnalysisPublication
    from workflow.models import Measure

    # when the working group opens 2565 from 2564 with every measure ticked
    working = log_in(browser, live_server, "working")
    working.click("a[href='/ita/']")
    shot(working, "ita-home-working-group")
    working.select_option("select[name=from]", "2564")
    working.click("form:has(select[name=from]) button")
    assert working.locator("input[name=measures]:checked").count() == 7
    shot(working, "ita-year-open")
    working.click("main form button[type=submit]")
    working.wait_for_selector(".messages li")
    assert Measure.objects.filter(fiscal_year__year=2565).count() == 7

    # and enters the ITA 2564 result, then analyses it
    working.goto(f"{live_server.url}/ita/")
    working.select_option("select[name=year]", "2564")
    working.click("form:has(select[name=year]) button")
    working.fill("#score", "๙๖.๘๗")
    for number, score in enumerate(SCORES, start=1):
        working.fill(f"#indicator_{number}", score)
    shot(working, "ita-result-form")
    working.click("main form button[type=submit]")
    working.wait_for_selector(".messages li")
    working.click("form:has(select[name=fiscal_year]) button")
    working.wait_for_selector(".ita-indicators")
    # indicator 7 (82.50) is answered by the seed's measure 1, so nothing is flagged
    assert working.locator(".card.warning").count() == 0
    working.click("a[href$='/edit/']")
    working.fill("#issues_1", "ควรเผยแพร่ขั้นตอนการปฏิบัติงานให้ชัดเจน")
    working.fill("#issues_7", "ปรับปรุงช่องทางการสื่อสารกับประชาชน")
    working.fill("#summary", "นำประเด็นที่ต้องปรับปรุงมากำหนดเป็นมาตรการประจำปีงบประมาณ พ.ศ. ๒๕๖๕")
    working.click("main form button[type=submit]")
    working.wait_for_selector(".messages li")
    analysis_url = working.url
    shot(working, "ita-analysis-drafted")
    take(working, "submit")

    # then the second member reviews, the chief approves, the publisher publishes
    for username, action in (
        ("working2", "review"),
        ("nayok", "approve"),
        ("publisher", "publish"),
    ):
        page = log_in(browser, live_server, username)
        page.goto(f"{live_server.url}/ita/")
        assert page.locator(".flag", has_text="รอท่านดำเนินการ").count() == 1
        page.goto(analysis_url)
        shot(page, f"ita-analysis-{username}-before-{action}")
        take(page, action)
        page.context.close()
    assert AnalysisPublication.objects.count() == 1

    # and the public page of 2565 shows the analysis, its chart and the O42 address
    for name, viewport, locale in (
        ("public-ita-2565-desktop-th", DESKTOP, "th-TH"),
        ("public-ita-2565-phone-th", PHONE, "th-TH"),
    ):
        context = browser.new_context(viewport=viewport, locale=locale)
        public = context.new_page()
        public.goto(f"{live_server.url}/public/khao-thong/2565/")
        assert public.locator(".ita-analysis svg rect").count() >= 10
        assert "๙๖.๘๗" in public.inner_text(".ita-analysis")
        assert "O42" in public.inner_text(".oit-addresses")
        shot(public, name)
        context.close()
    phone = log_in(browser, live_server, "working", viewport=PHONE)
    phone.goto(f"{live_server.url}/ita/")
    shot(phone, "ita-home-phone-th")
    phone.goto(analysis_url)
    shot(phone, "ita-analysis-published-phone-th")
    phone.context.close()
    english = log_in(browser, live_server, "working", viewport=PHONE, locale="en-US")
    english.goto(analysis_url)
    english.select_option("select[name=language]", "en")
    english.wait_for_load_state()
    shot(english, "ita-analysis-published-phone-en")
    english.goto(f"{live_server.url}/public/khao-thong/2565/oit/O42/")
    assert english.locator(".ita-analysis svg").count() == 1
    shot(english, "public-oit-o42-phone-en")
