import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import Role
from approvals.services import transition_perform
from audit.context import acting_as
from audit.diff import lines_diff
from audit.models import ChainEntry
from tests.factories import DivisionFactory, MeasureFactory, MembershipFactory
from workflow.models import Action, MeasureMethod

pytestmark = pytest.mark.django_db


def _version_bump(measure):
    measure.version += 1
    measure._change_reason = "edit"
    measure.save()


@pytest.fixture
def story():
    """A measure edited twice and submitted, with an auditor watching."""
    measure = MeasureFactory(methods=["ประชุมคณะทำงาน", "จัดทำประกาศ", "เผยแพร่ประกาศ"])
    org = measure.organization
    old_division = measure.divisions.get()
    head = MembershipFactory(organization=org, role=Role.DIVISION_HEAD, divisions=[old_division])
    auditor = MembershipFactory(organization=org, role=Role.AUDITOR).user
    new_division = DivisionFactory(organization=org, name="กองคลัง")
    with acting_as(user=head.user):
        # as measure_update does: the measure first, then its children, in one transaction
        _version_bump(measure)
        m2 = measure.methods.get(position=2)
        m2.text = "จัดทำประกาศเจตจำนงสุจริต"
        m2.save()
        measure.methods.get(position=3).delete()
        MeasureMethod.objects.create(measure=measure, position=3, text="รายงานผล")
        measure.divisions.add(new_division)
    transition_perform(item=measure, action=Action.SUBMIT, actor=head.user, comment="พร้อมตรวจ")
    return measure, head.user, auditor, new_division


def test_lines_diff_names_added_removed_reworded_and_moved():
    # given
    old = ["ก", "ข", "ค", "ง"]
    new = ["ข", "ก", "ค ใหม่", "จ"]

    # when
    changes = {(c.kind, c.old_text, c.new_text) for c in lines_diff(old, new)}

    # then
    assert ("moved", "ก", "ก") in changes or ("moved", "ข", "ข") in changes
    assert ("reworded", "ค", "ค ใหม่") in changes
    assert ("reworded", "ง", "จ") in changes or {
        ("removed", "ง", None),
        ("added", None, "จ"),
    } <= changes


def test_timeline_shows_children_and_divisions_as_part_of_each_version(client, story):
    # given
    measure, head, auditor, new_division = story
    client.force_login(auditor)

    # when
    response = client.get(
        reverse("audit:api-timeline", args=[measure.organization.slug, "measures", measure.pk])
    )

    # then
    assert response.status_code == 200
    entries = response.json()["results"]
    edit = next(e for e in entries if e["reason"] == "edit")
    assert edit["who"] == head.username
    assert {"field": "version", "old": 1, "new": 2} in edit["diff"]["fields"]
    kinds = {(c["kind"], c["old_text"], c["new_text"]) for c in edit["diff"]["lists"]["methods"]}
    assert kinds == {
        ("reworded", "จัดทำประกาศ", "จัดทำประกาศเจตจำนงสุจริต"),
        ("reworded", "เผยแพร่ประกาศ", "รายงานผล"),
    }
    division_change = [e for e in entries if e["diff"]["sets"].get("divisions")][-1]
    assert division_change["diff"]["sets"]["divisions"] == [[new_division.name], []]
    submit = entries[-1]
    assert submit["action"] == "submit"
    assert submit["roles"] == ["division_head"]
    assert submit["reason"] == "submit: พร้อมตรวจ"
    assert {"field": "state", "old": "drafted", "new": "submitted"} in submit["diff"]["fields"]


def test_timeline_page_renders_for_the_auditor(client, story):
    # given
    measure, _, auditor, _ = story
    client.force_login(auditor)

    # when
    response = client.get(
        reverse("audit:timeline", args=[measure.organization.slug, "measures", measure.pk])
    )

    # then
    assert response.status_code == 200
    assert "จัดทำประกาศเจตจำนงสุจริต" in response.content.decode()


def test_audit_views_refuse_people_who_are_not_auditors_or_admins(client, story):
    # given
    measure, head, _, _ = story
    slug = measure.organization.slug
    outsider_auditor = MembershipFactory(role=Role.AUDITOR).user  # of another organization

    # then
    for user in (head, outsider_auditor):
        client.force_login(user)
        for url in (
            reverse("audit:home", args=[slug]),
            reverse("audit:api-log", args=[slug]),
            reverse("audit:api-export", args=[slug, "csv"]),
            reverse("audit:api-timeline", args=[slug, "measures", measure.pk]),
        ):
            assert client.get(url).status_code == 403, url
    assert client.get(reverse("audit:home", args=["no-such-org"])).status_code == 404
    client.logout()
    assert client.get(reverse("audit:api-log", args=[slug])).status_code in {401, 403}


def test_audit_api_is_read_only(client, story):
    # given
    measure, _, auditor, _ = story
    client.force_login(auditor)

    # when
    response = client.post(reverse("audit:api-log", args=[measure.organization.slug]), {})

    # then
    assert response.status_code == 405


