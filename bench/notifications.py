"""Notification speed: commit → e-mail latency with one worker, and what the outbox costs.

    .venv/bin/python bench/notifications.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itaflow .venv/bin/python bench/notifications.py

It creates a throw-away database (Django's test database, `test_<name>`), starts
its own redis-server, an SMTP server (bench/smtp_sink.py) and one Celery worker
(`celery -A config worker`, prefork, `--concurrency` 1 unless told), then:

1. latency: N transitions paced at R per second (submit/withdraw, one recipient
   each; a fixed schedule, never faster than R, no catching up in bursts when the
   producer falls behind, and the rate reached is reported); for every e-mail, the
   time from the transition's commit to the SMTP server holding it (p50/p95/p99).
   Several rates can be given (`--rate 50 35`);
2. burst: N transitions as fast as one process can, the worker sending alongside;
3. backlog: N transitions written with the hand-off held back, then handed over
   at once as N tasks (one per transition, as the publisher would have): the
   worker's most e-mails per second, and its CPU time per e-mail;
4. cost: transitions per second with the outbox on and off, interleaved rounds in
   the same run (worker stopped, so only the write path is measured), and the ratio.

Goals (issue 5): p95 ≤ 100 ms at 50 transitions/s; the outbox costs ≤ 25 % of throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import celery_harness  # noqa: E402  (the same real services as the worker tests)


class SinkProcess:
    """bench/smtp_sink.py in a process of its own, so this busy process does not slow it."""

    def __init__(self) -> None:
        self.port = celery_harness.free_port()
        self.path = Path(tempfile.mkdtemp(prefix="itaflow-bench-")) / "mail.log"
        self.path.touch()
        self.process: subprocess.Popen | None = None
        self.offset = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(self.port), str(self.path)],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout.readline().strip() == b"ready"

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)

    def reset(self) -> None:
        self.offset = self.path.stat().st_size

    def received(self) -> list[tuple[float, str]]:
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            lines = handle.read().decode().splitlines()
        return [(float(at), key) for at, key in (line.split(" ", 1) for line in lines if line)]

    def count(self) -> int:
        return len(self.received())


def cpu_seconds_of_group(pgid: int) -> float:
    """User + system CPU time of every live process in a process group (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp …
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=1000)
    parser.add_argument(
        "--rate", type=float, nargs="+", default=[50.0], help="paced transitions per second"
    )
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes")
    parser.add_argument("--cost-rounds", type=int, default=6)
    parser.add_argument("--cost-transitions", type=int, default=250, help="per round and mode")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    redis_server = celery_harness.RedisServer()
    redis_server.start()
    smtp = SinkProcess()
    smtp.start()
    os.environ["REDIS_URL"] = redis_server.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DEBUG"] = "false"  # as in production: no query log kept in memory

    import django
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATABASES["default"]["TEST"] = {
            "NAME": str(Path(tempfile.mkdtemp(prefix="itaflow-bench-")) / "bench.sqlite3")
        }
    django.setup()

    from django.db import connection

    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    worker = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "NOTIFY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DATABASE_URL=celery_harness.database_url(connection.settings_dict),
            REDIS_URL=redis_server.url,
            EMAIL_URL=smtp.url,
            LOG_LEVEL="WARNING",
            DEBUG="false",
        )
        worker = celery_harness.CeleryWorker(
            env, tempfile.mkdtemp(prefix="itaflow-bench-"), concurrency=args.concurrency
        )
        figures = run(args, worker, smtp, redis_server)
    finally:
        if worker:
            worker.stop()
        connection.creation.destroy_test_db(db_name, verbosity=0)
        smtp.stop()
        redis_server.close()
    report(figures)
    if args.json:
        print(json.dumps(figures, indent=2))


