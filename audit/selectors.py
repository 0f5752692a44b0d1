"""Reads for auditors: an item's timeline, the organization log, the report as of a date, export.

All read plain rows (`values()` or cursors), never lists of model objects, so their cost
stays flat as history grows.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from approvals.models import Membership
from audit.diff import VersionDiff, version_diff
from audit.models import ChainEntry, ChainHead, ChainVerification
from workflow.models import Measure, Publication, ResultReport

User = get_user_model()

LOG_COLUMNS = [
    "id", "created_at", "seq", "actor_id", "actor__username", "system_actor", "action",
    "reason", "subject_model", "subject_pk", "measure_id", "result_report_id", "record_model",
    "record_pk", "hash",
]  # fmt: skip
EXPORT_HEADER = [
    "at", "seq", "actor_id", "actor", "system_actor", "action", "reason", "item_type",
    "item_id", "measure_id", "result_report_id", "record_type", "record_id", "hash",
]  # fmt: skip


def fetch(sql: str, params: list) -> list[tuple]:
    """Run a hot read query; on PostgreSQL with server-side binding, so it is prepared once.

    Django's default client-side binding makes each query new text to plan; planning
    these (5 ms on the history tables) would cost more than running them.
    """
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _display_names(user_ids) -> dict[int, str]:
    users = User.objects.filter(pk__in={u for u in user_ids if u}).values_list(
        "pk", "username", "first_name", "last_name"
    )
    return {pk: (f"{first} {last}".strip() or username) for pk, username, first, last in users}


# ---- an item's timeline ---------------------------------------------------------------------


@dataclass
class TimelineEntry:
    history_id: int
    at: dt.datetime
    kind: str  # created / edited / deleted
    user_id: int | None
    who: str
    roles: list[str]
    reason: str
    action: str
    comment: str
    ip_address: str | None
    version: int | None
    state: str | None
    row: dict
    diff: VersionDiff = field(default_factory=VersionDiff)


def _history_rows(history, pk: int, organization_id: int) -> list[dict]:
    """All versions of one record as column dicts, read with one plain query."""
    if connection.vendor != "postgresql":
        return list(
            history.objects.filter(id=pk, history_organization_id=organization_id)
            .order_by("history_date", "history_id")
            .values()
        )
    columns = [f.attname for f in history._meta.concrete_fields]
    table = history._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    json_columns = {
        f.attname for f in history._meta.concrete_fields if f.get_internal_type() == "JSONField"
    }
    sql = (
        f"SELECT {quoted} FROM {table} WHERE id = %s AND history_organization_id = %s "
        "ORDER BY history_date, history_id"
    )
    rows = [dict(zip(columns, values, strict=True)) for values in fetch(sql, [pk, organization_id])]
    for row in rows:
        for column in json_columns:
            if isinstance(row[column], str):  # Django's psycopg setup hands jsonb back as text
                row[column] = json.loads(row[column])
    return rows


HISTORY_KIND = {"+": "created", "~": "edited", "-": "deleted"}


def item_timeline(*, organization_id: int, item: type[Measure] | type[ResultReport], pk: int):
    """Every version of one measure or result report, oldest first, each diffed with the one before.

    The version's methods, divisions, result items and recommendations are part of it.
    """
    history = item.history.model
    rows = _history_rows(history, pk, organization_id)
    if item is ResultReport:
        log_sql = (
            "SELECT version, action, role, comment FROM audit_transitionlog "
            "WHERE result_report_id = %s"
        )
    else:
        log_sql = (
            "SELECT version, action, role, comment FROM audit_transitionlog "
            "WHERE measure_id = %s AND result_report_id IS NULL"
        )
    logs = {
        version: {"action": action, "role": role, "comment": comment}
        for version, action, role, comment in fetch(log_sql, [pk])
    }
    user_ids = sorted({r["history_user_id"] for r in rows if r["history_user_id"]})
    names: dict[int, str] = {}
    roles: dict[int, list[str]] = {}
    if user_ids:
        placeholders = ", ".join(["%s"] * len(user_ids))
        people = fetch(
            f"SELECT u.id, u.username, u.first_name, u.last_name, m.role "
            f"FROM {User._meta.db_table} u LEFT JOIN {Membership._meta.db_table} m "
            f"ON m.user_id = u.id AND m.organization_id = %s "
            f"AND m.is_active WHERE u.id IN ({placeholders}) ORDER BY u.id, m.role",
            [organization_id, *user_ids],
        )
        for user_id, username, first, last, role in people:
            names[user_id] = f"{first} {last}".strip() or username
            if role:
                roles.setdefault(user_id, []).append(role)

    entries, previous = [], None
    for row in rows:
        log = logs.get(row.get("version"))
        reason = row["history_change_reason"] or ""
        is_transition = log is not None and reason.split(":", 1)[0] == log["action"]
        user_id = row["history_user_id"]
        entries.append(
            TimelineEntry(
                history_id=row["history_id"],
                at=row["history_date"],
                kind=HISTORY_KIND.get(row["history_type"], row["history_type"]),
                user_id=user_id,
                who=names.get(user_id) or row["system_actor"],
                roles=[log["role"]] if is_transition else roles.get(user_id, []),
                reason=reason,
                action=log["action"] if is_transition else "",
                comment=log["comment"] if is_transition else "",
                ip_address=row["ip_address"],
                version=row.get("version"),
                state=row.get("state"),
                row=row,
                diff=version_diff(previous, row),
            )
        )
        previous = row
    return entries


# ---- the organization log -------------------------------------------------------------------


def cursor_encode(created_at: dt.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{pk}".encode()).decode()


def cursor_decode(cursor: str) -> tuple[dt.datetime, int] | None:
    try:
        at, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return dt.datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class LogFilter:
    organization_id: int
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    actor_id: int | None = None
    division_id: int | None = None
    measure_id: int | None = None
    result_report_id: int | None = None
    action: str | None = None


def log_queryset(f: LogFilter):
    qs = ChainEntry.objects.filter(organization_id=f.organization_id)
    if f.date_from:
        qs = qs.filter(created_at__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__lt=f.date_to)
    if f.actor_id:
        qs = qs.filter(actor_id=f.actor_id)
    if f.measure_id:
        qs = qs.filter(measure_id=f.measure_id)
    if f.result_report_id:
        qs = qs.filter(result_report_id=f.result_report_id)
    if f.action:
        qs = qs.filter(action=f.action)
    if f.division_id:
        measures = Measure.divisions.through.objects.filter(division_id=f.division_id)
        qs = qs.filter(
            Q(measure_id__in=measures.values("measure_id"))
            | Q(subject_model="workflow.division", subject_pk=f.division_id)
        )
    return qs


def organization_log(f: LogFilter, *, after: str | None = None, limit: int = 50):
    """One page of the log, newest first, and the cursor of the next page (keyset, no COUNT)."""
    qs = log_queryset(f)
    position = cursor_decode(after) if after else None
    if position:
        at, pk = position
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    page = qs.order_by("-created_at", "-id")[: limit + 1]
    if connection.vendor == "postgresql":
        sql, params = page.values_list(*LOG_COLUMNS).query.sql_with_params()
        rows = [dict(zip(LOG_COLUMNS, values, strict=True)) for values in fetch(sql, list(params))]
    else:
        rows = list(page.values(*LOG_COLUMNS))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor_encode(rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return rows, next_cursor


def _export_sql(f: LogFilter) -> tuple[str, list]:
    qs = (
        log_queryset(f)
        .order_by("created_at", "id")
        .values_list(*[c for c in LOG_COLUMNS if c != "id"])
    )
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _export_row(values) -> list:
    (at, seq, actor_id, username, system, action, reason, model, pk, measure, report,
     record_model, record_pk, hash_) = values  # fmt: skip
    return [
        at.isoformat(), seq, actor_id, username or "", system, action, reason, model, pk,
        measure, report, record_model, record_pk, hash_,
    ]  # fmt: skip


def log_export(f: LogFilter, fmt: str, chunk_size: int = 5000) -> Iterator[bytes]:
    """The whole filtered log as CSV or JSON Lines, in chunks, never all in memory.

    On PostgreSQL the database formats the rows itself (COPY … TO STDOUT).
    """
    if connection.vendor == "postgresql":
        yield from _export_copy(f, fmt)
        return
    qs = (
        log_queryset(f)
        .order_by("created_at", "id")
        .values_list(*[c for c in LOG_COLUMNS if c != "id"])
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if fmt == "csv":
        writer.writerow(EXPORT_HEADER)
    for n, values in enumerate(qs.iterator(chunk_size=chunk_size), start=1):
        row = _export_row(values)
        if fmt == "csv":
            writer.writerow(row)
        else:
            buffer.write(json.dumps(dict(zip(EXPORT_HEADER, row, strict=True)), ensure_ascii=False))
            buffer.write("\n")
        if n % chunk_size == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _export_copy(f: LogFilter, fmt: str) -> Iterator[bytes]:
    sql, params = _export_sql(f)
    # rename the ORM's columns positionally so the header and JSON keys are ours
    columns = ", ".join(f'e.c{i} AS "{name}"' for i, name in enumerate(EXPORT_HEADER))
    names = ", ".join(f"c{i}" for i in range(len(EXPORT_HEADER)))
    select = f"SELECT {columns} FROM ({sql}) AS e({names})"
    if fmt == "csv":
        statement = f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    else:
        # csv with quote/delimiter bytes that JSON never contains = raw JSON text per line
        statement = (
            f"COPY (SELECT row_to_json(r)::text FROM ({select}) r) TO STDOUT "
            "WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
        )
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        pending = []
        size = 0
        for data in copy:
            pending.append(bytes(data))
            size += len(data)
            if size >= 256 * 1024:
                yield b"".join(pending)
                pending, size = [], 0
        if pending:
            yield b"".join(pending)


# ---- the report as of a date ----------------------------------------------------------------


def _latest_versions(history, organization_id: int, at: dt.datetime, extra: dict) -> list[dict]:
    """The newest historical row at `at` of every record of the organization (then filtered)."""
    if connection.vendor == "postgresql":
        # one index lookup per record: its ids from the (organization, id, …) index, then the
        # latest row at `at` from the (id, history_date) index
        columns = [f.attname for f in history._meta.concrete_fields]
        quoted = ", ".join(f"h.{connection.ops.quote_name(c)}" for c in columns)
        table = history._meta.db_table
        conditions = "".join(f" AND h.{connection.ops.quote_name(c)} = %s" for c in extra)
        sql = (
            f"SELECT {quoted} FROM (SELECT DISTINCT id FROM {table} "
            f"WHERE history_organization_id = %s) ids CROSS JOIN LATERAL ("
            f"SELECT * FROM {table} x WHERE x.id = ids.id AND x.history_date <= %s "
            f"ORDER BY x.history_date DESC, x.history_id DESC LIMIT 1) h "
            f"WHERE h.history_type <> '-'{conditions}"
        )
        json_columns = {
            f.attname for f in history._meta.concrete_fields
            if f.get_internal_type() == "JSONField"
        }  # fmt: skip
        rows = [
            dict(zip(columns, values, strict=True))
            for values in fetch(sql, [organization_id, at, *extra.values()])
        ]
        for row in rows:
            for column in json_columns:
                if isinstance(row[column], str):
                    row[column] = json.loads(row[column])
        return rows
    base = history.objects.filter(history_organization_id=organization_id, history_date__lte=at)
    latest: dict[int, tuple] = {}
    for pk, when, hid in base.values_list("id", "history_date", "history_id"):
        if pk not in latest or (when, hid) > latest[pk]:
            latest[pk] = (when, hid)
    ids = [hid for _, hid in latest.values()]
    rows = history.objects.filter(history_id__in=ids, **extra).exclude(history_type="-")
    return list(rows.values())


def report_as_of(*, organization_id: int, fiscal_year_id: int, at: dt.datetime) -> dict:
    """What the public saw (Publication rows) and what the working copy was, at `at`."""
    measures = sorted(
        _latest_versions(
            Measure.history.model, organization_id, at, {"fiscal_year_id": fiscal_year_id}
        ),
        key=lambda r: r["number"],
    )
    measure_ids = {m["id"] for m in measures}
    reports: dict[int, list[dict]] = {}
    for r in _latest_versions(ResultReport.history.model, organization_id, at, {}):
        if r["measure_id"] in measure_ids:
            reports.setdefault(r["measure_id"], []).append(r)
    published: dict[tuple, dict] = {}
    for p in (
        Publication.objects.filter(
            organization_id=organization_id, fiscal_year_id=fiscal_year_id, published_at__lte=at
        )
        .order_by("published_at", "id")
        .values(
            "id",
            "measure_id",
            "result_report_id",
            "revision",
            "content",
            "published_at",
            "chain_head",
        )
    ):
        published[(p["measure_id"], p["result_report_id"])] = p
    return {
        "at": at,
        "working": [
            {**m, "result_reports": sorted(reports.get(m["id"], []), key=lambda r: r["id"])}
            for m in measures
        ],
        "published": sorted(published.values(), key=lambda p: (p["measure_id"], p["id"])),
    }


# ---- the chain, for the auditor's page ------------------------------------------------------


def chain_status(organization_id: int) -> dict:
    head = ChainHead.objects.filter(key=organization_id).values("seq", "hash").first()
    last = (
        ChainVerification.objects.filter(organization_id=organization_id)
        .order_by("-started_at", "-id")
        .values(
            "started_at", "ok", "entries_checked", "head_seq", "head_hash", "broken_seq", "problem"
        )
        .first()
    )
    return {"head": head or {"seq": 0, "hash": ""}, "last_verification": last}
