"""National size: every page on a database of thousands of organizations, against one.

    .venv/bin/python bench/national.py [--pg postgres://postgres@127.0.0.1:5432]
        [--orgs 7850] [--years 3] [--reuse] [--requests 200] [--pages …] [--load-seconds 30]
        [--skip-fill] [--skip-measure] [--skip-load] [--skip-verify] [--drop]

Fill: the database itaflow_oneorg (or $BENCH_ONEORG_DB) gets one organization built through
the services (the seeded demo อบต.เขาทอง with FY 2564–2566, 10 measures and 3 reporting
rounds a year, each measure and report taken through submit → review → approve → publish,
some returned first; inbox and outbox rows and delivery attempts as the transitions left
them). itaflow_national (or $BENCH_NATIONAL_DB) is created from it as a template and the
organization's rows are replicated `--orgs - 1` times with INSERT … SELECT over
generate_series: every key is shifted by k × stride, so keys and foreign keys stay
consistent, and every copy gets its own name, slug, province, search key and user accounts.
The secondary indexes are dropped for the load and built again after it. The copies' chain
entries are hashed in Python by audit.chain's own `payload` over the shifted records (fork
workers, beside the inserts) and loaded with COPY, so `audit_verify` passes for every copy;
each organization then gets a month of nightly verifications. `--reuse` keeps both
databases when they exist (measure again without refilling).

Measure: two gunicorn servers (DEBUG off, same settings), one per database; a logged-in
session per role and an API token; each page kind requested `--requests` times on both,
interleaved, for the same organization (the template: same keys on both). Printed: p50 and
p99 (of 200: the third slowest, not the slowest) per page and database and the p99 ratio
national / one organization (goal ≤ 1.5).

Load: locust, headless, a fixed page mix, against gunicorn on the national database with
2 and then 4 workers: requests/s. Verify: `audit_verify` on the national database, full,
incremental, and full with `--jobs 2`: links/s.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONEORG_DB = os.environ.get("BENCH_ONEORG_DB", "itaflow_oneorg")
NATIONAL_DB = os.environ.get("BENCH_NATIONAL_DB", "itaflow_national")
YEARS = (2564, 2565, 2566, 2567, 2568)
MEASURES = 10  # a year: the 7 imported in FY 2564 and 3 more; 10 drafted in the later years
ROUNDS = (("รอบ 6 เดือน", 6, 4), ("รอบ 9 เดือน", 9, 7), ("รอบ 12 เดือน", 12, 10))
PASSWORD = "itaflow-2564"
SLUG = "khao-thong"
PROVINCES = (
    "กระบี่", "กาญจนบุรี", "กาฬสินธุ์", "กำแพงเพชร", "ขอนแก่น", "จันทบุรี", "ฉะเชิงเทรา", "ชลบุรี",
    "ชัยนาท", "ชัยภูมิ", "ชุมพร", "เชียงราย", "เชียงใหม่", "ตรัง", "ตราด", "ตาก", "นครนายก",
    "นครปฐม", "นครพนม", "นครราชสีมา", "นครศรีธรรมราช", "นครสวรรค์", "นนทบุรี", "นราธิวาส",
    "น่าน", "บึงกาฬ", "บุรีรัมย์", "ปทุมธานี", "ประจวบคีรีขันธ์", "ปราจีนบุรี", "ปัตตานี",
    "พระนครศรีอยุธยา", "พะเยา", "พังงา", "พัทลุง", "พิจิตร", "พิษณุโลก", "เพชรบุรี", "เพชรบูรณ์",
    "แพร่", "ภูเก็ต", "มหาสารคาม", "มุกดาหาร", "แม่ฮ่องสอน", "ยโสธร", "ยะลา", "ร้อยเอ็ด", "ระนอง",
    "ระยอง", "ราชบุรี", "ลพบุรี", "ลำปาง", "ลำพูน", "เลย", "ศรีสะเกษ", "สกลนคร", "สงขลา", "สตูล",
    "สมุทรปราการ", "สมุทรสงคราม", "สมุทรสาคร", "สระแก้ว", "สระบุรี", "สิงห์บุรี", "สุโขทัย",
    "สุพรรณบุรี", "สุราษฎร์ธานี", "สุรินทร์", "หนองคาย", "หนองบัวลำภู", "อ่างทอง", "อำนาจเจริญ",
    "อุดรธานี", "อุตรดิตถ์", "อุทัยธานี", "อุบลราชธานี",
)  # fmt: skip
SYLLABLES = (
    "บ้าน", "หนอง", "โคก", "ดอน", "นา", "ห้วย", "ทุ่ง", "วัง", "ท่า", "บึง", "เขา", "คลอง", "ป่า",
    "สระ", "หัว", "บาง", "โพธิ์", "ไทร", "แก้ว", "ทอง", "ใหม่", "กลาง", "เหนือ", "ใต้", "งาม", "สวย",
    "ยาง", "ขาม", "แดง", "ขาว", "หลวง", "น้อย", "ใหญ่", "เจริญ", "สุข", "ศรี", "ชัย", "พัฒนา", "มงคล",
    "สมบูรณ์",
)  # fmt: skip


def _setup_django(database: str, pg: str) -> None:
    os.environ["DATABASE_URL"] = f"{pg}/{database}"
    os.environ["DEBUG"] = "false"
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.pop("REDIS_URL", None)  # tasks in-process, as a one-machine install runs them
    import django

    django.setup()


def _admin(pg: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def _exists(pg: str, database: str) -> bool:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        return bool(found.fetchone())


# ---- the organization built through the services ----------------------------------------------


def _heads_of(measure):
    from approvals.models import Membership, Role

    wanted = set(measure.divisions.values_list("pk", flat=True))
    for membership in Membership.objects.filter(
        organization_id=measure.organization_id, role=Role.DIVISION_HEAD
    ).prefetch_related("divisions"):
        if wanted & {d.pk for d in membership.divisions.all()}:
            return membership.user
    raise LookupError(f"no head for measure {measure.pk}")


def _walk(item, head, people, actions):
    from approvals.services import transition_perform
    from workflow.models import Action, State

    by = {
        "submit": head, "withdraw": head, "review": people["working"],
        "approve": people["nayok"], "publish": people["publisher"],
    }  # fmt: skip
    for action in actions:
        comment = ""
        actor = by.get(action)
        if action == "return":
            state = type(item).objects.get(pk=item.pk).state
            actor = people["working"] if state == State.SUBMITTED else people["nayok"]
            comment = "กรุณาระบุหลักฐานการดำเนินการให้ครบถ้วน"
        transition_perform(item=item, action=Action(action), actor=actor, comment=comment)
        item = type(item).objects.get(pk=item.pk)
    return item


def template_build(years: int = 3, *, rounds: int = 3, files: bool = True):
    """The demo organization with `years` fiscal years through the services; returns it.

    The report files are made once per year at the end (not at every publication), as the
    first visitor after the last publication would have them made.
    """
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from workflow import services
    from workflow import services as workflow_services
    from workflow.models import FiscalYear, Measure, Organization, Publication, ReportingRound

    enqueue = workflow_services._report_files_enqueue
    workflow_services._report_files_enqueue = lambda publication_id: None
    try:
        call_command("seed_demo", stdout=io.StringIO())
        org = Organization.objects.get(slug=SLUG)
        people = {u.username: u for u in get_user_model().objects.all()}
        for year in YEARS[:years]:
            fiscal_year = FiscalYear.objects.get_or_create(year=year)[0]
            ce = year - 543
            for name, months, due_month in ROUNDS[-rounds:]:
                if not ReportingRound.objects.filter(
                    organization=org, fiscal_year=fiscal_year, name=name
                ).exists():
                    services.reporting_round_create(
                        organization=org, actor=people["orgadmin"], fiscal_year=year, name=name,
                        months=months, due_on=dt.date(ce, due_month, 28),
                    )  # fmt: skip
            year_rounds = list(
                ReportingRound.objects.filter(organization=org, fiscal_year=fiscal_year)
            )[-rounds:]
            divisions = list(org.divisions.order_by("pk"))
            first = Measure.objects.filter(organization=org, fiscal_year=fiscal_year).count() + 1
            for extra in range(first, MEASURES + 1):
                services.measure_create(
                    organization=org, fiscal_year=fiscal_year, actor=people["working"],
                    number=extra, title=f"เปิดเผยข้อมูลสาธารณะ เรื่องที่ {extra} ปี {year}",
                    methods=["จัดทำประกาศ", "เผยแพร่บนเว็บไซต์ของหน่วยงาน"],
                    division_ids=[divisions[extra % len(divisions)].pk],
                    period_start=dt.date(ce - 1, 10, 1), period_end=dt.date(ce, 9, 30),
                )  # fmt: skip
            measures = list(
                Measure.objects.filter(organization=org, fiscal_year=fiscal_year).order_by("number")
            )
            for position, measure in enumerate(measures):
                head = _heads_of(measure)
                actions = ["submit", "review", "approve", "publish"]
                if position % 4 == 1:
                    actions = ["submit", "return", "submit", "review", "approve", "publish"]
                _walk(measure, head, people, actions)
                for round_ in year_rounds:
                    report = measure.result_reports.filter(reporting_round=round_).first()
                    if report is None:
                        report = services.result_report_create(
                            measure=measure, reporting_round=round_, actor=head,
                            items=[f"ดำเนินการแล้ว ({round_.name})", "รายงานผลต่อผู้บริหาร"],
                        )  # fmt: skip
                    actions = ["submit", "review", "approve", "publish"]
                    if (position + round_.months) % 5 == 0:
                        actions = ["submit", "review", "return", "submit", "review", "approve",
                                   "publish"]  # fmt: skip
                    _walk(report, head, people, actions)
        for year in YEARS[:years]:
            latest = (
                Publication.objects.filter(organization=org, fiscal_year__year=year)
                .order_by("-published_at", "-pk")
                .first()
            )
            if latest is not None and files:
                from workflow.tasks import report_files_make

                report_files_make(latest.pk)
        for username in ("working", "auditor"):
            Token.objects.get_or_create(user=people[username])
        from audit.chain import verification_record

        verification_record(org.pk)
    finally:
        workflow_services._report_files_enqueue = enqueue
    return org


# ---- replication ------------------------------------------------------------------------------

# Global rows (shared by every organization) and what is not copied: the copies point to them.
GLOBAL_MODELS = {
    "workflow.fiscalyear", "workflow.assessmentscheme", "workflow.assessmenttool",
    "workflow.indicator", "workflow.levelband", "workflow.oititem", "approvals.mailboxhealth",
    "auth.permission", "auth.group", "audit.historicaluser", "audit.chainhead",
    "audit.chainverification",
}  # fmt: skip
COPIED_APPS = {"workflow", "approvals", "audit", "auth"}
# Text columns that are unique across organizations: their value in copy k.
ORG_TEXT = {"name": "name", "short_name": "short_name", "slug": "slug", "province": "province",
            "name_search_key": "name_search_key"}  # fmt: skip
SUFFIXED = {("auth.user", "username"), ("approvals.notification", "dedupe_key"),
            ("approvals.outboxmessage", "idempotency_key")}  # fmt: skip


def _org_names(copies: range) -> dict[int, dict[str, str]]:
    """Copy k's organization: a Thai name of two syllables and a number, slug, province."""
    from workflow.thai import search_key

    out = {}
    n = len(SYLLABLES)
    for k in copies:
        place = SYLLABLES[k % n] + SYLLABLES[(k // n) % n]
        name, short_name = f"องค์การบริหารส่วนตำบล{place} {k}", f"อบต.{place} {k}"
        out[k] = {
            "name": name,
            "short_name": short_name,
            "slug": f"{SLUG}-{k}",
            "province": PROVINCES[k % len(PROVINCES)],
            "name_search_key": f"{search_key(name)} {search_key(short_name)}",  # as save() does
        }
    return out


ORG_LABELS = ("workflow.organization", "workflow.historicalorganization")
# columns holding a copied row's key without being a foreign key
PLAIN_KEYS = {("audit.chainentry", "record_pk"), ("audit.chainentry", "subject_pk"),
              ("approvals.historicalmembership_divisions", "id")}  # fmt: skip


def _is_key(field, label: str, copied: set, history_of) -> bool:
    from django.db import models

    name = field.attname
    return (
        (field.primary_key and isinstance(field, models.AutoField))
        or (field.is_relation and field.related_model in copied)
        or name == "history_organization_id"
        or (history_of is not None and name == "id")
        or (label, name) in PLAIN_KEYS
    )


def replication_plan():
    """Per copied model: its table, columns, which are shifted keys, and a row filter."""
    from django.apps import apps

    from audit.history import HistoryBase

    copied = set()
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model._meta.app_label in COPIED_APPS and label not in GLOBAL_MODELS:
            history_of = getattr(model, "instance_type", None)
            if history_of is not None and history_of._meta.label_lower in GLOBAL_MODELS:
                continue
            copied.add(model)
    plan = []
    for model in copied:
        label = model._meta.label_lower
        history_of = getattr(model, "instance_type", None)
        shifted, text = [], {}
        for field in model._meta.concrete_fields:
            name = field.attname
            if _is_key(field, label, copied, history_of):
                shifted.append(name)
            elif label in ORG_LABELS and name in ORG_TEXT:
                text[name] = ORG_TEXT[name]
            elif (label, name) in SUFFIXED:
                text[name] = "suffix"
            elif (field.unique and not field.primary_key) and label != "workflow.organization":
                raise AssertionError(f"{label}.{name} is unique: say how copies differ")
        where = "TRUE"
        if issubclass(model, HistoryBase):
            where = "history_organization_id = %(org)s"
        elif label == "audit.chainentry":
            where = "organization_id = %(org)s"
        plan.append(
            {
                "model": model, "label": label, "table": model._meta.db_table,
                "columns": [f.column for f in model._meta.concrete_fields],
                "attnames": [f.attname for f in model._meta.concrete_fields],
                "pk": model._meta.pk.column, "shifted": shifted, "text": text, "where": where,
            }
        )  # fmt: skip
    return plan


def _template_table(entry) -> str:
    return f"bench_t_{entry['table']}"[:63]


def _template_sql(entry, stride: int) -> str:
    """The template organization's rows of one table, kept aside once: every batch reads
    them there instead of probing the growing table."""
    where = entry["where"]
    return (
        f"CREATE TEMP TABLE {_template_table(entry)} AS SELECT * FROM {entry['table']} t"
        f" WHERE t.{entry['pk']} < {stride} AND ({where})"
    )


def _select_sql(entry, stride: int) -> str:
    exprs = []
    for column, attname in zip(entry["columns"], entry["attnames"], strict=True):
        if attname in entry["shifted"]:
            exprs.append(f"t.{column} + g.k * {stride}::bigint")
        elif entry["text"].get(attname) == "suffix":
            exprs.append(f"t.{column} || '-' || g.k")
        elif attname in entry["text"]:
            exprs.append(f"n.{entry['text'][attname]}")
        else:
            exprs.append(f"t.{column}")
    names = (
        " JOIN bench_names n ON n.k = g.k"
        if any(v != "suffix" for v in entry["text"].values())
        else ""
    )
    return (
        f"INSERT INTO {entry['table']} ({', '.join(entry['columns'])}) SELECT {', '.join(exprs)}"
        f" FROM {_template_table(entry)} t"
        f" CROSS JOIN generate_series(%(lo)s::int, %(hi)s::int) AS g(k){names}"
    )


def secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of `tables` that back no constraint: dropped while
    the copies are loaded and built again after (one sort each instead of millions of
    inserts into every index, the trigram ones above all)."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
        " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid ="
        " (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
        " ORDER BY i.tablename, i.indexname",
        [tables],
    )
    return cursor.fetchall()


def stride_for(cursor, plan) -> int:
    """One shift for every key: above the largest key of any copied table."""
    largest = 0
    for entry in plan:
        for attname, column in zip(entry["attnames"], entry["columns"], strict=True):
            if attname in entry["shifted"]:
                cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {entry['table']}")
                largest = max(largest, cursor.fetchone()[0])
    return int(10 ** len(str(largest)))  # a round number: copy k's keys read as k·10ⁿ + key


# the state shared with the forked hashing workers
_HASHING: dict = {}


def _chain_lines(k: int) -> bytes:
    """Copy k's chain entries as COPY text: each record shifted, then hashed as audit does."""
    from audit.chain import link_hash, payload
    from audit.models import GENESIS_HASH

    state = _HASHING
    stride, shifted, texts = state["stride"], state["shifted"], state["texts"]
    off = k * stride
    names = _org_names(range(k, k + 1))[k]
    prev = last_prev = GENESIS_HASH
    out = io.StringIO()
    for entry, record, original_entry, original_record in state["links"]:
        entry.__dict__.update(original_entry)
        record.__dict__.update(original_record)
        for name in ("id", "organization_id", "record_pk", "subject_pk", "actor_id", "measure_id",
                     "result_report_id"):  # fmt: skip
            value = original_entry[name]
            if value is not None:
                setattr(entry, name, value + off)
        label = record._meta.label_lower
        for name in shifted[label]:
            value = original_record[name]
            if value is not None:
                setattr(record, name, value + off)
        for name, how in texts[label].items():
            value = original_record[name]
            setattr(record, name, f"{value}-{k}" if how == "suffix" else names[how])
        digest = link_hash(prev, payload(entry, record))
        last_prev = prev
        row = [
            entry.id, entry.organization_id, entry.seq, prev, digest, entry.record_model,
            entry.record_pk, entry.created_at.isoformat(), entry.actor_id, entry.system_actor,
            entry.action, entry.reason, entry.subject_model, entry.subject_pk, entry.measure_id,
            entry.result_report_id,
        ]  # fmt: skip
        out.write("\t".join(_copy_text(v) for v in row) + "\n")
        prev = digest
    out.write(f"#HEAD\t{original_entry['organization_id'] + off}\t{entry.seq}\t{last_prev}\t")
    out.write(f"{prev}\n")
    return out.getvalue().encode()


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


CHAIN_COLUMNS = (
    "id, organization_id, seq, prev_hash, hash, record_model, record_pk, created_at, actor_id,"
    " system_actor, action, reason, subject_model, subject_pk, measure_id, result_report_id"
)


def replicate(raw, *, organization_id: int, copies: int, batch: int = 500, jobs: int = 2,
              say=print) -> dict:  # fmt: skip
    """Copy the organization `copies` times into the database of `raw` (a psycopg connection).

    Django's own connection reads the template organization's chain (the same rows as in
    `raw`'s database, which starts as a copy). The copies' rows are inserted while forked
    workers hash their chains and a second connection loads them with COPY; the secondary
    indexes are dropped for the load and built again after. Returns seconds per step.
    """
    import threading

    import psycopg

    from audit.chain import _records_for
    from audit.models import ChainEntry

    timings = {}
    plan = replication_plan()
    cur = raw.cursor()
    stride = stride_for(cur, plan)
    if stride * (copies + 1) >= 2**31:
        raise SystemExit(f"stride {stride} × {copies + 1} copies overflows 32-bit keys")
    say(f"  stride {stride:,} (copy k's keys are k·{stride:,} + the template's)")
    started = time.monotonic()
    cur.execute("SET session_replication_role = replica")  # no FK triggers: keys are consistent
    cur.execute("SET synchronous_commit = off")
    cur.execute(
        "CREATE TEMP TABLE bench_names (k int PRIMARY KEY, name text, short_name text,"
        " slug text, province text, name_search_key text)"
    )
    with cur.copy("COPY bench_names FROM STDIN") as copy:
        for k, names in _org_names(range(1, copies + 1)).items():
            copy.write_row((k, *(names[column] for column in ORG_TEXT)))
    tables = [e for e in plan if e["label"] != "audit.chainentry"]
    for entry in tables:
        cur.execute(_template_sql(entry, stride), {"org": organization_id})
    indexes = secondary_indexes(cur, [e["table"] for e in plan])
    for name, _definition in indexes:
        cur.execute(f"DROP INDEX {name}")
    raw.commit()
    timings["template rows aside, indexes dropped"] = time.monotonic() - started

    # the chains: hashed by forked workers (forked now, before any thread), loaded by a thread
    entries = list(ChainEntry.objects.filter(organization_id=organization_id).order_by("seq"))
    records = _records_for(entries)
    by_label = {e["label"]: e for e in plan}
    _HASHING.update(
        stride=stride,
        shifted={label: e["shifted"] for label, e in by_label.items()},
        texts={label: e["text"] for label, e in by_label.items()},
        links=[
            (
                entry, records[(entry.record_model, entry.record_pk)],
                dict(entry.__dict__), dict(records[(entry.record_model, entry.record_pk)].__dict__),
            )
            for entry in entries
        ],
    )  # fmt: skip
    from django.db import connections

    connections.close_all()  # the forked workers must not share Django's socket
    pool = multiprocessing.get_context("fork").Pool(jobs)
    chain_outcome: dict = {}

    def chains_load():
        try:
            chain_started = time.monotonic()
            with psycopg.connect(raw.info.dsn) as conn, conn.cursor() as ccur:
                ccur.execute("SET session_replication_role = replica")
                ccur.execute("SET synchronous_commit = off")
                heads, done = [], 0
                with ccur.copy(f"COPY audit_chainentry ({CHAIN_COLUMNS}) FROM STDIN") as copy:
                    for blob in pool.imap(_chain_lines, range(1, copies + 1), chunksize=8):
                        body, _, head = blob.rpartition(b"#HEAD\t")
                        copy.write(body)
                        heads.append(head.decode().rstrip("\n").split("\t"))
                        done += 1
                        if done % 1000 == 0:
                            say(f"  chains of {done} copies in"
                                f" {time.monotonic() - chain_started:.0f} s")  # fmt: skip
                with ccur.copy("COPY audit_chainhead (key, seq, prev_hash, hash) FROM STDIN") as c:
                    for key, seq, prev_hash, digest in heads:
                        c.write_row((int(key), int(seq), prev_hash, digest))
            chain_outcome["seconds"] = time.monotonic() - chain_started
        except BaseException as error:  # re-raised in the main thread
            chain_outcome["error"] = error

    loader = threading.Thread(target=chains_load, name="chains")
    loader.start()
    started = time.monotonic()
    try:
        for lo in range(1, copies + 1, batch):
            hi = min(copies, lo + batch - 1)
            for entry in tables:
                cur.execute(_select_sql(entry, stride), {"lo": lo, "hi": hi})
            raw.commit()
            say(f"  rows of copies {lo}–{hi} in {time.monotonic() - started:.0f} s")
        timings["rows (INSERT … SELECT)"] = time.monotonic() - started
    finally:
        loader.join()
        pool.close()
        pool.join()
    if "error" in chain_outcome:
        raise chain_outcome["error"]
    timings["chain entries (hashed, COPY; beside the rows)"] = chain_outcome["seconds"]

    started = time.monotonic()
    cur.execute("SET maintenance_work_mem = '1GB'")
    for _name, definition in indexes:
        cur.execute(definition)
        raw.commit()
    say(f"  {len(indexes)} indexes built again in {time.monotonic() - started:.0f} s")
    timings["indexes built"] = time.monotonic() - started

    started = time.monotonic()
    cur.execute("SET session_replication_role = DEFAULT")
    for entry in plan:
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [entry["table"], entry["pk"]])
        sequence = cur.fetchone()[0]
        if sequence:
            cur.execute(
                f"SELECT setval(%s, GREATEST("
                f"(SELECT MAX({entry['pk']}) FROM {entry['table']}), 1))",
                [sequence],
            )
    for entry in tables:
        cur.execute(f"DROP TABLE {_template_table(entry)}")
    cur.execute("DROP TABLE bench_names")
    nightly_verifications(cur)
    raw.commit()
    raw.autocommit = True
    cur.execute("VACUUM (ANALYZE)")  # the visibility map too: index-only scans, as in production
    raw.autocommit = False
    timings["sequences, VACUUM ANALYZE"] = time.monotonic() - started
    return timings


