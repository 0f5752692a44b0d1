"""Audit trail speed on PostgreSQL: 1,000,000 history rows over 10,000 measures.

    .venv/bin/python bench/audit.py [--pg postgres://postgres@127.0.0.1:5432] [--measures 10000]

Creates the database itaflow_bench_audit (or $BENCH_AUDIT_DB, so that workers sharing
a server do not drop each other's), loads it with COPY (psycopg 3), measures, and
drops it again. Measured: one item's timeline with diffs, the first page of the
organization log for a 30-day window, the report as of a date for 200 measures, export of
every log row (rows/s, peak RSS in a fresh process), and transitions per second with and
without the hash chain in the same run. Targets (issue 4) are printed next to each figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_AUDIT_DB", "itaflow_bench_audit")
ORG_MEASURES = 200
DEADLINE_SECONDS = 9 * 60


def _setup_django(pg: str) -> None:
    os.environ["DATABASE_URL"] = f"{pg}/{DB_NAME}"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _admin(pg: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def _timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


# ---- loading ---------------------------------------------------------------------------------


def _org_history(org_pk, divisions, year_pk, users, versions, ids, base, span):
    """One organization's measures and their versions as COPY text, plus its chain lines."""
    rng = random.Random(org_pk)
    measure_lines, m2m_lines, history_lines, events = [], [], [], []
    for number in range(1, ORG_MEASURES + 1):
        ids["measure"] += 1
        measure_id = ids["measure"]
        division = divisions[number % len(divisions)]
        measure_lines.append(
            f"{measure_id}\tdrafted\t{versions}\t1\t{base.isoformat()}\t{base.isoformat()}\t"
            f"{number}\tมาตรการทดสอบที่ {number}\t2020-10-01\t2021-09-01\t\\N\t\\N\t"
            f"{org_pk}\t{year_pk}\n"
        )
        m2m_lines.append(f"{measure_id}\t{division.pk}\n")
        offset = dt.timedelta(seconds=rng.random() * 3600)
        for v in range(1, versions + 1):
            ids["history"] += 1
            at = base + span * (v / (versions + 1)) + offset
            methods = ", ".join(
                f'{{"id": {measure_id * 10 + k}, "position": {k}, '
                f'"text": "วิธีการที่ {k} รุ่น {v - v % (k + 1)}"}}'
                for k in (1, 2, 3)
            )
            children = (
                f'{{"methods": [{methods}], '
                f'"divisions": [{{"id": {division.pk}, "name": "{division.name}"}}]}}'
            )
            user = users[(measure_id + v) % len(users)]
            state = ("drafted", "submitted", "reviewed", "approved")[v % 4]
            title = f"มาตรการทดสอบที่ {number}" + (" (แก้ไข)" if v % 10 == 0 else "")
            history_lines.append(
                f"{ids['history']}\t{measure_id}\t{state}\t{v}\t1\t{base.isoformat()}\t"
                f"{at.isoformat()}\t{number}\t{title}\t2020-10-01\t2021-09-01\t"
                f"{at.isoformat()}\tedited\t{'+' if v == 1 else '~'}\t\\N\t{year_pk}\t{user}\t"
                f"\\N\t{org_pk}\t{children}\t{org_pk}\t10.0.0.{v % 250}\t\n"
            )
            events.append((at, ids["history"], measure_id, user))
    events.sort()
    chain_lines = []
    for seq, (at, hid, mid, user) in enumerate(events, start=1):
        ids["chain"] += 1
        chain_lines.append(
            f"{ids['chain']}\t{org_pk}\t{seq}\t{'0' * 64}\t{ids['chain']:064x}\t"
            f"workflow.historicalmeasure\t{hid}\t{at.isoformat()}\t{user}\t\tedited\tedited\t"
            f"workflow.measure\t{mid}\t{mid}\t\\N\n"
        )
    return measure_lines, m2m_lines, "".join(history_lines), "".join(chain_lines)


