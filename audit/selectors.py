"""Reads for auditors: an item's timeline, the organization log, the report as of a date, export.

All read plain rows (`values()` or cursors), never lists of model objects, so their cost
stays flat as history grows.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, CharField, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone

from approvals.models import Membership
from audit.diff import VersionDiff, version_diff
from audit.models import ChainEntry, ChainHead, ChainVerification, TransitionLog
from workflow.exports import CSV_FORMULA_PATTERN, csv_row
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
    these (5 ms on the history tables) would cost more than running them. Behind a
    transaction-mode pooler nothing is prepared (settings: DATABASE_TRANSACTION_POOLING).
    """
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=not settings.DATABASE_TRANSACTION_POOLING)
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


TIMELINE_PAGE = 20
HISTORY_KIND = {"+": "created", "~": "edited", "-": "deleted"}


@functools.cache
def _history_columns(item) -> tuple[type, list[str], set[str]]:
    """The historical model of `item`, its columns and its JSON columns (looked up once)."""
    history = item.history.model
    fields = history._meta.concrete_fields
    return (
        history,
        [f.attname for f in fields],
        {f.attname for f in fields if f.get_internal_type() == "JSONField"},
    )


@functools.cache
def _timeline_sql(item, keyset: bool) -> str:
    """One statement for a page: the versions, their transition and the people's names and roles.

    The versions are the item's own (by the index on its id), newest first; the transition
    log is read only for the versions of the page.
    """
    history, columns, _ = _history_columns(item)
    quote = connection.ops.quote_name
    keyset_sql = (
        "AND history_date <= %s AND (history_date < %s OR history_id < %s) " if keyset else ""
    )
    item_condition = (
        "result_report_id = %s" if item is ResultReport
        else "introduction_id = %s" if item._meta.model_name == "reportintroduction"
        else "measure_id = %s AND result_report_id IS NULL"
    )  # fmt: skip
    return (
        f"WITH page AS (SELECT {', '.join(quote(c) for c in columns)} "
        f"FROM {quote(history._meta.db_table)} "
        f"WHERE id = %s AND history_organization_id = %s {keyset_sql}"
        "ORDER BY history_date DESC, history_id DESC LIMIT %s), "
        "logs AS (SELECT DISTINCT ON (version) version, action, role, comment "
        f"FROM {TransitionLog._meta.db_table} WHERE {item_condition} "
        "AND version IN (SELECT version FROM page) ORDER BY version, id DESC), "
        "people AS (SELECT u.id, u.username, u.first_name, u.last_name, "
        f"ARRAY(SELECT m.role FROM {Membership._meta.db_table} m WHERE m.user_id = u.id "
        "AND m.organization_id = %s AND m.is_active ORDER BY m.role) AS roles "
        f"FROM {User._meta.db_table} u WHERE u.id IN (SELECT history_user_id FROM page)) "
        "SELECT page.*, logs.action, logs.role, logs.comment, people.username, "
        "people.first_name, people.last_name, people.roles FROM page "
        "LEFT JOIN logs ON logs.version = page.version "
        "LEFT JOIN people ON people.id = page.history_user_id "
        "ORDER BY page.history_date DESC, page.history_id DESC"
    )


def _timeline_rows_pg(item, pk, organization_id, position, limit):
    """(versions, transitions by version, (name, roles) by person) with one prepared query."""
    _, columns, json_columns = _history_columns(item)
    keyset = [position[0], position[0], position[1]] if position else []
    found = fetch(
        _timeline_sql(item, bool(position)),
        [pk, organization_id, *keyset, limit, pk, organization_id],
    )
    n = len(columns)
    rows, logs, people = [], {}, {}
    for values in found:
        row = dict(zip(columns, values[:n], strict=True))
        for column in json_columns:
            if isinstance(row[column], str):  # Django's psycopg setup hands jsonb back as text
                row[column] = json.loads(row[column])
        action, role, comment, username, first, last, roles = values[n:]
        if action is not None:
            logs[row["version"]] = {"action": action, "role": role, "comment": comment}
        if username is not None:
            people[row["history_user_id"]] = (f"{first} {last}".strip() or username, roles)
        rows.append(row)
    return rows, logs, people