NIGHTS = 30


def nightly_verifications(cursor, nights: int = NIGHTS) -> None:
    """A month of audit_verify's nightly runs for every organization, as production keeps
    them (full once a week, incremental otherwise): the readiness check and /metrics read the
    latest per chain, and a national deployment adds 7,850 a night."""
    cursor.execute("DELETE FROM audit_chainverification WHERE organization_id IS NOT NULL")
    cursor.execute(
        "INSERT INTO audit_chainverification (organization_id, started_at, finished_at, ok,"
        ' "full", entries_checked, head_seq, head_hash, broken_seq, problem, requested_by_id,'
        " system_actor)"
        " SELECT h.key, date_trunc('day', now()) - d * interval '1 day' + interval '2 hours',"
        " date_trunc('day', now()) - d * interval '1 day' + interval '2 hours 1 second', TRUE,"
        " d %% 7 = 0, CASE WHEN d %% 7 = 0 THEN h.seq ELSE 0 END, h.seq, h.hash, NULL, '',"
        " NULL, 'audit_verify'"
        " FROM audit_chainhead h JOIN workflow_organization o ON o.id = h.key"
        " CROSS JOIN generate_series(%s, 1, -1) AS d",
        [nights],
    )
    cursor.execute(  # as ChainVerification.save leaves the latest on the chain's head
        "UPDATE audit_chainhead h SET verified_at = v.started_at, verified_ok = v.ok"
        " FROM (SELECT DISTINCT ON (organization_id) organization_id, started_at, ok"
        " FROM audit_chainverification WHERE organization_id IS NOT NULL"
        " ORDER BY organization_id, started_at DESC, id DESC) v"
        " WHERE h.key = v.organization_id"
    )