def run(args, worker, smtp, redis_server) -> dict:
    from unittest import mock

    from django.db import connection, transaction

    from approvals.models import OutboxMessage, Role
    from approvals.services import transition_perform
    from tests.factories import MeasureFactory, MembershipFactory
    from workflow.models import Action

    items = []
    measure = MeasureFactory()
    org = measure.organization
    head = MembershipFactory(organization=org, role=Role.DIVISION_HEAD).user
    MembershipFactory(organization=org, role=Role.WORKING_GROUP)  # the one recipient
    for _ in range(40):
        m = MeasureFactory(organization=org, fiscal_year=measure.fiscal_year)
        head.memberships.get().divisions.add(m.divisions.get())
        items.append(m)
    states = {m.pk: "drafted" for m in items}
    commits: dict[int, float] = {}

    def one(i: int, *, stamped: bool = True) -> None:
        item = items[i % len(items)]
        action = Action.SUBMIT if states[item.pk] == "drafted" else Action.WITHDRAW
        if stamped:
            # The first on_commit callback runs right after COMMIT, before the outbox's own.
            stamp: dict[str, float] = {}
            with transaction.atomic():
                transaction.on_commit(lambda: stamp.setdefault("t", time.time()))
                log = transition_perform(item=item, action=action, actor=head)
            commits[log.pk] = stamp["t"]
        else:
            transition_perform(item=item, action=action, actor=head)
        states[item.pk] = "submitted" if action == Action.SUBMIT else "drafted"

    def delivered_latencies() -> list[float]:
        return [(at - commits[int(key.split(":")[1])]) * 1000 for at, key in smtp.received()]

    # 1. latency at steady rates
    worker.start()
    for i in range(20):  # warm up connections and caches on both sides
        one(i)
    celery_harness.wait_for(lambda: smtp.count() >= 20, timeout=60)
    paced = []
    done = 20
    for rate in args.rate:
        smtp.reset()
        commits.clear()
        interval = 1 / rate
        start = next_at = time.perf_counter()
        for i in range(args.transitions):
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            # The schedule moves on from now when behind: never a burst to catch up.
            last_start = time.perf_counter()
            next_at = max(next_at + interval, last_start)
            one(done + i)
        reached = (args.transitions - 1) / (last_start - start)
        done += args.transitions
        celery_harness.wait_for(lambda: smtp.count() >= args.transitions, timeout=600, interval=0.2)
        latencies = delivered_latencies()
        keys = [key for _, key in smtp.received()]
        paced.append(
            {
                "target_rate": rate,
                "reached_rate": round(reached, 1),
                "emails": len(latencies),
                "duplicates": len(keys) - len(set(keys)),
                "latency_ms": spread(latencies),
            }
        )

    # 2. burst: the producer as fast as it goes, the worker sending alongside
    smtp.reset()
    commits.clear()
    start = time.perf_counter()
    for i in range(args.transitions):
        one(done + i)
    done += args.transitions
    burst_produce = args.transitions / (time.perf_counter() - start)
    celery_harness.wait_for(lambda: smtp.count() >= args.transitions, timeout=600, interval=0.2)
    burst_latencies = delivered_latencies()

    # 3. backlog: what one worker sends at most, and its CPU time per e-mail
    from approvals import delivery

    client = redis_server.client()

    def queue_idle() -> bool:
        return not client.llen("celery") and not client.hlen("unacked")

    celery_harness.wait_for(queue_idle, timeout=120)  # tasks left from the runs above
    smtp.reset()
    commits.clear()
    held: list[list[int]] = []
    with mock.patch.object(delivery.publisher, "submit", held.append):
        for i in range(args.transitions):
            one(done + i)
    done += args.transitions
    time.sleep(1.0)  # let the worker settle: idle CPU is not counted below
    worker_cpu = cpu_seconds_of_group(worker.process.pid)
    handed = time.time()
    for ids in held:
        delivery.outbox_dispatch(ids)
    celery_harness.wait_for(lambda: smtp.count() >= args.transitions, timeout=600, interval=0.1)
    # Done when the last task is, too: those whose messages went out in an earlier batch
    # still cost the worker their turn.
    celery_harness.wait_for(queue_idle, timeout=600, interval=0.02)
    backlog_last = max(time.time(), *(at for at, _ in smtp.received()))
    worker_cpu_ms = (cpu_seconds_of_group(worker.process.pid) - worker_cpu) * 1000
    backlog_keys = [key for _, key in smtp.received()]

    # 4. cost of the outbox on the write path (worker stopped: only the transaction is measured)
    worker.stop()
    rates: dict[str, list[float]] = {"on": [], "off": []}
    offset = 0
    from approvals import services

    # What the transition calls to tell people, stubbed out for "off" (its name depends
    # on the version of the transition path).
    if hasattr(services, "transition_notifications"):
        outbox_off = ("transition_notifications", lambda **kw: ([], []))
    else:
        outbox_off = ("notifications_enqueue", lambda **kw: [])
    for round_ in range(args.cost_rounds + 1):  # the first round only warms up
        for mode in ("off", "on"):
            patch = (
                mock.patch.object(services, *outbox_off)
                if mode == "off"
                else contextlib.nullcontext()
            )
            with patch:
                begin = time.perf_counter()
                for i in range(args.cost_transitions):
                    one(offset + i, stamped=False)
                # the round ends when its e-mails are handed to Celery, so the publishing
                # is counted in its own round and not in the next one
                delivery.publisher.flush(timeout=30)
                if round_:
                    rates[mode].append(args.cost_transitions / (time.perf_counter() - begin))
            offset += args.cost_transitions
    redis_server.client().flushdb()
    on = statistics.median(rates["on"]) if rates["on"] else float("nan")
    off = statistics.median(rates["off"]) if rates["off"] else float("nan")

    return {
        "database": connection.vendor,
        "concurrency": args.concurrency,
        "load_average_1min": os.getloadavg()[0],
        "transitions": args.transitions,
        "paced": paced,
        "burst": {
            "produced_per_s": round(burst_produce, 1),
            "latency_ms": spread(burst_latencies),
        },
        "backlog": {
            "emails": len(backlog_keys),
            "duplicates": len(backlog_keys) - len(set(backlog_keys)),
            "sent_per_s": round(len(backlog_keys) / (backlog_last - handed), 1),
            "worker_cpu_ms_per_email": round(worker_cpu_ms / len(backlog_keys), 2),
        },
        "cost": {
            "transitions_per_s_outbox_off": round(off, 1),
            "transitions_per_s_outbox_on": round(on, 1),
            "on_over_off": round(on / off, 3),
            "outbox_cost_percent": round((1 - on / off) * 100, 1),
            "rounds_off": [round(r, 1) for r in rates["off"]],
            "rounds_on": [round(r, 1) for r in rates["on"]],
        },
        "outbox_rows": OutboxMessage.objects.count(),
    }


