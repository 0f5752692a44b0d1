import datetime as dt
import json
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from approvals.models import Role
from approvals.services import transition_perform
from audit import selectors
from audit.context import acting_as
from audit.diff import lines_diff
from audit.models import ChainEntry
from tests.factories import DivisionFactory, MeasureFactory, MembershipFactory
from workflow.models import Action, Measure, MeasureMethod

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
    entries = response.json()["results"]  # newest first
    edit = [e for e in entries if e["reason"] == "edit"][-1]
    assert edit["who"] == head.username
    assert {"field": "version", "old": 1, "new": 2} in edit["diff"]["fields"]
    kinds = {(c["kind"], c["old_text"], c["new_text"]) for c in edit["diff"]["lists"]["methods"]}
    assert kinds == {
        ("reworded", "จัดทำประกาศ", "จัดทำประกาศเจตจำนงสุจริต"),
        ("reworded", "เผยแพร่ประกาศ", "รายงานผล"),
    }
    division_change = next(e for e in entries if e["diff"]["sets"].get("divisions"))
    assert division_change["diff"]["sets"]["divisions"] == [[new_division.name], []]
    submit = entries[0]
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
    assert "จัดทำประกาศ<ins>เจตจำนงสุจริต</ins>" in response.content.decode()


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
    content = b"".join(csv_response.streaming_content)
    assert content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    lines = content.decode("utf-8-sig").strip().splitlines()
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
    last = entries[0]
    assert (last["who"], last["reason"]) == (head.username, "edit")
    kinds = {(c["kind"], c["old_text"], c["new_text"]) for c in last["diff"]["lists"]["methods"]}
    assert kinds == {("moved", "รายงาน", "รายงาน"), ("reworded", "ประกาศ", "ประกาศผล")}


@pytest.fixture
def long_story(story):
    """The story's measure edited five more times: eight versions or more."""
    measure, head, auditor, _ = story
    with acting_as(user=head):
        for n in range(5):
            measure = Measure.objects.get(pk=measure.pk)
            measure.title = f"ชื่อมาตรการ {n}"
            _version_bump(measure)
    return measure, head, auditor


def _timeline_pages(client, url, limit):
    pages, cursor = [], None
    while True:
        response = client.get(url, {"limit": limit, **({"after": cursor} if cursor else {})})
        assert response.status_code == 200
        pages.append(response.json()["results"])
        cursor = response.json()["next"]
        if not cursor:
            return pages


def test_timeline_pages_newest_first_and_diffs_across_page_boundaries(client, long_story):
    # given
    measure, _, auditor = long_story
    client.force_login(auditor)
    url = reverse("audit:api-timeline", args=[measure.organization.slug, "measures", measure.pk])
    versions = measure.history.count()

    # when
    whole = client.get(url, {"limit": 100}).json()
    pages = _timeline_pages(client, url, limit=3)

    # then
    assert whole["next"] is None
    assert len(whole["results"]) == versions > 6
    assert [len(p) for p in pages[:-1]] == [3] * (len(pages) - 1)
    assert [e for page in pages for e in page] == whole["results"]  # the same diffs
    ids = [e["history_id"] for e in whole["results"]]
    dates = [e["at"] for e in whole["results"]]
    assert dates == sorted(dates, reverse=True) and len(set(ids)) == versions
    assert whole["results"][-1]["kind"] == "created"
    title_change = {"field": "title", "old": "ชื่อมาตรการ 3", "new": "ชื่อมาตรการ 4"}
    assert title_change in whole["results"][0]["diff"]["fields"]


def test_timeline_default_page_is_the_newest_versions(client, long_story):
    # given
    measure, _, auditor = long_story
    client.force_login(auditor)
    url = reverse("audit:api-timeline", args=[measure.organization.slug, "measures", measure.pk])
    newest = measure.history.order_by("-history_date", "-history_id")[: selectors.TIMELINE_PAGE]

    # when
    first = client.get(url).json()

    # then
    assert [e["history_id"] for e in first["results"]] == [h.history_id for h in newest]
    assert (first["next"] is None) == (measure.history.count() <= selectors.TIMELINE_PAGE)