ROW_TABLES = (
    "workflow_organization", "auth_user", "approvals_membership", "workflow_measure",
    "workflow_resultreport", "workflow_publication", "workflow_historicalmeasure",
    "workflow_historicalresultreport", "workflow_historicalmeasuremethod",
    "workflow_historicalresultitem", "audit_transitionlog", "audit_chainentry",
    "audit_chainverification",
    "approvals_notification", "approvals_outboxmessage", "approvals_deliveryattempt",
)  # fmt: skip


def row_counts(raw) -> tuple[dict, int]:
    """Rows per table, and the history + log + chain total the issue asks ≥ 10 million of."""
    cur = raw.cursor()
    cur.execute(
        "SELECT relname, n_live_tup FROM pg_stat_user_tables"
        " WHERE relname LIKE 'workflow_historical%%' OR relname LIKE 'approvals_historical%%'"
        " OR relname IN ('audit_transitionlog', 'audit_chainentry')"
    )
    audit_rows = sum(n for _, n in cur.fetchall())
    counts = {}
    for table in ROW_TABLES:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        counts[table] = cur.fetchone()[0]
    cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
    counts["(database size)"] = cur.fetchone()[0]
    raw.commit()
    return counts, audit_rows


def fill(args) -> None:
    import psycopg

    say = print
    if args.reuse and _exists(args.pg, ONEORG_DB) and _exists(args.pg, NATIONAL_DB):
        say(f"--reuse: {ONEORG_DB} and {NATIONAL_DB} kept as they are")
        _setup_django(ONEORG_DB, args.pg)
        return
    _admin(args.pg, f"DROP DATABASE IF EXISTS {NATIONAL_DB}")
    if args.reuse and _exists(args.pg, ONEORG_DB):
        say(f"--reuse: {ONEORG_DB} kept as it is; {NATIONAL_DB} filled again from it")
        _setup_django(ONEORG_DB, args.pg)
        from django.db import connection

        from workflow.models import Organization

        org = Organization.objects.get(slug=SLUG)
    else:
        _admin(args.pg, f"DROP DATABASE IF EXISTS {ONEORG_DB}", f"CREATE DATABASE {ONEORG_DB}")
        _setup_django(ONEORG_DB, args.pg)
        from django.core.management import call_command
        from django.db import connection

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        migrated = time.monotonic() - started
        started = time.monotonic()
        org = template_build(args.years)
        with connection.cursor() as cursor:
            nightly_verifications(cursor)
        built = time.monotonic() - started
        say(f"{ONEORG_DB}: migrated in {migrated:.0f} s, the organization built through the"
            f" services in {built:.0f} s")  # fmt: skip
    connection.close()
    _admin(args.pg, f"CREATE DATABASE {NATIONAL_DB} TEMPLATE {ONEORG_DB}")
    started = time.monotonic()
    with psycopg.connect(f"{args.pg}/{NATIONAL_DB}") as raw:
        timings = replicate(raw, organization_id=org.pk, copies=args.orgs - 1, jobs=args.jobs)
        total = time.monotonic() - started
        counts, audit_rows = row_counts(raw)
    say(f"\n{NATIONAL_DB}: {args.orgs:,} organizations × {args.years} fiscal years filled in"
        f" {total:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})")  # fmt: skip
    for table, count in counts.items():
        say(
            f"  {table:<36} {count:>14,}"
            if isinstance(count, int)
            else f"  {table:<36} {count:>14}"
        )
    say(f"  {'history + transition log + chain rows':<36} {audit_rows:>14,}")