HISTORY_COLUMNS = (
    "workflow_historicalmeasure (history_id, id, state, version, revision, created_at, "
    "updated_at, number, title, period_start, period_end, history_date, "
    "history_change_reason, history_type, created_by_id, fiscal_year_id, history_user_id, "
    "submitted_by_id, organization_id, history_children, history_organization_id, "
    "ip_address, system_actor)"
)
CHAIN_COLUMNS = (
    "audit_chainentry (id, organization_id, seq, prev_hash, hash, record_model, record_pk, "
    "created_at, actor_id, system_actor, action, reason, subject_model, subject_pk, "
    "measure_id, result_report_id)"
)


def load(measures_total: int, versions: int) -> dict:
    """Fill the database by COPY, one organization at a time (never all rows in memory)."""
    import tempfile

    from django.contrib.auth import get_user_model
    from django.db import connection

    from audit.models import ChainEntry
    from workflow.models import Division, FiscalYear, Measure, Organization

    User = get_user_model()
    started = time.perf_counter()
    orgs_n = max(1, measures_total // ORG_MEASURES)
    year = FiscalYear.objects.create(year=2564)
    users = [
        u.pk for u in User.objects.bulk_create([User(username=f"bench{i}") for i in range(20)])
    ]
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"อบต.ทดสอบ {i}", slug=f"bench-{i}") for i in range(orgs_n)]
    )
    divisions = Division.objects.bulk_create(
        [Division(organization=o, name=n, match_key=n) for o in orgs for n in ("สำนักปลัด", "กองคลัง")]
    )
    division_of: dict[int, list] = {}
    for d in divisions:
        division_of.setdefault(d.organization_id, []).append(d)
    ids = {
        "history": Measure.history.model.objects.order_by("-history_id")
        .values_list("history_id", flat=True).first() or 0,
        "chain": ChainEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        "measure": 0,
    }  # fmt: skip
    base = dt.datetime(2020, 10, 1, tzinfo=dt.UTC)
    span = dt.timedelta(days=365)
    connection.ensure_connection()
    raw = connection.connection  # Django's connection is in autocommit mode
    measure_lines, m2m_lines = [], []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as chain_file, raw.cursor() as cursor:
        with cursor.copy(f"COPY {HISTORY_COLUMNS} FROM STDIN") as copy:
            for org in orgs:
                measures, m2m, history, chain = _org_history(
                    org.pk, division_of[org.pk], year.pk, users, versions, ids, base, span
                )
                measure_lines += measures
                m2m_lines += m2m
                copy.write(history)
                chain_file.write(chain)
        chain_file.seek(0)
        with cursor.copy(f"COPY {CHAIN_COLUMNS} FROM STDIN") as copy:
            while block := chain_file.read(1 << 20):
                copy.write(block)
        with cursor.copy(
            "COPY workflow_measure (id, state, version, revision, created_at, updated_at, number, "
            "title, period_start, period_end, created_by_id, submitted_by_id, organization_id, "
            "fiscal_year_id) FROM STDIN"
        ) as copy:
            copy.write("".join(measure_lines))
        with cursor.copy(
            "COPY workflow_measure_divisions (measure_id, division_id) FROM STDIN"
        ) as copy:
            copy.write("".join(m2m_lines))
        for table, column in [
            ("workflow_measure", "id"),
            ("workflow_historicalmeasure", "history_id"),
            ("audit_chainentry", "id"),
        ]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT max({column}) FROM {table}))"
            )
        seq = ORG_MEASURES * versions
        for org in orgs:
            cursor.execute(
                "INSERT INTO audit_chainhead (key, seq, prev_hash, hash) VALUES (%s, %s, %s, %s)",
                [org.pk, seq, "0" * 64, f"{org.pk * seq:064x}"],
            )
        loaded = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
    return {
        "orgs": orgs_n,
        "measures": ids["measure"],
        "history_rows": ids["history"],
        "chain_entries": ids["chain"],
        "load_s": round(loaded - started, 1),
        "vacuum_s": round(time.perf_counter() - loaded, 1),
        "span": (base, base + span),
    }


