"""The published report in Chromium: the phone page does not scroll sideways, the code is
checked on the verification page, and on paper only the document is printed."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.web_helpers import SEED_MEASURES, published_report
from workflow import selectors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see test_browser_flow.py


def test_public_report_on_a_phone_wraps_the_code_and_prints_only_the_document(
    browser, live_server, organization
):
    # given a published report
    published_report(organization, measures=SEED_MEASURES[:2])
    newest = selectors.newest_publication(organization_slug=organization.slug, year=2564)
    code = selectors.verification_code(newest.chain_head)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    page = phone.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # when a citizen opens it on a phone and follows the verification code
    page.goto(f"{live_server.url}/public/{organization.slug}/2564/")
    report_width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(SCREENSHOTS / "public-document-phone.png"), full_page=True)
    page.click(".verification a.code")
    page.wait_for_selector(".verification-facts")
    verify_width = page.evaluate("document.documentElement.scrollWidth")
    verify_text = page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "public-verify-phone.png"), full_page=True)

    # then neither page scrolls sideways, and the code is found and verifies
    assert report_width <= 390
    assert verify_width <= 390
    assert code in verify_text
    assert newest.chain_head in verify_text.replace("\n", "")
    assert "รหัสนี้ตรงกับรายงานฉบับที่เผยแพร่ในปัจจุบัน" in verify_text
    assert "ครบถ้วนถูกต้อง" in verify_text

    # when the page is printed
    page.goto(f"{live_server.url}/public/{organization.slug}/2564/")
    page.emulate_media(media="print")
    on_paper = page.evaluate(
        """['.site-header', 'form.language', '.downloads', '.meta', 'table.report', '.signature']
            .map(s => document.querySelector(s).getClientRects().length > 0)"""
    )

    # then the header, the language switch, the downloads and the lists are not on paper
    assert on_paper == [False, False, False, False, True, True]
    phone.close()
