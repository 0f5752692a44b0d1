"""People on the auditor's pages by full name and the position they held when they acted."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.services import position_set
from tests.audit_story import story_build
from tests.test_audit_readable import visible_text

pytestmark = pytest.mark.django_db

POSITIONS = {
    "head": "ผู้อำนวยการกองคลัง",
    "working_group": "นักวิเคราะห์นโยบายและแผน",
    "chief": "นายกองค์การบริหารส่วนตำบลเขาทอง",
    "deputy": "รองนายกองค์การบริหารส่วนตำบลเขาทอง",
    "publisher": "นักประชาสัมพันธ์",
}


@pytest.fixture
def story(world):
    """The year's story with positions set first; the working group's member is promoted
    after it, so the pages must show the position held at each act, not today's."""
    admin = world["admin"]
    for key, title in POSITIONS.items():
        position_set(organization=world.organization, actor=admin, user=world[key], title=title)
    story = story_build(world)
    position_set(
        organization=world.organization, actor=admin, user=world["working_group"],
        title="ปลัดองค์การบริหารส่วนตำบล",
    )  # fmt: skip
    return story


@pytest.fixture
def auditor(world):
    client = Client()
    client.force_login(world["auditor"])
    return client


def test_the_log_names_each_person_with_the_position_held_then(auditor, world, story):
    # when
    page = auditor.get(reverse("audit:home", args=[world.organization.slug]), {"limit": 500})

    # then
    text = visible_text(page.content.decode())
    assert "สุดา รักงาน (นักวิเคราะห์นโยบายและแผน) (ในฐานะ คณะทำงาน)" in text
    assert (
        "วิชัย ช่วยราชการ (รองนายกองค์การบริหารส่วนตำบลเขาทอง)"
        " ปฏิบัติราชการแทนผู้บริหาร (นายก) ประเสริฐ มั่นคง" in text
    )
    # the promotion itself is an entry of the log, said as what it is
    assert "สุดา รักงาน: ปลัดองค์การบริหารส่วนตำบล" in text
    # and the person filter offers her with today's position and her role
    choices = dict(page.context["form"].fields["person"].choices)
    assert choices[world["working_group"].pk] == "สุดา รักงาน (ปลัดองค์การบริหารส่วนตำบล, คณะทำงาน)"


def test_the_timeline_names_the_position_and_the_role_acted_in(auditor, world, story):
    slug = world.organization.slug

    page = auditor.get(reverse("audit:timeline", args=[slug, "measures", story.measure.pk]))
    english = Client()
    english.force_login(world["auditor"])
    english.cookies["django_language"] = "en"
    in_english = english.get(reverse("audit:timeline", args=[slug, "measures", story.measure.pk]))

    text = visible_text(page.content.decode())
    assert "ประเสริฐ มั่นคง (นายกองค์การบริหารส่วนตำบลเขาทอง) (ในฐานะ ผู้บริหาร (นายก))" in text
    assert "มาลี เว็บดี (นักประชาสัมพันธ์) (ในฐานะ ผู้เผยแพร่" in text
    assert "ปลัดองค์การบริหารส่วนตำบล" not in text  # the promotion came after every act here
    english_text = visible_text(in_english.content.decode())
    assert "ประเสริฐ มั่นคง (นายกองค์การบริหารส่วนตำบลเขาทอง) (as Chief executive)" in english_text


def test_the_report_as_of_names_who_approved_and_published_with_positions(auditor, world, story):
    page = auditor.get(reverse("audit:as-of", args=[world.organization.slug]))

    published = page.context["published"]
    assert {p.published_by for p in published} == {"มาลี เว็บดี (นักประชาสัมพันธ์)"}
    assert "ประเสริฐ มั่นคง (นายกองค์การบริหารส่วนตำบลเขาทอง)" in {p.approved_by for p in published}


def test_the_csv_names_the_person_with_the_position_held_then(auditor, world, story):
    response = auditor.get(reverse("audit:export", args=[world.organization.slug, "csv"]))

    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    returned = next(r for r in rows if r["action"] == "return")
    assert returned["actor_name"] == "สุดา รักงาน (นักวิเคราะห์นโยบายและแผน)"
    assert returned["role_label"] == "คณะทำงาน"
    deputy = next(r for r in rows if r["action"] == "approve" and r["acting_for"])
    assert deputy["actor_name"] == "วิชัย ช่วยราชการ (รองนายกองค์การบริหารส่วนตำบลเขาทอง)"
    assert deputy["acting_for"] == "ประเสริฐ มั่นคง"
    promoted = [r for r in rows if r["record_type"] == "approvals.historicalposition"]
    assert len(promoted) == len(POSITIONS) + 1


def test_the_header_shows_the_name_and_position_not_the_username(world):
    position_set(
        organization=world.organization, actor=world["admin"], user=world["head"],
        title="ผู้อำนวยการกองคลัง",
    )  # fmt: skip
    head = world["head"]
    head.first_name, head.last_name = "สมชาย", "ใจดี"
    head.save()
    client = Client()
    client.force_login(head)

    for language in ("th", "en"):
        client.cookies["django_language"] = language
        page = client.get(reverse("workflow:home")).content.decode()
        header = page.split("<main>", 1)[0]
        assert '<span class="me-name">สมชาย ใจดี</span>' in header
        assert '<span class="me-position">ผู้อำนวยการกองคลัง</span>' in header
        assert "(head)" not in header and ">head<" not in header


def _plan(sql: str, params) -> str:
    """PostgreSQL's plan with sequential scans priced out: an index it can use, it shows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(line for (line,) in cursor.fetchall())


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_positions_held_then_are_read_through_the_organizations_index(world, story):
    # given the positions' history of every agency in one table (86,350 rows nationally,
    # bench/national.py: read whole for each row of the CSV, an export took 48 s)
    from audit.present import Positions
    from audit.selectors import LogFilter, _export_sql

    organization = world.organization

    # when the CSV export and the pages look up the positions held
    export_sql, export_params = _export_sql(LogFilter(organization_id=organization.pk), "csv")
    with CaptureQueriesContext(connection) as pages:
        Positions(organization.pk, [world["head"].pk])

    # then both go through the historical positions' (organization, date) index
    assert "hposition_org_dt" in _plan(export_sql, export_params)
    (lookup,) = [q["sql"] for q in pages.captured_queries]
    assert "hposition_org_dt" in _plan(lookup, None)