def test_timeline_page_links_to_older_and_back_to_newest_versions(client, long_story):
    # given
    measure, _, auditor = long_story
    client.force_login(auditor)
    url = reverse("audit:timeline", args=[measure.organization.slug, "measures", measure.pk])

    # when
    first = client.get(url, {"limit": 2})
    cursor = first.context["next_cursor"]
    older = client.get(url, {"limit": 2, "after": cursor})

    # then
    assert first.status_code == older.status_code == 200
    page = first.content.decode()
    assert f"after={quote(cursor)}" in page and 'rel="next"' in page
    assert "ชื่อมาตรการ 4" in page and "ชื่อมาตรการ 4" not in older.content.decode()
    assert "?limit=2" in older.content.decode()  # back to the newest versions
    newest_first = measure.history.order_by("-history_date", "-history_id")
    assert [e.history_id for e in older.context["entries"]] == list(
        newest_first.values_list("history_id", flat=True)[2:4]
    )


def test_timeline_refuses_a_bad_page_size(client, story):
    # given
    measure, _, auditor, _ = story
    client.force_login(auditor)
    args = [measure.organization.slug, "measures", measure.pk]

    # then
    for name in ("audit:timeline", "audit:api-timeline"):
        for limit in (0, 101, "x"):
            assert client.get(reverse(name, args=args), {"limit": limit}).status_code == 400


def test_older_timeline_pages_only_for_auditors_and_admins(client, long_story):
    # given
    measure, head, auditor = long_story
    org = measure.organization
    admin = MembershipFactory(organization=org, role=Role.ADMIN).user
    outsider_auditor = MembershipFactory(role=Role.AUDITOR).user
    args = [org.slug, "measures", measure.pk]
    client.force_login(auditor)
    cursor = client.get(reverse("audit:api-timeline", args=args), {"limit": 2}).json()["next"]
    query = {"limit": 2, "after": cursor}

    # then
    for user, status in ((auditor, 200), (admin, 200), (head, 403), (outsider_auditor, 403)):
        client.force_login(user)
        for name in ("audit:timeline", "audit:api-timeline"):
            assert client.get(reverse(name, args=args), query).status_code == status, (user, name)
    client.logout()
    assert client.get(reverse("audit:api-timeline", args=args), query).status_code in {401, 403}
    assert client.get(reverse("audit:timeline", args=args), query).status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's query")
def test_timeline_reads_the_same_without_postgresql(long_story):
    """The fallback for other databases (SQLite in development) reads what the one query does."""
    # given
    measure, _, _ = long_story
    org_id = measure.organization_id
    newest = measure.history.order_by("-history_date", "-history_id")[2]
    position = (newest.history_date, newest.history_id)

    # then
    for at in (None, position):
        pg = selectors._timeline_rows_pg(Measure, measure.pk, org_id, at, 4)
        orm = selectors._timeline_rows_orm(Measure, measure.pk, org_id, at, 4)
        assert pg == orm


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_log_export_runs_without_jit_and_leaves_the_session_as_it_was(story):
    # given a session where JIT would compile every plan (a big organization's export
    # passes jit_above_cost: compiling cost more than running it at national size)
    measure, *_ = story
    with connection.cursor() as cursor:
        cursor.execute("SET jit_above_cost = 0")
    log_filter = selectors.LogFilter(organization_id=measure.organization_id)
    sql, params = selectors._export_sql(log_filter, "jsonl")

    # when the export's statement reports the setting it runs under
    others = ", ".join(["NULL"] * (len(selectors.EXPORT_HEADER) - 1))
    probe = f"SELECT current_setting('jit'), {others} FROM ({sql}) AS e LIMIT 1"
    rows = list(selectors._export_copy(probe, params, "jsonl"))

    # then it ran without JIT, and the session's own setting is back afterwards
    first = json.loads(b"".join(rows).splitlines()[0])
    assert first[selectors.EXPORT_HEADER[0]] == "off"
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit_above_cost")
        assert cursor.fetchone()[0] == "0"


def test_log_export_for_machines_does_not_join_the_accounts(story):
    # given the accounts of every agency in one table (86,350 nationally: joined, PostgreSQL
    # hashed them all for each organization's export, bench/national.py)
    measure, *_ = story
    log_filter = selectors.LogFilter(organization_id=measure.organization_id)

    # when the JSON Lines export is built
    sql, _ = selectors._export_sql(log_filter, "jsonl")

    # then each row's username is looked up by its key, not through a join
    assert "JOIN" not in sql.upper()
    assert '"auth_user"' in sql
