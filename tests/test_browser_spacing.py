"""In Chromium: the working group accepts the spacing proposals of the imported seed report,
and the public page and the PDF then read the text as it was written."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from approvals.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.web_helpers import SEED_FILE, People, walk_to_published
from workflow.importing import report_import
from workflow.models import Measure, SpacingProposal
from workflow.services import SPACING_REASON

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "pass-1234"  # tests.factories.UserFactory
TITLE_1 = "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสารการประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน"
FOUND_1 = "ปรับปรุง เว็บไซต์ หน่วยงานเพื่อ เปิดเผยข้อมูล"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see test_browser_flow.py


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(browser, live_server, username, *, locale="th-TH", width=1280, height=900):
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_working_group_accepts_the_spacing_proposals_and_the_public_reads_them(
    browser, live_server, khao_thong, tmp_path
):
    # given the seed report imported as the PDF had it, and the people of the organization
    people = {}
    for name, role in (
        ("working", Role.WORKING_GROUP),
        ("head", Role.DIVISION_HEAD),
        ("nayok", Role.CHIEF_EXECUTIVE),
        ("publisher", Role.PUBLISHER),
        ("auditor", Role.AUDITOR),
    ):
        people[name] = UserFactory(username=name, first_name=name.capitalize())
        divisions = list(khao_thong.divisions.all()) if role == Role.DIVISION_HEAD else None
        MembershipFactory(
            user=people[name], organization=khao_thong, role=role, divisions=divisions
        )
    report_import(source=SEED_FILE, organization=khao_thong, fiscal_year=2564)
    measure_1 = Measure.objects.get(number=1)
    assert measure_1.title.startswith(FOUND_1)

    # when the working group opens the review page from its home page
    working = log_in(browser, live_server, "working")
    shot(working, "spacing-home-working-group")
    working.click("a[href='/spacing/']")
    working.wait_for_selector(".space-removed")
    shot(working, "spacing-review-working-group-th-desktop")
    # (the same page on a phone, in English, and as the auditor sees it)
    phone = log_in(browser, live_server, "working", width=390, height=844)
    phone.goto(f"{live_server.url}/spacing/")
    shot(phone, "spacing-review-working-group-th-phone")
    english = log_in(browser, live_server, "working", locale="en-US")
    english.goto(f"{live_server.url}/spacing/")
    english.select_option("form.language select", "en")  # Thai first until chosen
    english.wait_for_selector("html[lang=en]")
    assert "Accept for this item" in english.content()
    shot(english, "spacing-review-working-group-en-desktop")
    auditor = log_in(browser, live_server, "auditor")
    auditor.goto(f"{live_server.url}/spacing/")
    assert auditor.locator("button[value=accept]").count() == 0
    shot(auditor, "spacing-review-auditor-th-desktop")

    # and corrects nothing, accepting measure 1 on its own, then the rest of the report
    item = working.locator(f"#m{measure_1.pk}")
    assert "ภารกิจต่าง ๆ ของหน่วยงาน" in item.inner_text()
    item.locator("button[value=accept]").click()
    working.wait_for_selector(".messages li")
    assert Measure.objects.get(pk=measure_1.pk).title == TITLE_1
    shot(working, "spacing-review-after-one-item")
    working.click(".spacing-all button")
    working.wait_for_selector(".messages li")
    assert "ไม่มีข้อความที่นำเข้ารอการตรวจสอบช่องว่าง" in working.content()
    assert not SpacingProposal.objects.filter(status="pending").exists()

    # then the measure's history shows the edit with its reason
    working.goto(f"{live_server.url}/measures/{measure_1.pk}/")
    assert SPACING_REASON in working.inner_text(".timeline")
    assert working.inner_text("h1").endswith(TITLE_1)
    shot(working, "spacing-measure-history")

    # and once the measure and its result report are published, the public reads the repair
    walkers = People(
        head=people["head"], working=people["working"], chief=people["nayok"],
        publisher=people["publisher"], auditor=people["auditor"],
    )  # fmt: skip
    walk_to_published(Measure.objects.get(pk=measure_1.pk), walkers)
    walk_to_published(measure_1.result_reports.get(), walkers)
    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    public = visitor.new_page()
    public.goto(f"{live_server.url}/public/khao-thong/2564/")
    page_text = public.inner_text("main")
    assert TITLE_1 in page_text and FOUND_1 not in page_text
    assert "มีการปรับปรุงข้อมูลที่เป็นปัจจุบัน" in page_text  # a result item, repaired too
    shot(public, "spacing-public-report-phone")
    desktop = browser.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    desktop_page = desktop.new_page()
    desktop_page.goto(f"{live_server.url}/public/khao-thong/2564/")
    shot(desktop_page, "spacing-public-report-desktop")
    pdf = desktop_page.request.get(f"{live_server.url}/public/khao-thong/2564/report.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    (SCREENSHOTS / "spacing-public-report.pdf").write_bytes(pdf.body())
    assert shutil.which("pdftotext"), "poppler-utils is needed (make system-deps)"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.body())
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    # the PDF wraps the cell where it must; no line holds the old spaces any more
    assert "ปรับปรุงเว็บไซต์" in text and "ปรับปรุง เว็บไซต์" not in text
    assert "".join(TITLE_1.split()) in "".join(text.split())
