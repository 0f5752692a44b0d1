"""An auditor in Chromium, Thai and English, desktop and phone: the log and its filters, an
item's timeline, the report as of a date before and after a revision, verify now, exports."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.audit_story import story_build
from tests.roles import PEOPLE, world_build
from tests.web_helpers import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see test_browser_flow.py


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(browser, live_server, username: str, viewport=DESKTOP):
    return browser_log_in(browser, live_server, username, viewport)


def typed_be(moment: dt.datetime) -> str:
    """A moment as an official would type it, to the microsecond: `02/12/2569 04:59:30.123456`."""
    local = timezone.localtime(moment)
    return f"{local:%d/%m}/{local.year + 543} {local:%H:%M:%S.%f}"


def test_an_auditor_reads_the_trail_in_the_browser(browser, live_server, tasks_in_process):
    # given a full year's workflow (tests/audit_story.py)
    world = world_build()
    for name in PEOPLE:
        user = world.users[name]
        user.first_name, user.last_name = f"ชื่อ{PEOPLE.index(name) + 1}", "นามสกุล"
        user.save()
    story = story_build(world)
    moments = dict(story.moments)
    slug = world.organization.slug
    audit = f"{live_server.url}/audit/{slug}/"

    # when the auditor follows the header's entry
    page = log_in(browser, live_server, "auditor")
    shot(page, "audit-entry-home-th")
    page.click("header a:text-is('ตรวจสอบ')")
    page.wait_for_url(audit)
    assert "ยังไม่เคยตรวจสอบ" in page.content()

    # and checks the chain now
    page.click("section.chain button")
    page.wait_for_selector("section.chain .ok")
    status = page.inner_text("section.chain")
    assert "ครบถ้วน ไม่ถูกแก้ไข" in status and "อรทัย ตรวจตรา" in status
    shot(page, "audit-home-verified-th-desktop")

    # and filters the log: a date picked on the BE calendar, an action, a person by name
    page.click(".audit-filters label:has(#id_date_from) .calendar-button")
    today = timezone.localdate()
    page.select_option(".be-calendar select >> nth=1", str(today.year))
    page.click(f".be-calendar-grid button[data-day='{today.day}']")
    picked = page.input_value("#id_date_from")
    assert picked == f"{today:%d/%m}/{today.year + 543}"
    page.select_option("#id_action", label="ส่งกลับแก้ไข")
    page.fill(".audit-filters label:has(#id_person) input[type=search]", "สุดา")
    page.click(".audit-filters button[type=submit]")
    page.wait_for_selector(".active-filters")
    rows = page.inner_text("table.audit-log tbody")
    assert "ส่งกลับแก้ไข" in rows and "ขอให้ระบุช่องทางเผยแพร่" in rows
    assert "สุดา รักงาน" in page.inner_text(".active-filters")
    shot(page, "audit-log-filtered-th-desktop")
    with page.expect_navigation():  # the action filter removed, the person kept
        page.click(".active-filters a.chip:has-text('การดำเนินการ')")
    assert "action=" not in page.url and "person=" in page.url
    for field, label in (
        ("#id_division", "กองการศึกษา ศาสนาและวัฒนธรรม"),
        ("#id_state", "อนุมัติแล้ว"),
    ):
        page.goto(audit)
        page.select_option(field, label=label)
        page.click(".audit-filters button[type=submit]")
        page.wait_for_selector(".active-filters")
        assert page.locator("table.audit-log tbody tr").count() >= 1
        assert "ไม่มีบันทึก" not in page.inner_text("table.audit-log tbody")
    page.goto(audit)
    page.fill("#id_date_from", "31/31/2569")
    page.click(".audit-filters button[type=submit]")
    assert "วว/ดด/ปปปป (พ.ศ.)" in page.inner_text(".audit-filters")

    # and downloads both exports
    page.goto(audit)
    with page.expect_download() as csv_download:
        page.click("a:has-text('CSV')")
    content = Path(csv_download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and b"+07:00" in content
    assert "ปฏิบัติราชการแทน".encode() not in content  # names, not phrases, in the columns
    assert "ประเสริฐ มั่นคง".encode() in content
    with page.expect_download() as jsonl_download:
        page.click("a:has-text('JSON Lines')")
    lines = Path(jsonl_download.value.path()).read_text().splitlines()
    assert "approve" in {json.loads(line)["action"] for line in lines}

    # and reads the measure's and the result report's timelines
    page.goto(f"{audit}measures/{story.measure.pk}/")
    timeline = page.inner_text("main")
    assert "ปฏิบัติราชการแทนผู้บริหาร (นายก) ประเสริฐ มั่นคง" in timeline
    assert "วิธีการดำเนินการ: เพิ่ม ๑ ข้อ, แก้ไข ๑ ข้อ" in timeline
    shot(page, "audit-timeline-measure-th-desktop")
    page.goto(f"{audit}reports/{story.report.pk}/")
    page.click("details.detail summary >> nth=0")
    assert "เอกสารหลักฐาน: เพิ่ม คำสั่งแต่งตั้ง.pdf" in page.inner_text("main")
    shot(page, "audit-timeline-report-th-desktop")

    # and the report as of a date, typed in BE, before and after the revision was published
    for label, name in (("revision in progress", "before"), ("revision published", "after")):
        page.goto(f"{audit}as-of/")
        page.fill("#id_at", typed_be(moments[label]))
        page.click("main form button[type=submit]")
        page.wait_for_selector("table.report")
        table = page.inner_text("table.report")
        assert ("เผยแพร่ประกาศทางเว็บไซต์และเฟซบุ๊ก" in table) == (name == "after")
        assert "เผยแพร่ประกาศทางเว็บไซต์" in table
        shot(page, f"audit-as-of-{name}-revision-th-desktop")
    assert "รายการที่ยังไม่เผยแพร่ในขณะนั้น" in page.content()
    page.fill("#id_at", "01/12/2026")
    page.click("main form button[type=submit]")
    assert "พุทธศักราช" in page.inner_text("main form")
    shot(page, "audit-as-of-refused-th-desktop")

    # then the same pages in English
    page.goto(f"{audit}measures/{story.measure.pk}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang=en]")
    english = page.inner_text("main")
    assert "Methods: 1 added, 1 reworded" in english and "acting for the Chief executive" in english
    assert str(timezone.localdate().year) in english
    shot(page, "audit-timeline-measure-en-desktop")
    page.goto(audit)
    shot(page, "audit-home-en-desktop")
    page.goto(f"{audit}as-of/?at={moments['revision published'].isoformat().replace('+', '%2B')}")
    shot(page, "audit-as-of-en-desktop")

    # and on a phone, in Thai
    phone = log_in(browser, live_server, "auditor", viewport=PHONE)
    for path, name in (
        ("", "audit-home-th-phone"),
        (f"measures/{story.measure.pk}/", "audit-timeline-measure-th-phone"),
        (f"as-of/?at={moments['revision published'].isoformat().replace('+', '%2B')}",
         "audit-as-of-th-phone"),
    ):  # fmt: skip
        phone.goto(f"{audit}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, name
        shot(phone, name)
    phone.goto(f"{live_server.url}/")
    shot(phone, "audit-entry-home-th-phone")

    # and the organization admin sees the entry too; a division head does not
    admin = log_in(browser, live_server, "admin")
    assert admin.locator("header a:text-is('ตรวจสอบ')").count() == 1
    head = log_in(browser, live_server, "head")
    assert head.locator("header a:text-is('ตรวจสอบ')").count() == 0
    head.goto(f"{live_server.url}/measures/{story.measure.pk}/")
    assert "ปฏิบัติราชการแทน" in head.inner_text("main")
    shot(head, "measure-history-box-th-desktop")


THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.",
               "พ.ย.", "ธ.ค.")  # fmt: skip


def _rows(page) -> list[list[str]]:
    """The log's rows as the cells' text; [] when the list says nothing matched."""
    cells = page.eval_on_selector_all(
        "table.audit-log tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))",
    )
    return [row for row in cells if len(row) == 6]


def _filter(page, audit: str, pick) -> list[list[str]]:
    """Open the unfiltered log, set one filter as a person would, send the form."""
    page.goto(audit)
    pick(page)
    with page.expect_navigation():
        page.click(".audit-filters button[type=submit]")
    return _rows(page)


def _removed(page, label: str) -> list[list[str]]:
    """Press the ✕ of the active filter named `label`; the list is whole again."""
    chip = page.locator(f".active-filters a.chip:has-text('{label}')")
    assert chip.count() == 1, label
    with page.expect_navigation():
        chip.click()
    assert page.locator(".active-filters").count() == 0, label
    return _rows(page)


def test_an_auditor_narrows_the_log_with_each_filter(browser, live_server):
    # given a full year's workflow, with names and positions
    world = world_build()
    story = story_build(world)
    from approvals.services import position_set

    position_set(
        organization=world.organization, actor=world["admin"], user=world["working_group"],
        title="นักวิเคราะห์นโยบายและแผน",
    )  # fmt: skip
    slug = world.organization.slug
    audit = f"{live_server.url}/audit/{slug}/"
    today = timezone.localdate()
    be = today.year + 543
    from workflow import thai

    number = thai.to_thai_digits(story.measure.number)
    page = log_in(browser, live_server, "auditor")
    page.goto(audit)
    whole = _rows(page)
    assert len(whole) == 50  # the first page of a longer log

    # when the auditor picks each filter in turn, the list narrows, the filter is shown
    # above it, and its ✕ gives the whole list back
    checks = {
        "จาก": (
            lambda p: p.fill("#id_date_from", f"{today.day} {THAI_MONTHS[today.month - 1]} {be}"),
            lambda rows: rows == whole,  # everything happened today
        ),
        "ถึง": (
            lambda p: p.fill(
                "#id_date_to", thai.to_thai_digits(f"{today - dt.timedelta(days=1):%d/%m}/{be}")
            ),
            lambda rows: rows == [],  # nothing before today
        ),
        "บุคคล": (
            lambda p: (
                p.fill(".audit-filters label:has(#id_person) input[type=search]", "สุดา"),
                p.select_option("#id_person", str(world["working_group"].pk)),
            ),
            lambda rows: rows and all(r[1].startswith("สุดา รักงาน") for r in rows),
        ),
        "การดำเนินการ": (
            lambda p: p.select_option("#id_action", label="ส่งกลับแก้ไข"),
            lambda rows: (
                [r[2] for r in rows] == ["ส่งกลับแก้ไข"] and rows[0][4] == "ขอให้ระบุช่องทางเผยแพร่"
            ),
        ),
        "สถานะ": (
            lambda p: p.select_option("#id_state", label="อนุมัติแล้ว"),
            lambda rows: len(rows) == 3 and {r[2] for r in rows} == {"อนุมัติ"},
        ),
        "กอง": (
            lambda p: p.select_option("#id_division", label="กองการศึกษา ศาสนาและวัฒนธรรม"),
            lambda rows: 0 < len(rows) < len(whole),
        ),
        "มาตรการ": (
            lambda p: p.select_option("#id_measure", str(story.measure.pk)),
            lambda rows: rows and all(f"มาตรการข้อ {number}" in r[3] for r in rows),
        ),
        "รายงานผล": (
            lambda p: p.select_option("#id_report", str(story.report.pk)),
            lambda rows: rows and all(f"ผลการดำเนินการ มาตรการข้อ {number}" in r[3] for r in rows),
        ),
    }
    labels = {}
    for name, (pick, narrowed) in checks.items():
        rows = _filter(page, audit, pick)
        assert narrowed(rows), (name, rows[:3])
        active = page.inner_text(".active-filters")
        labels[name] = active
        shot(page, f"i13b/audit-log-filter-{len(labels)}-th-desktop")
        # the chip's label is the field's own label
        chip_label = page.inner_text(".active-filters a.chip").split(":", 1)[0].strip()
        assert _removed(page, chip_label) == whole, name
    assert "สุดา รักงาน (นักวิเคราะห์นโยบายและแผน, คณะทำงาน)" in labels["บุคคล"]
    assert f"มาตรการข้อ {number}" in labels["มาตรการ"]
    assert f"ผลการดำเนินการ มาตรการข้อ {number}" in labels["รายงานผล"]

    # and two filters at once narrow further; removing one keeps the other
    page.goto(audit)
    page.select_option("#id_measure", str(story.measure.pk))
    page.select_option("#id_action", label="อนุมัติ")
    with page.expect_navigation():
        page.click(".audit-filters button[type=submit]")
    both = _rows(page)
    # the measure, its revision and its result report (the measure's items include its reports)
    assert len(both) == 3 and {r[2] for r in both} == {"อนุมัติ"}
    assert "ประเสริฐ มั่นคง" in " ".join(r[1] for r in both)
    with page.expect_navigation():
        page.click(".active-filters a.chip:has-text('การดำเนินการ')")
    assert "measure=" in page.url and "action=" not in page.url
    assert len(_rows(page)) > len(both)

    # then the same in English and on a phone: the measure and report filters
    for language, viewport, size in (
        ("en", DESKTOP, "desktop"), ("th", PHONE, "phone"), ("en", PHONE, "phone"),
    ):  # fmt: skip
        other = log_in(browser, live_server, "auditor", viewport=viewport)
        if language == "en":
            other.context.add_cookies(
                [{"name": "django_language", "value": "en", "url": live_server.url}]
            )
        for field, pk, words in (
            (
                "#id_measure",
                story.measure.pk,
                f"measure {story.measure.number}" if language == "en" else f"มาตรการข้อ {number}",
            ),
            ("#id_report", story.report.pk, "results of" if language == "en" else "ผลการดำเนินการ"),
        ):
            rows = _filter(other, audit, lambda p, f=field, v=pk: p.select_option(f, str(v)))
            assert rows and all(words in r[3].lower() for r in rows), (language, size, field)
            assert other.locator(".active-filters a.chip").count() == 1
            width = other.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, (language, size, field, width)
            shot(other, f"i13b/audit-log-{field[4:]}-{language}-{size}")
        other.context.close()