# ---- reads -----------------------------------------------------------------------------------


def bench_reads(info: dict) -> dict:
    from audit import selectors
    from workflow.models import FiscalYear, Measure

    rng = random.Random(7)
    measure_ids = list(Measure.objects.values_list("pk", "organization_id"))
    timeline, timeline_all = [], []
    sample_rows = 0
    for n in range(300):
        pk, org = rng.choice(measure_ids)
        start = time.perf_counter()
        entries, after = selectors.item_timeline(organization_id=org, item=Measure, pk=pk)
        timeline.append((time.perf_counter() - start) * 1000)
        sample_rows = len(entries)
        if n % 10 == 0:  # the whole history, following the "older" links
            while after:
                _, after = selectors.item_timeline(
                    organization_id=org, item=Measure, pk=pk, after=after
                )
            timeline_all.append((time.perf_counter() - start) * 1000)

    begin, _end = info["span"]
    orgs = sorted({org for _, org in measure_ids})
    log_page = []
    for _ in range(500):
        org = rng.choice(orgs)
        frm = begin + dt.timedelta(days=rng.randrange(0, 330))
        f = selectors.LogFilter(
            organization_id=org, date_from=frm, date_to=frm + dt.timedelta(days=30)
        )
        start = time.perf_counter()
        selectors.organization_log(f, limit=50)
        log_page.append((time.perf_counter() - start) * 1000)

    year = FiscalYear.objects.get(year=2564)
    as_of = []
    measures_seen = 0
    for _ in range(60):
        org = rng.choice(orgs)
        at = begin + dt.timedelta(days=rng.randrange(30, 365))
        start = time.perf_counter()
        report = selectors.report_as_of(organization_id=org, fiscal_year_id=year.pk, at=at)
        as_of.append((time.perf_counter() - start) * 1000)
        measures_seen = max(measures_seen, len(report["working"]))
    return {
        "timeline_versions": sample_rows,
        "timeline_all_median_ms": statistics.median(timeline_all),
        "timeline_median_ms": statistics.median(timeline),
        "timeline_p99_ms": _pct(timeline, 99),
        "log_first_page_median_ms": statistics.median(log_page),
        "log_first_page_p99_ms": _pct(log_page, 99),
        "as_of_measures": measures_seen,
        "as_of_median_ms": statistics.median(as_of),
        "as_of_p99_ms": _pct(as_of, 99),
    }


