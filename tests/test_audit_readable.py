"""The auditor's pages as a Thai official reads them, after a full year's workflow."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals.models import Role
from audit.models import ChainVerification
from tests.audit_story import report_table, story_build
from tests.roles import PEOPLE
from workflow import thai

pytestmark = pytest.mark.django_db

# words a Thai page may show in Latin letters: the brand, file formats, the language switch
ALLOWED_LATIN = {"itaflow", "CSV", "Excel", "JSON", "Lines", "TH", "EN", "pdf", "PDF", "XLSX"}
INTERNAL = re.compile(
    r"\b(?:workflow|approvals|audit)\.[a-z]+|historical|_id\b|\('|\(\"|"
    r"\b(?:19|20)\d\d\b"  # a Christian-era year
)


class _VisibleText(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or hashes in <code>."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "code", "title"}:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style", "code", "title"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's own content (<main>): the shared header names the login, not a person."""
    if "<main>" in html:
        html = html.split("<main>", 1)[1].split("</main>", 1)[0]
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def assert_reads_as_thai(html: str, where: str) -> None:
    text = visible_text(html)
    latin = set(re.findall(r"[A-Za-z_]{2,}", text)) - ALLOWED_LATIN
    contexts = [text[max(0, text.index(w) - 40) : text.index(w) + 20] for w in sorted(latin)]
    assert not latin, (where, contexts)
    found = INTERNAL.findall(text)
    assert not found, (where, found[:10])


@pytest.fixture
def story(world):
    for name in PEOPLE:  # everyone has a name, as in a real organization
        user = world.users[name]
        user.first_name, user.last_name = f"ชื่อ{PEOPLE.index(name) + 1}", "นามสกุล"
        user.save()
    return story_build(world, snapshots=Client())


@pytest.fixture
def auditor(client, world):
    client.force_login(world["auditor"])
    return client


def _pages(world, story):
    slug = world.organization.slug
    return {
        "log": reverse("audit:home", args=[slug]) + "?limit=500",
        "measure timeline": reverse("audit:timeline", args=[slug, "measures", story.measure.pk])
        + "?limit=100",
        "report timeline": reverse("audit:timeline", args=[slug, "reports", story.report.pk])
        + "?limit=100",
        "as of now": reverse("audit:as-of", args=[slug]),
        **{
            f"as of {label}": reverse("audit:as-of", args=[slug]) + f"?at={at.isoformat()}"
            for label, at, _table in story.moments
        },
    }


def test_every_history_row_of_a_full_year_reads_in_thai(auditor, world, story):
    # given: every kind of row (see tests/audit_story.py)
    pages = _pages(world, story)

    # when
    responses = {name: auditor.get(url.replace("+", "%2B")) for name, url in pages.items()}

    # then
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert_reads_as_thai(response.content.decode(), name)
    log = visible_text(responses["log"].content.decode())
    number = thai.to_thai_digits(story.measure.number)
    for expected in (
        "ส่งกลับแก้ไข", "ขอให้ระบุช่องทางเผยแพร่", f"ผลการดำเนินการ มาตรการข้อ {number}",
        "คณะทำงาน: บุญมี แทนได้", "กองการศึกษา ศาสนาและวัฒนธรรม",
        "ปฏิบัติราชการแทนผู้บริหาร (นายก) ประเสริฐ มั่นคง", "เอกสารหลักฐาน “คำสั่งแต่งตั้ง.pdf”",
    ):  # fmt: skip
        assert expected in log, expected
    timeline = visible_text(responses["measure timeline"].content.decode())
    assert "วิธีการดำเนินการ: เพิ่ม ๑ ข้อ, แก้ไข ๑ ข้อ" in timeline
    assert "หน่วยงานที่รับผิดชอบ: เพิ่ม กองการศึกษา ศาสนาและวัฒนธรรม" in timeline
    assert "หน่วยงานที่รับผิดชอบ: นำออก กองการศึกษา ศาสนาและวัฒนธรรม" in timeline
    assert "อนุมัติ (ตรวจทานแล้ว → อนุมัติแล้ว)" in timeline
    assert "วิชัย ช่วยราชการ ปฏิบัติราชการแทนผู้บริหาร (นายก) ประเสริฐ มั่นคง" in timeline
    report = visible_text(responses["report timeline"].content.decode())
    assert "เอกสารหลักฐาน: เพิ่ม คำสั่งแต่งตั้ง.pdf" in report
    assert "ผลการดำเนินการ: เพิ่ม ๑ ข้อ, แก้ไข ๑ ข้อ" in report


