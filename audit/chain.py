"""The tamper-evident hash chain: append in the writer's transaction, verify from the database.

Each organization has its own chain (key = organization id; 0 holds global records such
as fiscal years and user accounts). An entry's hash is SHA-256 of the previous hash
followed by the canonical JSON of the entry's own columns and of the record it points to,
so editing, deleting, inserting or reordering rows breaks the chain at that row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import json
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from audit.models import GENESIS_HASH, ChainEntry, ChainHead, ChainVerification

BATCH = 2000


def chain_key(organization_id: int | None) -> int:
    return organization_id or 0


@functools.cache
def _typed(field: models.Field) -> bool:
    """Whether a value of this field is normalised (`to_python`) before it is hashed."""
    return isinstance(
        field,
        (
            models.DateTimeField | models.DateField | models.IntegerField | models.BooleanField,
            models.GenericIPAddressField | models.JSONField,
        ),
    )


def _canonical_value(field: models.Field, value):
    kind = type(value)
    if value is None or kind is bool or ((kind is str or kind is int) and not _typed(field)):
        return value  # the common cases, as the checks below would leave them
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(field, models.JSONField):
        return value
    if isinstance(
        field,
        (
            models.DateTimeField | models.DateField | models.IntegerField | models.BooleanField,
            models.GenericIPAddressField,
        ),
    ):
        value = field.to_python(value)
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


# Columns added to a chained table after rows were chained: hashed only when they hold a
# value (neither None nor ""), so that the links written before the column existed still verify.
LATE_COLUMNS = {
    "audit.transitionlog": {"analysis_id", "introduction_id"},
    "workflow.historicalreportintroduction": {
        "state",
        "revision",
        "created_at",
        "created_by_id",
        "submitted_by_id",
        "reviewed_by_id",
    },
    "workflow.historicalmeasure": {"carried_from_id", "reviewed_by_id"},
    "workflow.historicalresultreport": {"reviewed_by_id"},
    "workflow.historicalorganization": {"chief_executive_title"},
    "approvals.historicaldelegation": {"deputy_position"},
}


def record_data(record: models.Model) -> dict:
    """Every stored column of a record, as JSON-safe values that survive a database round trip."""
    late = LATE_COLUMNS.get(record._meta.label_lower, ())
    return {
        f.attname: _canonical_value(f, getattr(record, f.attname))
        for f in record._meta.concrete_fields
        if not (f.attname in late and getattr(record, f.attname) in (None, ""))
    }


def entry_data(entry: ChainEntry) -> dict:
    """The entry's own columns that the hash covers (not seq/prev_hash/hash themselves)."""
    return {
        "organization": entry.organization_id,
        "created_at": _canonical_value(ChainEntry._meta.get_field("created_at"), entry.created_at),
        "record_model": entry.record_model,
        "record_pk": entry.record_pk,
        "actor": entry.actor_id,
        "system_actor": entry.system_actor,
        "action": entry.action,
        "reason": entry.reason,
        "subject_model": entry.subject_model,
        "subject_pk": entry.subject_pk,
        "measure": entry.measure_id,
        "result_report": entry.result_report_id,
    }