def _timeline_rows_orm(item, pk, organization_id, position, limit):
    """The same as `_timeline_rows_pg` for other databases (development on SQLite)."""
    history = _history_columns(item)[0]
    versions = history.objects.filter(id=pk, history_organization_id=organization_id)
    if position:
        at, history_id = position
        versions = versions.filter(history_date__lte=at).filter(
            Q(history_date__lt=at) | Q(history_id__lt=history_id)
        )
    rows = list(versions.order_by("-history_date", "-history_id").values()[:limit])
    transitions = TransitionLog.of_item(item(pk=pk)).filter(
        version__in={r["version"] for r in rows}
    )
    logs = {
        version: {"action": action, "role": role, "comment": comment}
        for version, action, role, comment in transitions.order_by("id").values_list(
            "version", "action", "role", "comment"
        )
    }
    user_ids = {r["history_user_id"] for r in rows if r["history_user_id"]}
    roles: dict[int, list[str]] = {}
    for user_id, role in (
        Membership.objects.filter(user_id__in=user_ids, organization_id=organization_id)
        .filter(is_active=True)
        .order_by("role")
        .values_list("user_id", "role")
    ):
        roles.setdefault(user_id, []).append(role)
    people = {
        user_id: (name, roles.get(user_id, []))
        for user_id, name in _display_names(user_ids).items()
    }
    return rows, logs, people


def item_timeline(
    *,
    organization_id: int,
    item: type[Measure] | type[ResultReport],
    pk: int,
    after: str | None = None,
    limit: int = TIMELINE_PAGE,
) -> tuple[list[TimelineEntry], str | None]:
    """One page of the versions of a measure or result report, newest first, each diffed with
    the version before it; and the cursor of the older page (keyset, like the log).

    A page reads `limit` + 1 versions: the extra one is what the oldest shown is diffed with,
    and says that there is more. The version's methods, divisions, result items and
    recommendations are part of it.
    """
    position = cursor_decode(after) if after else None
    read = _timeline_rows_pg if connection.vendor == "postgresql" else _timeline_rows_orm
    rows, logs, people = read(item, pk, organization_id, position, limit + 1)
    entries = []
    for i, row in enumerate(rows[:limit]):
        log = logs.get(row.get("version"))
        reason = row["history_change_reason"] or ""
        is_transition = log is not None and reason.split(":", 1)[0] == log["action"]
        user_id = row["history_user_id"]
        name, roles = people.get(user_id, (None, []))
        entries.append(
            TimelineEntry(
                history_id=row["history_id"],
                at=row["history_date"],
                kind=HISTORY_KIND.get(row["history_type"], row["history_type"]),
                user_id=user_id,
                who=name or row["system_actor"],
                roles=[log["role"]] if is_transition else list(roles or []),
                reason=reason,
                action=log["action"] if is_transition else "",
                comment=log["comment"] if is_transition else "",
                ip_address=row["ip_address"],
                version=row.get("version"),
                state=row.get("state"),
                row=row,
                diff=version_diff(rows[i + 1] if i + 1 < len(rows) else None, row),
            )
        )
    if len(rows) <= limit:
        return entries, None
    return entries, cursor_encode(rows[limit - 1]["history_date"], rows[limit - 1]["history_id"])


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
    state: str | None = None  # transitions that led to this state


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
    if f.state:
        moves = TransitionLog.objects.filter(
            organization_id=f.organization_id, target_state=f.state
        ).values("pk")
        qs = qs.filter(record_model="audit.transitionlog", record_pk__in=moves)
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


CSV_HEADER = [
    "at", "seq", "actor_id", "actor", "actor_name", "system_actor", "action", "action_label",
    "role", "role_label", "acting_for", "reason", "item_type", "item_id", "measure_id",
    "result_report_id", "record_type", "record_id", "hash",
]  # fmt: skip