def test_item_pages_history_box_names_the_parts_changed(client, world, story):
    # given
    client.force_login(world["head"])

    # when
    page = client.get(reverse("workflow:measure-detail", args=[story.measure.pk])).content
    box = page.decode().split("ประวัติการแก้ไข", 1)[1].split("</section>", 1)[0]

    # then
    assert "วิธีการดำเนินการ: เพิ่ม ๑ ข้อ, แก้ไข ๑ ข้อ" in box
    assert "หน่วยงานที่รับผิดชอบ: นำออก กองการศึกษา ศาสนาและวัฒนธรรม" in box
    assert "ปฏิบัติราชการแทน" in box
    assert "ลำดับการแก้ไข" not in box
    assert_reads_as_thai(box, "history box")


def test_english_pages_use_english_labels_and_christian_era_dates(auditor, world, story):
    # given
    auditor.cookies["django_language"] = "en"
    url = reverse("audit:timeline", args=[world.organization.slug, "measures", story.measure.pk])

    # when
    text = visible_text(auditor.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())

    # then
    year = timezone.localdate().year
    assert f" {year} " in text
    assert "Methods: 1 added, 1 reworded" in text
    assert "acting for the Chief executive" in text
    assert thai.to_thai_digits(year + 543) not in text


def test_report_as_of_equals_the_public_page_served_then(auditor, world, story):
    # given: the public table saved at each moment of the story
    url = reverse("audit:as-of", args=[world.organization.slug])

    # when
    then = {
        label: report_table(auditor.get(url, {"at": at.isoformat()}).content.decode())
        for label, at, _table in story.moments
    }

    # then
    for label, _at, served in story.moments:
        assert then[label] == served, label
    assert then["measure published"] != then["revision published"]
    assert then["revision in progress"] == then["results published"]  # the draft is not public
    assert "เผยแพร่ประกาศทางเว็บไซต์และเฟซบุ๊ก" in then["revision published"]


def test_report_as_of_lists_what_was_not_yet_published(auditor, world, story):
    # given
    at = {label: at for label, at, _ in story.moments}["revision in progress"]

    # when
    page = auditor.get(reverse("audit:as-of", args=[world.organization.slug]), {"at": at})

    # then
    text = visible_text(page.content.decode())
    unpublished = text.split("รายการที่ยังไม่เผยแพร่ในขณะนั้น", 1)[1]
    number = thai.to_thai_digits(story.measure.number)
    assert f"มาตรการข้อ {number}" in unpublished and "สถานะ: ร่าง" in unpublished
    versions = text.split("ฉบับที่เผยแพร่อยู่ในขณะนั้นของแต่ละรายการ", 1)[1]
    assert "มาลี เว็บดี" in versions  # who published it


@pytest.mark.parametrize(
    "typed", ["01/12/2569", "1 ธ.ค. 2569", "๑ ธันวาคม ๒๕๖๙ ๑๔:๓๐ น.", "1/12/69 14:30"]
)
def test_report_as_of_reads_typed_thai_dates(auditor, world, typed):
    # when
    page = auditor.get(reverse("audit:as-of", args=[world.organization.slug]), {"at": typed})

    # then
    assert page.status_code == 200
    assert "๑ ธ.ค. ๒๕๖๙" in visible_text(page.content.decode())