def payload(entry: ChainEntry, record: models.Model) -> str:
    return json.dumps(
        {"entry": entry_data(entry), "record": record_data(record)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def link_hash(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def enabled() -> bool:
    return getattr(settings, "AUDIT_CHAIN_ENABLED", True)


def _head_ensure(key: int) -> None:
    ChainHead.objects.bulk_create([ChainHead(key=key)], ignore_conflicts=True)


def _link_params(entry: ChainEntry, text: str) -> dict:
    return {
        "text": text,
        "organization": entry.organization_id, "record_model": entry.record_model,
        "record_pk": entry.record_pk, "created_at": entry.created_at, "actor": entry.actor_id,
        "system_actor": entry.system_actor, "action": entry.action, "reason": entry.reason,
        "subject_model": entry.subject_model, "subject_pk": entry.subject_pk,
        "measure": entry.measure_id, "result_report": entry.result_report_id,
    }  # fmt: skip


_ENTRY_COLUMNS = (
    "organization_id, seq, prev_hash, hash, record_model, record_pk, created_at, actor_id,"
    " system_actor, action, reason, subject_model, subject_pk, measure_id, result_report_id"
)
_ENTRY_VALUES = (  # typed: the rows are a UNION, which leaves bare parameters as text
    "%(organization{i})s::bigint, l{i}.seq, l{i}.prev_hash, l{i}.hash,"
    " %(record_model{i})s::text, %(record_pk{i})s::bigint, %(created_at{i})s::timestamptz,"
    " %(actor{i})s::bigint, %(system_actor{i})s::text, %(action{i})s::text,"
    " %(reason{i})s::text, %(subject_model{i})s::text, %(subject_pk{i})s::bigint,"
    " %(measure{i})s::bigint, %(result_report{i})s::bigint"
)


@functools.lru_cache(maxsize=8)
def _append_many_sql(count: int) -> str:
    """Append `count` links in one statement: lock the head, hash link after link, move it;
    returns each new entry's id, seq, prev_hash and hash.

    The head must exist (`_ENSURE_HEAD_SQL` before it in the same round trip).
    """
    hashed = "encode(sha256(convert_to({prev}.hash || %(text{i})s::text, 'UTF8')), 'hex')"
    links = ["head AS (SELECT seq, hash FROM audit_chainhead WHERE key = %(key)s FOR UPDATE)"]
    prev = "head"
    for i in range(count):
        links.append(
            f"l{i} AS (SELECT {prev}.seq + 1 AS seq, {prev}.hash AS prev_hash, "
            + hashed.format(prev=prev, i=i)
            + f" AS hash FROM {prev})"
        )
        prev = f"l{i}"
    links.append(
        f"moved AS (UPDATE audit_chainhead c SET seq = {prev}.seq, prev_hash = {prev}.prev_hash,"
        f" hash = {prev}.hash FROM {prev} WHERE c.key = %(key)s)"
    )
    rows = " UNION ALL ".join(f"SELECT {_ENTRY_VALUES.format(i=i)} FROM l{i}" for i in range(count))
    return (
        f"WITH {', '.join(links)} INSERT INTO audit_chainentry ({_ENTRY_COLUMNS}) {rows}"
        " RETURNING id, seq, prev_hash, hash"
    )


_ENSURE_HEAD_SQL = (
    "INSERT INTO audit_chainhead (key, seq, prev_hash, hash) VALUES (%s, 0, %s, %s)"
    " ON CONFLICT (key) DO NOTHING"
)


def append_steps(links: list[tuple[ChainEntry, models.Model]], *, head_exists=False) -> list:
    """`append` for several records, as steps for `config.statements.run` (one round trip).

    On PostgreSQL all the links go in one statement (its rows: the new entries), after
    one that creates the head unless the caller has just read that it exists; elsewhere
    each step calls `append`.
    """
    from config.statements import Statement

    if not enabled() or not links:
        return []
    if connection.vendor != "postgresql":
        return [lambda entry=entry, record=record: append(entry, record) for entry, record in links]
    key = chain_key(links[0][0].organization_id)
    params: dict = {"key": key}
    for i, (entry, record) in enumerate(links):
        assert chain_key(entry.organization_id) == key, "one organization per call"
        one = _link_params(entry, payload(entry, record))
        params.update((f"{name}{i}", value) for name, value in one.items())
    steps = [Statement(_append_many_sql(len(links)), params, rows=True, prepare=True)]
    if not head_exists:
        steps.insert(
            0, Statement(_ENSURE_HEAD_SQL, [key, GENESIS_HASH, GENESIS_HASH], prepare=True)
        )
    return steps


def append(entry: ChainEntry, record: models.Model) -> ChainEntry:
    """Add `record` to its organization's chain, inside the caller's transaction.

    The head row's lock is held until commit, which orders the appends of one
    organization and leaves other organizations free. On PostgreSQL the append is
    `append_steps` for one record: one round trip.
    """
    if connection.vendor == "postgresql":
        from config import statements

        *_, rows = statements.run(append_steps([(entry, record)]))
        entry.pk, entry.seq, entry.prev_hash, entry.hash = rows[0]
        return entry
    text = payload(entry, record)
    key = chain_key(entry.organization_id)
    if not connection.in_atomic_block:
        with transaction.atomic():
            return append(entry, record)
    head = ChainHead.objects.select_for_update().filter(key=key).first()
    if head is None:
        _head_ensure(key)
        head = ChainHead.objects.select_for_update().get(key=key)
    entry.seq = head.seq + 1
    entry.prev_hash = head.hash
    entry.hash = link_hash(head.hash, text)
    entry.save(force_insert=True)
    ChainHead.objects.filter(key=key).update(
        seq=entry.seq, prev_hash=entry.prev_hash, hash=entry.hash
    )
    return entry


def head_for(organization_id: int | None) -> str:
    """The hash of the last link of an organization's chain (the genesis hash if empty)."""
    head = ChainHead.objects.filter(key=chain_key(organization_id)).only("hash").first()
    return head.hash if head else GENESIS_HASH


# ---- verification ---------------------------------------------------------------------------


@dataclass
class Verification:
    ok: bool
    entries_checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""


def _chain_entries(organization_id: int | None, after: int = 0, *, up_to: int | None = None):
    qs = ChainEntry.objects.all()
    qs = (
        qs.filter(organization_id=organization_id)
        if organization_id
        else qs.filter(organization__isnull=True)
    )
    if up_to is not None:
        qs = qs.filter(seq__lte=up_to)
    last = after
    while True:
        batch = list(qs.filter(seq__gt=last).order_by("seq")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].seq


def _records_for(batch: list[ChainEntry]) -> dict[tuple[str, int], models.Model]:
    wanted: dict[str, list[int]] = {}
    for entry in batch:
        wanted.setdefault(entry.record_model, []).append(entry.record_pk)
    found = {}
    for label, pks in wanted.items():
        model = apps.get_model(label)
        for record in model._default_manager.filter(pk__in=pks):
            found[(label, record.pk)] = record
    return found


def tracked_record_models() -> list[type[models.Model]]:
    """Every model whose rows go into the chain: the historical models and the transition log."""
    from audit.history import HistoryBase
    from audit.models import TransitionLog

    return [m for m in apps.get_models() if issubclass(m, HistoryBase)] + [TransitionLog]


def _unchained_row(
    organization_id: int | None, since: dt.datetime | None = None
) -> tuple[str, int] | None:
    """A tracked row of this organization that no chain entry points to (inserted around us);
    with `since`, only among the rows written from then on."""
    from audit.models import TransitionLog

    for model in tracked_record_models():
        label = model._meta.label_lower
        org_field = "organization_id" if model is TransitionLog else "history_organization_id"
        if model is TransitionLog and not organization_id:
            continue
        chained = ChainEntry.objects.filter(
            record_model=label, record_pk=models.OuterRef(model._meta.pk.attname)
        )
        qs = model._default_manager.filter(**{org_field: organization_id or None})
        if since is not None:
            written = "created_at" if model is TransitionLog else "history_date"
            qs = qs.filter(**{f"{written}__gte": since})
        row = qs.filter(~models.Exists(chained)).values_list("pk", flat=True).first()
        if row is not None:
            return label, row
    return None


def verify(
    organization_id: int | None,
    *,
    since: ChainVerification | None = None,
    up_to: int | None = None,
) -> Verification:
    """Recompute the chain from the current database content; stop at the first broken link.

    With `since` (an earlier verification that passed), only the links after the head it
    verified are checked, once that head is found unchanged: the nightly check then reads
    a day's links, not years'. Rows it verified that were changed afterwards are found only
    by a full verification (without `since`), which beat runs weekly. `up_to` checks only
    the links up to that sequence number (e.g. the chain as a publication recorded it); the
    links after it are not read.
    """
    prev, expected, checked = GENESIS_HASH, 1, 0

    def broken(seq, problem):
        return Verification(False, checked, expected - 1, prev, seq, problem)

    if since is not None and since.head_seq:
        anchor = ChainEntry.objects.filter(
            organization_id=organization_id, seq=since.head_seq
        ).first()
        if anchor is None or anchor.hash != since.head_hash:
            return broken(
                since.head_seq,
                f"link #{since.head_seq}, the head verified on {since.started_at:%Y-%m-%d %H:%M}, "
                "was changed or removed since",
            )
        prev, expected = anchor.hash, anchor.seq + 1

    for batch in _chain_entries(organization_id, after=expected - 1, up_to=up_to):
        records = _records_for(batch)
        for entry in batch:
            if entry.seq != expected:
                return broken(
                    expected,
                    f"link #{expected} is missing (next found is #{entry.seq}): "
                    "an entry was deleted or renumbered",
                )
            if entry.prev_hash != prev:
                return broken(
                    entry.seq,
                    f"link #{entry.seq} ({entry.record_model} {entry.record_pk}) does not follow "
                    f"link #{entry.seq - 1}: entries were reordered, renumbered or removed",
                )
            record = records.get((entry.record_model, entry.record_pk))
            if record is None:
                return broken(
                    entry.seq,
                    f"link #{entry.seq}: {entry.record_model} {entry.record_pk} was deleted",
                )
            if link_hash(prev, payload(entry, record)) != entry.hash:
                return broken(
                    entry.seq,
                    f"link #{entry.seq}: {entry.record_model} {entry.record_pk} "
                    "or its chain entry was altered",
                )
            prev = entry.hash
            expected += 1
            checked += 1
    if up_to is not None:
        if expected - 1 != up_to:
            return broken(expected, f"link #{expected} is missing: an entry was deleted")
        return Verification(True, checked, expected - 1, prev)
    head = ChainHead.objects.filter(key=chain_key(organization_id)).first()
    if head is not None and (head.seq, head.hash) != (expected - 1, prev):
        return broken(
            expected,
            f"the chain head is #{head.seq} but the entries end at #{expected - 1}: "
            "the last entries were deleted",
        )
    unchained = _unchained_row(organization_id, since.started_at if since else None)
    if unchained is not None:
        return broken(
            expected,
            f"{unchained[0]} {unchained[1]} is not in the chain: it was written around the product",
        )
    return Verification(True, checked, expected - 1, prev)


def verification_record(
    organization_id: int | None, *, requested_by=None, full: bool = True
) -> ChainVerification:
    """Run `verify` and keep its result, and who asked for it, for the auditor's page;
    not `full`: from the head of the last verification that passed (the whole chain when
    there is none)."""
    from audit.context import current_actor, process_actor

    started = timezone.now()
    since = None
    if not full:
        last = ChainVerification.objects.filter(organization_id=organization_id).first()
        since = last if last is not None and last.ok else None
    result = verify(organization_id, since=since)
    actor = current_actor()
    system = "" if requested_by else ((actor.system if actor else "") or process_actor())
    return ChainVerification.objects.create(
        requested_by=requested_by,
        system_actor=system[:100],
        organization_id=organization_id,
        full=since is None,
        started_at=started,
        finished_at=timezone.now(),
        ok=result.ok,
        entries_checked=result.entries_checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        broken_seq=result.broken_seq,
        problem=result.problem,
    )


def rehash_from(entry: ChainEntry) -> None:
    """Recompute the links from `entry` to the head after its record was completed.

    Only for a record written earlier in the current transaction: the head row is locked
    by this transaction since that append, so every later link is this transaction's too.
    """
    key = chain_key(entry.organization_id)
    entries = list(
        ChainEntry.objects.filter(
            organization_id=entry.organization_id, seq__gte=entry.seq
        ).order_by("seq")
    )
    records = _records_for(entries)
    prev = entry.prev_hash
    for link in entries:
        new_hash = link_hash(prev, payload(link, records[(link.record_model, link.record_pk)]))
        if (link.prev_hash, link.hash) != (prev, new_hash):
            ChainEntry.objects.filter(pk=link.pk).update(prev_hash=prev, hash=new_hash)
        link.prev_hash, link.hash = prev, new_hash
        prev = new_hash
    ChainHead.objects.filter(key=key).update(prev_hash=entries[-1].prev_hash, hash=prev)