# ---- measuring through gunicorn -----------------------------------------------------------------


def _gunicorn(pg: str, database: str, port: int, workers: int, logdir: Path):
    env = {
        **os.environ, "DATABASE_URL": f"{pg}/{database}", "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings.base", "EMAIL_URL": "dummymail://",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    env.pop("REDIS_URL", None)
    log = open(logdir / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn.py",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--no-control-socket",
         "--timeout", "120"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    import requests

    for _ in range(120):
        try:
            requests.get(f"http://127.0.0.1:{port}/health/", timeout=2)
            return process
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn on {port} did not start; see {logdir}")


def _stop(process) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _login(base: str, username: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"}, timeout=30, allow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 302, (username, answer.status_code)
    session.headers["Accept-Language"] = "th"
    return session


def page_targets() -> list[tuple[str, str, str]]:
    """(page, who, path) for the template organization: the same keys on both databases."""
    from workflow.models import Measure, Organization, Publication, ResultReport

    org = Organization.objects.get(slug=SLUG)
    year = YEARS[1]
    measure = Measure.objects.filter(organization=org, fiscal_year__year=year).order_by("number")[1]
    report = ResultReport.objects.filter(measure=measure).order_by("pk").first()
    published = Publication.objects.filter(organization=org, fiscal_year__year=year).exists()
    assert published, "the template organization has no publication"
    s = SLUG
    return [
        ("home", "working", "/"),
        ("inbox", "working", "/inbox/"),
        ("year grid", "working", f"/years/{year}/"),
        ("measure list", "working", f"/measures/?year={year}"),
        ("measure page", "working", f"/measures/{measure.pk}/"),
        ("report list", "working", f"/reports/?year={year}"),
        ("report page", "working", f"/reports/{report.pk}/"),
        ("audit home (log)", "auditor", f"/audit/{s}/"),
        ("audit timeline", "auditor", f"/audit/{s}/measures/{measure.pk}/"),
        ("audit as-of", "auditor", f"/audit/{s}/as-of/?year={year}"),
        ("audit chain", "auditor", f"/audit/{s}/chain/"),
        ("audit CSV export", "auditor", f"/audit/{s}/log.csv"),
        ("audit JSONL export", "auditor", f"/audit/{s}/log.jsonl"),
        ("public index", "public", "/public/"),
        ("public search", "public", "/public/?q=เขาทอง"),
        ("public search broad", "public", "/public/?q=บ้าน"),
        ("public province", "public", "/public/province/นครสวรรค์/"),
        ("public index p.3", "public", "/public/?page=3"),
        ("public org", "public", f"/public/{s}/"),
        ("public report", "public", f"/public/{s}/{year}/"),
        ("public PDF", "public", f"/public/{s}/{year}/report.pdf"),
        ("public XLSX", "public", f"/public/{s}/{year}/report.xlsx"),
        ("public verify", "public", f"/public/{s}/{year}/verify/"),
        ("ITA home", "working", "/ita/"),
        ("API measures", "api", f"/api/v1/measures/?fiscal_year={year}"),
        ("API measure", "api", f"/api/v1/measures/{measure.pk}/"),
        ("API result reports", "api", "/api/v1/result-reports/"),
        ("API organizations", "api", "/api/v1/organizations/"),
        ("API public report", "public", f"/api/v1/public/{s}/{year}/"),
        ("API audit log", "api-auditor", f"/api/v1/audit/{s}/log/"),
        ("API audit as-of", "api-auditor", f"/api/v1/audit/{s}/as-of/?year={year}"),
        ("API ITA results", "api", "/api/v1/ita/results/"),
        ("health ready", "public", "/health/ready/"),
        ("metrics", "public", "/metrics"),
    ]


def _clients(base: str):
    import requests
    from rest_framework.authtoken.models import Token

    tokens = dict(Token.objects.values_list("user__username", "key"))
    public = requests.Session()
    public.headers["Accept-Language"] = "th"
    clients = {"public": public, "working": _login(base, "working"),
               "auditor": _login(base, "auditor")}  # fmt: skip
    for who, username in (("api", "working"), ("api-auditor", "auditor")):
        api = requests.Session()
        api.headers["Authorization"] = f"Token {tokens[username]}"
        clients[who] = api
    return clients


def _timed(session, url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = session.get(url, timeout=120)
    size = len(response.content)
    return (time.perf_counter() - started) * 1000, response.status_code, size


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def measure(args, logdir: Path) -> list[tuple]:
    ports = {"one": 8103, "national": 8113}
    servers = {
        "one": _gunicorn(args.pg, ONEORG_DB, ports["one"], 1, logdir),
        "national": _gunicorn(args.pg, NATIONAL_DB, ports["national"], 1, logdir),
    }
    rows = []
    try:
        bases = {db: f"http://127.0.0.1:{port}" for db, port in ports.items()}
        clients = {db: _clients(base) for db, base in bases.items()}
        for page, who, path in page_targets():
            if args.pages and not any(word in page for word in args.pages.split(",")):
                continue
            timings = {"one": [], "national": []}
            statuses = set()
            for db in ("one", "national"):  # warm-up: files made, caches filled
                statuses.add(_timed(clients[db][who], bases[db] + path)[1])
            for i in range(args.requests):
                order = ("one", "national") if i % 2 == 0 else ("national", "one")
                for db in order:
                    ms, status, _ = _timed(clients[db][who], bases[db] + path)
                    statuses.add(status)
                    timings[db].append(ms)
            one, nat = timings["one"], timings["national"]
            row = (page, statistics.median(one), statistics.median(nat), _pct(one, 99),
                   _pct(nat, 99), _pct(nat, 99) / _pct(one, 99), sorted(statuses))  # fmt: skip
            rows.append(row)
            print(_row_text(row), flush=True)
    finally:
        for process in servers.values():
            _stop(process)
    return rows


def _row_text(row) -> str:
    page, p50o, p50n, p99o, p99n, ratio, statuses = row
    mark = "" if ratio <= 1.5 else "  > 1.5"
    status = "" if statuses == [200] else f"  HTTP {statuses}"
    return (f"{page:<22} {p50o:>9.1f} {p50n:>9.1f} {p99o:>9.1f} {p99n:>9.1f} {ratio:>6.2f}"
            f"{mark}{status}")  # fmt: skip


TABLE_HEAD = (
    f"{'page':<22} {'p50 one':>9} {'p50 nat':>9} {'p99 one':>9} {'p99 nat':>9} {'ratio':>6}"
    "   (ms; ratio = p99 national / p99 one organization)"
)


# ---- load (locust) ------------------------------------------------------------------------------

LOCUSTFILE = """
import re
from locust import HttpUser, between, task

PATHS = {paths!r}


class Citizen(HttpUser):
    wait_time = between(0, 0)

    @task(6)
    def public_index(self):
        self.client.get("/public/", name="public index")

    @task(4)
    def public_search(self):
        self.client.get(PATHS["public search"], name="public search")

    @task(6)
    def report(self):
        self.client.get(PATHS["public report"], name="public report")

    @task(2)
    def pdf(self):
        self.client.get(PATHS["public PDF"], name="public PDF")


class Official(HttpUser):
    wait_time = between(0, 0)

    def on_start(self):
        page = self.client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post("/accounts/login/", data={{"username": "working", "password": {pw!r},
                         "csrfmiddlewaretoken": token}},
                         headers={{"Referer": self.host + "/accounts/login/"}})

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def measure(self):
        self.client.get(PATHS["measure page"], name="measure page")

    @task(2)
    def year(self):
        self.client.get(PATHS["year grid"], name="year grid")
"""


def load(args, logdir: Path) -> list[str]:
    paths = {page: path for page, _, path in page_targets()}
    locustfile = logdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE.format(paths=paths, pw=PASSWORD))
    lines = []
    for workers in (2, 4):
        server = _gunicorn(args.pg, NATIONAL_DB, 8113, workers, logdir)
        try:
            prefix = logdir / f"locust-{workers}"
            subprocess.run(
                [str(Path(sys.executable).with_name("locust")), "-f", str(locustfile), "--headless",
                 "--users", str(args.load_users), "--spawn-rate", str(args.load_users),
                 "--run-time", f"{args.load_seconds}s", "--host", "http://127.0.0.1:8113",
                 "--csv", str(prefix), "--only-summary"],
                cwd=logdir, check=False, capture_output=True,
            )  # fmt: skip
            stats = (prefix.parent / f"{prefix.name}_stats.csv").read_text().splitlines()
            total = next(line for line in stats if ",Aggregated," in line).split(",")
            header = stats[0].split(",")
            row = dict(zip(header, total, strict=False))
            lines.append(
                f"gunicorn {workers} workers, {args.load_users} users, {args.load_seconds} s:"
                f" {float(row['Requests/s']):.1f} requests/s, {row['Request Count']} requests,"
                f" {row['Failure Count']} failures, p50 {row['50%']} ms, p99 {row['99%']} ms"
            )
            print(lines[-1], flush=True)
        finally:
            _stop(server)
    return lines


def verify_speed(args) -> list[str]:
    """audit_verify's own work (verification_record) on `--verify-orgs` organizations of the
    national database, in a fresh process: full, incremental, full in 2 processes."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    done = subprocess.run(
        [sys.executable, __file__, "--pg", args.pg, "--verify-worker", str(args.verify_orgs)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("audit_verify")]
    if done.returncode or not lines:
        lines.append(f"audit_verify failed: {done.stderr[-500:]}")
    for line in lines:
        print(line, flush=True)
    return lines


def _verify_one(organization_pk: int, full: bool) -> tuple[bool, int]:
    from audit.chain import verification_record

    run = verification_record(organization_pk, full=full)
    return run.ok, run.entries_checked


def _verify_worker(pg: str, organizations: int) -> None:
    from concurrent.futures import ProcessPoolExecutor

    _setup_django(NATIONAL_DB, pg)
    from django.db import connections

    from workflow.models import Organization

    pks = list(Organization.objects.order_by("?").values_list("pk", flat=True)[:organizations])
    for label, full, jobs in (("full", True, 1), ("incremental", False, 1), ("full", True, 2)):
        started = time.monotonic()
        if jobs == 1:
            results = [_verify_one(pk, full) for pk in pks]
        else:
            connections.close_all()
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                results = list(pool.map(_verify_one, pks, [full] * len(pks)))
        elapsed = time.monotonic() - started
        links = sum(n for _, n in results)
        intact = sum(ok for ok, _ in results)
        print(f"audit_verify {label}, {jobs} process(es), {len(pks)} random organizations:"
              f" {intact} intact, {links:,} links in {elapsed:.1f} s"
              f" ({links / elapsed:,.0f} links/s)", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--orgs", type=int, default=7850, help="organizations in the national DB")
    parser.add_argument("--years", type=int, default=3, choices=range(1, len(YEARS) + 1))
    parser.add_argument("--jobs", type=int, default=2, help="processes hashing the copies' chains")
    parser.add_argument("--reuse", action="store_true", help="keep both databases if they exist")
    parser.add_argument(
        "--requests", type=int, default=200,
        help="requests per page and database (p99 of 200: the third slowest)",
    )  # fmt: skip
    parser.add_argument("--pages", default="", help="only pages whose name has one of these")
    parser.add_argument("--load-users", type=int, default=8)
    parser.add_argument("--load-seconds", type=int, default=30)
    parser.add_argument("--skip-fill", action="store_true")
    parser.add_argument("--skip-measure", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--verify-orgs", type=int, default=100,
                        help="organizations audit_verify is timed on")  # fmt: skip
    parser.add_argument("--verify-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--drop", action="store_true", help="drop both databases at the end")
    args = parser.parse_args()
    if args.verify_worker:
        _verify_worker(args.pg, args.verify_worker)
        return
    if NATIONAL_DB in ("itaflow",) or ONEORG_DB in ("itaflow",):
        raise SystemExit("never the itaflow database")
    logdir = Path(tempfile.mkdtemp(prefix="bench-national-"))
    if args.skip_fill:
        _setup_django(ONEORG_DB, args.pg)
    else:
        fill(args)
    report = []
    if not args.skip_measure:
        print("\n" + TABLE_HEAD, flush=True)
        rows = measure(args, logdir)
        worst = max(rows, key=lambda r: r[5])
        report.append(f"worst p99 ratio: {worst[0]} {worst[5]:.2f}")
        print(report[-1])
    if not args.skip_load:
        print()
        load(args, logdir)
    if not args.skip_verify:
        print()
        verify_speed(args)
    if args.drop:
        from django.db import connections

        connections.close_all()
        _admin(args.pg, f"DROP DATABASE IF EXISTS {NATIONAL_DB}")
        _admin(args.pg, f"DROP DATABASE IF EXISTS {ONEORG_DB}")
    shutil.rmtree(logdir, ignore_errors=True)


if __name__ == "__main__":
    main()