@pytest.mark.parametrize("typed", ["01/12/2026", "31/02/2569", "เมื่อวาน", "2569/12/01"])
def test_report_as_of_refuses_an_unreadable_date_and_shows_the_form(auditor, world, typed):
    # when
    page = auditor.get(reverse("audit:as-of", args=[world.organization.slug]), {"at": typed})

    # then
    text = visible_text(page.content.decode())
    assert page.status_code == 400
    assert "วว/ดด/ปปปป ชช:นน (พ.ศ.)" in text and "๓๑๑๒" not in text


def test_log_filters_take_thai_dates_names_and_thai_choices(auditor, world, story):
    # given
    url = reverse("audit:home", args=[world.organization.slug])
    today = thai.format_date(timezone.localdate(), digits="arabic", full=False)

    # when
    by_date = auditor.get(url, {"date_from": today, "date_to": today, "limit": 500})
    returned = auditor.get(url, {"action": "return", "person": world["working_group"].pk})
    to_approved = auditor.get(url, {"state": "approved"})
    by_division = auditor.get(url, {"division": story.new_division.pk})
    by_report = auditor.get(url, {"report": story.report.pk, "measure": story.measure.pk})
    refused = auditor.get(url, {"date_from": "32/13/2569"})

    # then
    assert len(by_date.context["rows"]) > 20
    rows = returned.context["rows"]
    assert [r.action for r in rows] == ["ส่งกลับแก้ไข"]
    assert rows[0].reason == "ขอให้ระบุช่องทางเผยแพร่"
    assert {r.action for r in to_approved.context["rows"]} == {"อนุมัติ"}
    assert len(to_approved.context["rows"]) == 3
    assert by_division.context["rows"]
    assert all("ผลการดำเนินการ" in r.item for r in by_report.context["rows"])
    active = returned.context["active_filters"]
    assert [(label, value) for label, value, _ in active] == [
        ("บุคคล", "สุดา รักงาน (คณะทำงาน)"),
        ("การดำเนินการ", "ส่งกลับแก้ไข"),
    ]
    assert [rest for _, _, rest in active] == [
        "action=return",
        f"person={world['working_group'].pk}",
    ]
    assert refused.status_code == 200 and refused.context["rows"] == []
    assert "วว/ดด/ปปปป (พ.ศ.)" in visible_text(refused.content.decode())


def test_csv_export_has_a_bom_bangkok_times_and_human_columns(auditor, world, story):
    # given
    slug = world.organization.slug

    # when
    csv_bytes = b"".join(auditor.get(reverse("audit:export", args=[slug, "csv"])).streaming_content)
    jsonl = b"".join(auditor.get(reverse("audit:export", args=[slug, "jsonl"])).streaming_content)

    # then
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert all(r["at"].endswith("+07:00") for r in rows)
    approval = next(r for r in rows if r["action"] == "approve" and r["acting_for"])
    assert approval["action_label"] == "อนุมัติ"
    assert approval["actor_name"] == "วิชัย ช่วยราชการ"
    assert approval["role_label"] == "ผู้บริหาร (นายก)"
    assert approval["acting_for"] == "ประเสริฐ มั่นคง"
    assert {r["action_label"] for r in rows} >= {"สร้าง", "แก้ไข", "เสนอ", "เผยแพร่"}
    machine = [json.loads(line) for line in jsonl.decode().splitlines() if line]
    assert len(machine) == len(rows)
    assert all(m["at"].endswith("+00:00") for m in machine)
    assert "action_label" not in machine[0]


def test_verify_now_runs_the_check_as_a_task_and_shows_who_asked(auditor, world, tasks_in_process):
    # given
    slug = world.organization.slug

    # when
    started = auditor.post(reverse("audit:verify", args=[slug]), HTTP_HX_REQUEST="true")
    home = auditor.get(reverse("audit:home", args=[slug]))

    # then
    check = ChainVerification.objects.get(organization=world.organization)
    assert check.ok and check.requested_by == world["auditor"]
    fragment = started.content.decode()
    assert "ครบถ้วน ไม่ถูกแก้ไข" in fragment and "hx-trigger" not in fragment
    last = visible_text(home.content.decode()).split("ตรวจสอบล่าสุด", 1)[1][:80]
    assert world["auditor"].get_username() in last  # the person who asked (no full name here)