def export_child(fmt: str) -> None:
    """Runs in its own process so that its peak RSS is the export's alone."""
    from audit import selectors
    from workflow.models import Organization

    rows = size = 0
    start = time.perf_counter()
    for org in Organization.objects.values_list("pk", flat=True).order_by("pk"):
        for chunk in selectors.log_export(selectors.LogFilter(organization_id=org), fmt):
            size += len(chunk)
            rows += chunk.count(b"\n")
        if fmt == "csv":
            rows -= 1  # header
    seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent
    status = Path("/proc/self/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    peak_mb = peak_kb / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "bytes": size, "peak_rss_mb": peak_mb}))


def bench_export(pg: str, fmt: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--pg", pg, "--export-child", fmt],
        check=True, capture_output=True, text=True, timeout=240,
    ).stdout  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


# ---- transitions -----------------------------------------------------------------------------


def bench_transitions(rounds: int, per_round: int) -> dict:
    from django.test import override_settings

    from approvals.models import Membership, Role
    from approvals.services import transition_perform
    from audit.context import acting_as
    from tests.factories import MeasureFactory, OrganizationFactory, UserFactory
    from workflow.models import Action, FiscalYear

    with acting_as(system="bench"):
        org = OrganizationFactory(slug="bench-transitions")
        year = FiscalYear.objects.get(year=2564)
        measure = MeasureFactory(organization=org, fiscal_year=year, number=1)
        head = UserFactory(username="bench-head")
        membership = Membership.objects.create(user=head, organization=org, role=Role.DIVISION_HEAD)
        membership.divisions.set(measure.divisions.all())

    def run(n: int) -> float:
        start = time.perf_counter()
        for i in range(n):
            action = Action.SUBMIT if i % 2 == 0 else Action.WITHDRAW
            transition_perform(item=measure, action=action, actor=head)
        return time.perf_counter() - start

    run(20)  # warm up
    times = {True: 0.0, False: 0.0}
    for _ in range(rounds):
        for chain_on in (True, False):
            with override_settings(AUDIT_CHAIN_ENABLED=chain_on):
                times[chain_on] += run(per_round)
    total = rounds * per_round
    with_chain, without = total / times[True], total / times[False]
    return {
        "transitions_each": total,
        "with_chain_per_s": with_chain,
        "without_chain_per_s": without,
        "ratio": with_chain / without,
        "chain_cost_pct": (1 - with_chain / without) * 100,
    }


# ---- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--load-only", action="store_true", help="load, then keep the database")
    parser.add_argument("--export-child", choices=["csv", "jsonl"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.export_child:
        _setup_django(args.pg)
        export_child(args.export_child)
        return

    t0 = time.perf_counter()
    _admin(args.pg, f"DROP DATABASE IF EXISTS {DB_NAME}")
    _admin(args.pg, f"CREATE DATABASE {DB_NAME}")
    try:
        _setup_django(args.pg)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        info = load(args.measures, args.versions)
        print(f"loaded {info['history_rows']:,} history rows and {info['chain_entries']:,} chain "
              f"entries over {info['measures']:,} measures in {info['orgs']} organizations "
              f"(generate + COPY {info['load_s']} s, VACUUM ANALYZE {info['vacuum_s']} s)",
              flush=True)  # fmt: skip
        if args.load_only:
            args.keep = True
            return
        reads = bench_reads(info)
        print(f"timeline, first page ({reads['timeline_versions']} newest of {args.versions} "
              f"versions, diffs): median {reads['timeline_median_ms']:.2f} ms, p99 "
              f"{reads['timeline_p99_ms']:.2f} ms (target median <= 5 ms); every page: median "
              f"{reads['timeline_all_median_ms']:.2f} ms", flush=True)  # fmt: skip
        print(f"log first page, 30-day window: median {reads['log_first_page_median_ms']:.2f} ms, "
              f"p99 {reads['log_first_page_p99_ms']:.2f} ms (target p99 <= 10 ms)",
              flush=True)  # fmt: skip
        print(f"report as of a date ({reads['as_of_measures']} measures): median "
              f"{reads['as_of_median_ms']:.1f} ms, p99 {reads['as_of_p99_ms']:.1f} ms "
              "(target median <= 100 ms)", flush=True)  # fmt: skip
        for fmt in ("csv", "jsonl"):
            if time.perf_counter() - t0 > DEADLINE_SECONDS - 120:
                print(f"export {fmt}: skipped, out of time")
                continue
            ex = bench_export(args.pg, fmt)
            print(f"export {fmt}: {ex['rows']:,} rows in {ex['seconds']:.1f} s = "
                  f"{ex['rows_per_s']:,.0f} rows/s, peak RSS {ex['peak_rss_mb']:.0f} MB "
                  "(target >= 100,000 rows/s, <= 100 MB)", flush=True)  # fmt: skip
        tr = bench_transitions(rounds=10, per_round=100)
        print(f"transitions: {tr['with_chain_per_s']:.0f}/s with chain, "
              f"{tr['without_chain_per_s']:.0f}/s without, ratio {tr['ratio']:.2f} "
              f"(chain costs {tr['chain_cost_pct']:.1f} %; target <= 20 %)",
              flush=True)  # fmt: skip
        print(f"total {time.perf_counter() - t0:.0f} s")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            _admin(args.pg, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