def test_organization_log_pages_by_keyset_and_filters(client, story):
    # given
    measure, head, auditor, new_division = story
    slug = measure.organization.slug
    other = MeasureFactory(organization=measure.organization)
    client.force_login(auditor)
    url = reverse("audit:api-log", args=[slug])

    # when
    seen, cursor = [], None
    while True:
        page = client.get(url, {"limit": 5, **({"after": cursor} if cursor else {})}).json()
        seen += [row["id"] for row in page["results"]]
        cursor = page["next"]
        if not cursor:
            break
    small = client.get(url, {"measure": measure.pk, "action": "submit"}).json()
    by_person = client.get(url, {"person": head.pk}).json()
    by_division = client.get(url, {"division": new_division.pk}).json()
    today = timezone.localdate()
    future = client.get(url, {"date_from": (today + dt.timedelta(days=1)).isoformat()}).json()

    # then
    everything = ChainEntry.objects.filter(organization=measure.organization)
    assert len(seen) == len(set(seen)) == everything.count() > 5
    assert [r["action"] for r in small["results"]] == ["submit"]
    assert by_person["results"] and all(r["actor_id"] == head.pk for r in by_person["results"])
    assert by_division["results"]
    assert all(r["measure_id"] != other.pk for r in by_division["results"])
    assert future["results"] == []


def test_log_export_streams_csv_and_json_lines_for_a_filter(client, story):
    # given
    measure, head, auditor, _ = story
    client.force_login(auditor)
    slug = measure.organization.slug

    # when
    csv_response = client.get(reverse("audit:export", args=[slug, "csv"]))
    jsonl_response = client.get(
        reverse("audit:api-export", args=[slug, "jsonl"]), {"person": head.pk}
    )

    # then
    assert csv_response.streaming
    lines = b"".join(csv_response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("at,seq,actor_id,actor,")
    assert len(lines) - 1 == ChainEntry.objects.filter(organization=measure.organization).count()
    rows = [
        json.loads(line)
        for line in b"".join(jsonl_response.streaming_content).decode().splitlines()
        if line
    ]
    assert rows and all(r["actor_id"] == head.pk for r in rows)
    assert any(r["reason"] == "submit: พร้อมตรวจ" for r in rows)


def test_report_as_of_shows_the_working_copy_of_the_past(client, story):
    # given
    measure, _head, auditor, _ = story
    client.force_login(auditor)
    before_edit = measure.history.earliest().history_date
    later = timezone.now()

    # when
    then = client.get(
        reverse("audit:api-as-of", args=[measure.organization.slug]),
        {"year": measure.fiscal_year.year, "at": (before_edit + dt.timedelta(microseconds=1))},
    ).json()
    now = client.get(
        reverse("audit:api-as-of", args=[measure.organization.slug]),
        {"year": measure.fiscal_year.year, "at": later.isoformat()},
    ).json()
    page = client.get(reverse("audit:as-of", args=[measure.organization.slug]), {"year": 2564})

    # then
    assert [m["state"] for m in then["working"]] == ["drafted"]
    assert [m["state"] for m in now["working"]] == ["submitted"]
    methods_now = [line["text"] for line in now["working"][0]["history_children"]["methods"]]
    assert methods_now == ["ประชุมคณะทำงาน", "จัดทำประกาศเจตจำนงสุจริต", "รายงานผล"]
    assert now["published"] == []
    assert page.status_code == 200


def test_audit_home_shows_chain_head(client, story):
    # given
    measure, _, auditor, _ = story
    client.force_login(auditor)

    # when
    response = client.get(reverse("audit:home", args=[measure.organization.slug]))

    # then
    head = ChainEntry.objects.filter(organization=measure.organization).order_by("seq").last()
    assert response.status_code == 200
    assert head.hash in response.content.decode()


def test_measure_update_service_makes_one_complete_version(client):
    # given
    from workflow.services import measure_update

    measure = MeasureFactory(methods=["ประชุม", "ประกาศ", "รายงาน"])
    org = measure.organization
    head = MembershipFactory(
        organization=org, role=Role.DIVISION_HEAD, divisions=[measure.divisions.get()]
    ).user
    auditor = MembershipFactory(organization=org, role=Role.AUDITOR).user
    versions = measure.history.count()

    # when: one method moved to the front, one reworded
    measure_update(
        measure=measure, actor=head, expected_version=measure.version,
        methods=["รายงาน", "ประชุม", "ประกาศผล"],
    )  # fmt: skip

    # then
    assert measure.history.count() == versions + 1
    client.force_login(auditor)
    entries = client.get(
        reverse("audit:api-timeline", args=[org.slug, "measures", measure.pk])
    ).json()["results"]
    last = entries[-1]
    assert (last["who"], last["reason"]) == (head.username, "edit")
    kinds = {(c["kind"], c["old_text"], c["new_text"]) for c in last["diff"]["lists"]["methods"]}
    assert kinds == {("moved", "รายงาน", "รายงาน"), ("reworded", "ประกาศ", "ประกาศผล")}