def test_chain_status_polls_until_the_asked_check_has_run(auditor, world):
    # given: a check asked for a moment ago, not yet run by a worker
    since = timezone.now().isoformat()
    url = reverse("audit:chain", args=[world.organization.slug])

    # when
    waiting = auditor.get(url, {"since": since}).content.decode()
    from audit.chain import verification_record

    verification_record(world.organization.pk, requested_by=world["auditor"])
    done = auditor.get(url, {"since": since}).content.decode()

    # then
    assert 'hx-trigger="every 2s"' in waiting and "กำลังตรวจสอบ" in waiting
    assert "hx-trigger" not in done and "ครบถ้วน" in done


def test_nightly_check_is_shown_as_the_nightly_check(auditor, world):
    # given
    from audit.tasks import audit_verify_all

    audit_verify_all.apply()

    # when
    text = visible_text(
        auditor.get(reverse("audit:home", args=[world.organization.slug])).content.decode()
    )

    # then
    assert "ผู้ดำเนินการ การตรวจสอบอัตโนมัติประจำคืน" in text


@pytest.mark.parametrize(
    "who, status",
    [("auditor", 302), ("admin", 302), ("head", 403), ("working_group", 403),
     ("chief", 403), ("publisher", 403), ("outsider", 403)],
)  # fmt: skip
def test_verify_now_and_chain_status_role_by_role(client, world, tasks_in_process, who, status):
    # given
    slug = world.organization.slug
    client.force_login(world[who])

    # when
    posted = client.post(reverse("audit:verify", args=[slug]))
    polled = client.get(reverse("audit:chain", args=[slug]))

    # then
    assert posted.status_code == status
    assert polled.status_code == (200 if status == 302 else 403)
    assert ChainVerification.objects.exists() == (status == 302)


def test_verify_now_is_a_post_and_needs_a_login(client, world):
    # given
    url = reverse("audit:verify", args=[world.organization.slug])

    # then
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(world["auditor"])
    assert client.get(url).status_code == 405


@pytest.mark.parametrize(
    "who, shown", [("auditor", True), ("admin", True), ("head", False), ("publisher", False)]
)
def test_header_shows_the_audit_entry_to_those_who_may_audit(client, world, who, shown):
    # given
    client.force_login(world[who])

    # when
    page = client.get(reverse("workflow:home")).content.decode()

    # then
    link = f'href="{reverse("audit:home", args=[world.organization.slug])}"'
    assert (link in page) == shown
    assert ("ตรวจสอบ</a>" in page) == shown
    assert world.other_organization.slug not in page


def test_a_member_with_an_audit_role_elsewhere_sees_only_that_organization(client, world):
    # given
    from tests.factories import MembershipFactory

    MembershipFactory(user=world["head"], organization=world.other_organization, role=Role.AUDITOR)
    client.force_login(world["head"])

    # when
    page = client.get(reverse("workflow:home")).content.decode()

    # then
    assert reverse("audit:home", args=[world.other_organization.slug]) in page
    assert reverse("audit:home", args=[world.organization.slug]) not in page


def test_auditor_home_shows_the_chain_and_recent_activity(auditor, world, story, tasks_in_process):
    # given the chain checked once
    auditor.post(reverse("audit:verify", args=[world.organization.slug]))

    # when
    text = visible_text(auditor.get(reverse("workflow:home")).content.decode())

    # then
    audit_card = text.split("ตรวจสอบ · อบต.เขาทอง ทดสอบ", 1)[1]
    assert "ครบถ้วน ไม่ถูกแก้ไข" in audit_card and "อรทัย ตรวจตรา" in audit_card
    recent = audit_card.split("ความเคลื่อนไหวล่าสุด", 1)[1]
    assert "มาลี เว็บดี · เผยแพร่" in recent  # the last thing done: the revision published
    assert "ตรวจสอบเดี๋ยวนี้" in audit_card