class LocalISO(Func):
    """`2026-12-01T14:05:00.000000+07:00`: a moment in the site's time zone, as ISO 8601."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError("LocalISO is formatted by PostgreSQL only")

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        zone = timezone.get_current_timezone_name()
        offset = timezone.localtime().strftime("%z")
        offset = f"{offset[:3]}:{offset[3:]}"
        return (
            f"(to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || %s)",
            [*params, zone, offset],
        )


def _labels_case(field_name: str, choices) -> Case:
    return Case(
        *[When(**{field_name: code}, then=Value(str(label))) for code, label in choices],
        default=Value(""),
        output_field=CharField(),
    )


def _person_name(prefix: str):
    full = Trim(Concat(f"{prefix}first_name", Value(" "), f"{prefix}last_name"))
    return Coalesce(NullIf(full, Value("")), f"{prefix}username", Value(""))


def _csv_queryset(f: LogFilter, *, local_time: bool):
    """The log with the human columns beside the codes, in the current language."""
    from approvals.models import Position, Role
    from audit.present import HISTORY_ACTIONS
    from workflow.models import Action

    transition = TransitionLog.objects.filter(pk=OuterRef("record_pk"))
    is_transition = Q(record_model="audit.transitionlog")
    # the position the person held when they acted (as the pages show it: audit.present)
    held = (
        Position.history.filter(
            # history_organization_id: the indexed copy of the organization (audit.history)
            history_organization_id=OuterRef("organization_id"),
            organization_id=OuterRef("organization_id"), user_id=OuterRef("actor_id"),
            history_date__lte=OuterRef("created_at"),
        )
        .order_by("-history_date", "-history_id")
        .annotate(
            held=Case(When(history_type="-", then=Value("")), default=F("title"))
        )
        .values("held")[:1]
    )  # fmt: skip
    actions = [*((k, v) for k, v in HISTORY_ACTIONS.items()), *Action.choices]
    return (
        log_queryset(f)
        .order_by("created_at", "id")
        .annotate(
            at_text=LocalISO("created_at") if local_time else F("created_at"),
            actor_position=Coalesce(Subquery(held), Value("")),
            actor_plain_name=Coalesce(_person_name("actor__"), Value("")),
        )
        .annotate(
            actor_name=Case(
                When(
                    ~Q(actor_position=""),
                    then=Concat("actor_plain_name", Value(" ("), "actor_position", Value(")")),
                ),
                default=F("actor_plain_name"),
                output_field=CharField(),
            ),
            action_label=_labels_case("action", actions),
            role_code=Case(
                When(is_transition, then=Subquery(transition.values("role")[:1])),
                default=Value(""),
                output_field=CharField(),
            ),
        )
        .annotate(
            role_label=_labels_case("role_code", Role.choices),
            acting_for=Case(
                When(
                    is_transition,
                    then=Subquery(
                        transition.filter(delegation__isnull=False)
                        .annotate(name=_person_name("delegation__delegator__"))
                        .values("name")[:1]
                    ),
                ),
                default=Value(""),
                output_field=CharField(),
            ),
        )
        .values_list(
            "at_text", "seq", "actor_id", "actor__username", "actor_name", "system_actor",
            "action", "action_label", "role_code", "role_label", "acting_for", "reason",
            "subject_model", "subject_pk", "measure_id", "result_report_id", "record_model",
            "record_pk", "hash",
        )
    )  # fmt: skip


def _jsonl_queryset(f: LogFilter):
    """The log's codes for machines, oldest first.

    The actor's username by a lookup per row, not a join: joined, PostgreSQL hashed every
    account of the country (86,350) for each organization's export (bench/national.py:
    34 ms against 2 ms for one agency).
    """
    username = User.objects.filter(pk=OuterRef("actor_id")).values("username")[:1]
    columns = ["actor_username" if c == "actor__username" else c for c in LOG_COLUMNS]
    return (
        log_queryset(f)
        .order_by("created_at", "id")
        .annotate(actor_username=Subquery(username))
        .values_list(*[c for c in columns if c != "id"])
    )


def _export_sql(f: LogFilter, fmt: str) -> tuple[str, list]:
    qs = _csv_queryset(f, local_time=True) if fmt == "csv" else _jsonl_queryset(f)
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _export_row(values) -> list:
    (at, seq, actor_id, username, system, action, reason, model, pk, measure, report,
     record_model, record_pk, hash_) = values  # fmt: skip
    return [
        at.isoformat(), seq, actor_id, username or "", system, action, reason, model, pk,
        measure, report, record_model, record_pk, hash_,
    ]  # fmt: skip


def _csv_row(values) -> list:
    at, *rest = values
    row = [timezone.localtime(at).isoformat(timespec="microseconds"), *rest]
    return ["" if v is None else v for v in row]


BOM = "\ufeff".encode()


def log_export(f: LogFilter, fmt: str, chunk_size: int = 5000) -> Iterator[bytes]:
    """The whole filtered log as CSV or JSON Lines, in chunks, never all in memory.

    The CSV is for people (Excel): a byte-order mark, Bangkok times, labels and names beside
    the codes, in the language of the request. JSON Lines is for machines: codes and UTC
    times only. On PostgreSQL the database formats the rows itself (COPY … TO STDOUT).
    The query is built now, while the request's language is active; rows stream later.
    """
    if connection.vendor == "postgresql":
        sql, params = _export_sql(f, fmt)
        copied = _export_copy(sql, params, fmt)
        return itertools.chain([BOM], copied) if fmt == "csv" else copied
    if fmt == "csv":
        qs = _csv_queryset(f, local_time=False)
        return itertools.chain(
            [BOM],
            _export_python(
                (_csv_row(v) for v in qs.iterator(chunk_size)), CSV_HEADER, fmt, chunk_size
            ),
        )
    qs = _jsonl_queryset(f)
    return _export_python(
        (_export_row(v) for v in qs.iterator(chunk_size=chunk_size)), EXPORT_HEADER, fmt, chunk_size
    )


def _export_python(rows, header: list[str], fmt: str, chunk_size: int) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if fmt == "csv":
        writer.writerow(csv_row(header))
    for n, row in enumerate(rows, start=1):
        if fmt == "csv":
            writer.writerow(csv_row(row))
        else:
            buffer.write(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
            buffer.write("\n")
        if n % chunk_size == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _export_copy(sql: str, params: list, fmt: str) -> Iterator[bytes]:
    header = CSV_HEADER if fmt == "csv" else EXPORT_HEADER
    # rename the ORM's columns positionally so the header and JSON keys are ours
    columns = ", ".join(f'e.c{i} AS "{name}"' for i, name in enumerate(header))
    names = ", ".join(f"c{i}" for i in range(len(header)))
    select = f"SELECT {columns} FROM ({sql}) AS e({names})"
    if fmt == "csv":
        # every cell as text a spreadsheet does not run: workflow.exports.csv_cell, in SQL
        safe = ", ".join(
            f"CASE WHEN e.c{i}::text ~ %s THEN '''' || e.c{i}::text"
            f' ELSE e.c{i}::text END AS "{name}"'
            for i, name in enumerate(header)
        )
        statement = (
            f"COPY (SELECT {safe} FROM ({sql}) AS e({names})) TO STDOUT "
            "WITH (FORMAT csv, HEADER true)"
        )
        # the patterns of the SELECT list come before the parameters of its FROM
        params = [*[CSV_FORMULA_PATTERN] * len(header), *params]
    else:
        # csv with quote/delimiter bytes that JSON never contains = raw JSON text per line
        statement = (
            f"COPY (SELECT row_to_json(r)::text FROM ({select}) r) TO STDOUT "
            "WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
        )
    connection.ensure_connection()
    raw = connection.connection
    with raw.transaction(), raw.cursor() as cursor:
        # The subqueries make the planner's cost of a big organization's export pass
        # jit_above_cost, and compiling the plan then costs more than running it (measured
        # 127 ms against 20 ms at 1,000 organizations, bench/national.py): no JIT here.
        cursor.execute("SET LOCAL jit = off")
        yield from _copied(cursor, statement, params)


def _copied(cursor, statement: str, params: list) -> Iterator[bytes]:
    with cursor.copy(statement, params) as copy:
        pending = []
        size = 0
        for data in copy:
            pending.append(data)  # a memoryview that owns its buffer: no copy until the join
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


@dataclass
class ChainsVerified:
    intact: int
    broken: int
    newest: dt.datetime | None  # when the most recent of those verifications started


def chains_verified(*, since: dt.datetime | None = None) -> ChainsVerified:
    """Every chain (each organization's and the global one) by its latest verification; with
    `since`, only the chains whose latest verification started then or later.

    Read from the chains' heads, where each verification leaves its outcome: one row per
    chain, whatever the number of verifications kept (a national deployment adds 7,850 a
    night, and reading the latest of each took 110 ms: bench/national.py).
    """
    from django.db.models import Count, Max

    heads = ChainHead.objects.filter(verified_at__isnull=False)
    if since is not None:
        heads = heads.filter(verified_at__gte=since)
    counts = heads.aggregate(
        intact=Count("key", filter=Q(verified_ok=True)),
        broken=Count("key", filter=Q(verified_ok=False)),
        newest=Max("verified_at"),
    )
    return ChainsVerified(counts["intact"], counts["broken"], counts["newest"])