def spread(latencies: list[float]) -> dict:
    return {
        "p50": round(percentile(latencies, 50), 1),
        "p95": round(percentile(latencies, 95), 1),
        "p99": round(percentile(latencies, 99), 1),
        "max": round(max(latencies), 1),
    }


def report(f: dict) -> None:
    cost, burst, backlog = f["cost"], f["burst"], f["backlog"]
    print(
        f"database: {f['database']}; one worker (prefork, concurrency {f['concurrency']}); "
        f"SMTP on localhost; load average at the end {f['load_average_1min']:.1f} "
        f"on {os.cpu_count()} cores"
    )
    for run in f["paced"]:
        lat = run["latency_ms"]
        behind = "" if run["reached_rate"] >= 0.95 * run["target_rate"] else " (producer behind)"
        print(
            f"latency commit → e-mail at the SMTP server, {f['transitions']} transitions paced "
            f"at {run['target_rate']:g}/s, reached {run['reached_rate']}/s{behind}: "
            f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms"
            f"  [goal p95 ≤ 100 ms: {'met' if lat['p95'] <= 100 else 'NOT met'}]"
        )
        print(f"  e-mails {run['emails']}, duplicates {run['duplicates']}")
    lat = burst["latency_ms"]
    print(
        f"burst: produced {burst['produced_per_s']} transitions/s as fast as one process goes: "
        f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms"
    )
    print(
        f"backlog of {backlog['emails']} tasks: one worker sent {backlog['sent_per_s']} e-mails/s "
        f"(duplicates {backlog['duplicates']}); worker CPU "
        f"{backlog['worker_cpu_ms_per_email']} ms per e-mail "
        f"(≈ {1000 / max(backlog['worker_cpu_ms_per_email'], 0.01):.0f} e-mails/s per free core)"
    )
    print(
        f"write path: {cost['transitions_per_s_outbox_off']}/s outbox off, "
        f"{cost['transitions_per_s_outbox_on']}/s outbox on → ratio {cost['on_over_off']}, "
        f"cost {cost['outbox_cost_percent']} %  "
        f"[goal ≤ 25 %: {'met' if cost['outbox_cost_percent'] <= 25 else 'NOT met'}]"
    )


if __name__ == "__main__":
    main()
