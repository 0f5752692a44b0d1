"""Transitions per second through approvals.services.transition_perform, against plain ORM saves.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itaflow .venv/bin/python bench/transitions.py

Creates its own scratch database (Django's test database, `test_<name>`), fills it,
and drops it at the end. On the same measures it times:
  * the full transition through the service: one round trip reads (the row locked with the
    actor's authority, the last version, the people to tell), one writes (the row, its
    version, the transition record, both chain links, the inbox entries), in one
    transaction; alternating submit / withdraw by a division head;
  * a plain ORM `save(update_fields=["state"])` per row (no history, autocommit);
in one process and in two processes on disjoint rows (medians of --repeat runs), the SQL
queries one transition costs, and last the ratio full / plain in one process.

For scale, in the same run and one process, three reference stacks that do less:
  * lock only: the row read FOR UPDATE and its state saved in one transaction, nothing
    recorded (the least any transition that locks its item costs through the ORM);
  * naive: the stack of ../shared/NOTES.md on tables of its own made for the run: a
    django-fsm-2 transition on the instance in hand, saved, with its simple-history row and
    a transition-log row, in one transaction; no lock, no permission check, no chain;
  * naive + Celery: the same and `transaction.on_commit` sending a task to Redis (only with
    REDIS_URL set; the queue is emptied at the end).
and how much of one transition is spent waiting on the database (its queries and COMMIT,
timed around the driver calls): the ratio the transition could reach with no Python at all.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def _setup() -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # no query log: measure the service, not the debug cursor


def _world(rows: int) -> dict:
    from django.contrib.auth import get_user_model

    from approvals.models import Membership, Role
    from workflow.models import (
        Division,
        FiscalYear,
        Measure,
        MeasureMethod,
        Organization,
        ReportingRound,
        ResultItem,
        ResultReport,
    )

    organization = Organization.objects.create(name="อบต.ทดสอบความเร็ว", slug="bench")
    fiscal_year = FiscalYear.objects.get_or_create(year=2564)[0]
    divisions = [
        Division.objects.create(organization=organization, name=f"กอง {i}") for i in range(5)
    ]
    user_model = get_user_model()
    heads = []
    for i in range(2):
        head = user_model.objects.create_user(username=f"bench-head-{i}", password="x")
        membership = Membership.objects.create(
            user=head, organization=organization, role=Role.DIVISION_HEAD
        )
        membership.divisions.set(divisions)
        for role in (Role.WORKING_GROUP, Role.AUDITOR):  # memberships that do not count
            Membership.objects.create(user=head, organization=organization, role=role)
        heads.append(head.pk)
    import datetime as dt

    reporting_round = ReportingRound.objects.create(
        organization=organization, fiscal_year=fiscal_year, name="รอบ 12 เดือน",
        due_on=dt.date(2021, 10, 31),
    )  # fmt: skip
    ids, report_ids = [], []
    for number in range(1, rows + 1):
        measure = Measure.objects.create(
            organization=organization,
            fiscal_year=fiscal_year,
            number=number,
            title=f"มาตรการที่ {number}",
            period_start=dt.date(2020, 10, 1),
            period_end=dt.date(2021, 9, 1),
        )
        measure.divisions.set(divisions[:2])
        MeasureMethod.objects.create(measure=measure, position=1, text="วิธีการ")
        report = ResultReport.objects.create(measure=measure, reporting_round=reporting_round)
        ResultItem.objects.create(report=report, position=1, text="ผล")
        ids.append(measure.pk)
        report_ids.append(report.pk)
    return {
        "organization": organization.pk,
        "heads": heads,
        "measure": ids,
        "report": report_ids,
    }


def _model(kind: str):
    from workflow.models import Measure, ResultReport

    return Measure if kind == "measure" else ResultReport


def _full(kind: str, ids: list[int], head_id: int, cycles: int) -> tuple[int, float]:
    """Submit then withdraw each row `cycles` times through the service."""
    from django.contrib.auth import get_user_model

    from approvals.services import transition_perform
    from workflow.models import Action

    head = get_user_model().objects.get(pk=head_id)
    items = list(_model(kind).objects.filter(pk__in=ids))
    count = 0
    started = time.perf_counter()
    for _ in range(cycles):
        for action in (Action.SUBMIT, Action.WITHDRAW):
            for item in items:
                transition_perform(item=item, action=action, actor=head)
                count += 1
    return count, time.perf_counter() - started


def _plain(kind: str, ids: list[int], cycles: int) -> tuple[int, float]:
    """The same state changes as plain ORM saves of one field, without history."""
    items = list(_model(kind).objects.filter(pk__in=ids))
    for item in items:
        item.skip_history_when_saving = True
    count = 0
    started = time.perf_counter()
    for _ in range(cycles):
        for state in ("submitted", "drafted"):
            for item in items:
                item.__dict__["state"] = state  # the FSM field is protected against assignment
                item.save(update_fields=["state"])
                count += 1
    return count, time.perf_counter() - started


def _lock_only(kind: str, ids: list[int], cycles: int) -> tuple[int, float]:
    """Lock the row, save its state, commit: no history, no record, no check."""
    from django.db import transaction

    model = _model(kind)
    count = 0
    started = time.perf_counter()
    for _ in range(cycles):
        for state in ("submitted", "drafted"):
            for pk in ids:
                with transaction.atomic():
                    item = model.objects.select_for_update().only("pk", "state").get(pk=pk)
                    item.__dict__["state"] = state
                    item.skip_history_when_saving = True
                    item.save(update_fields=["state"])
                count += 1
    return count, time.perf_counter() - started


def _naive_models():
    """The naive stack's own tables (an item with django-fsm-2 and simple-history, a log)."""
    from django.conf import settings
    from django.db import connection, models
    from django_fsm import FSMField, transition
    from simple_history.models import HistoricalRecords

    class BenchNaiveItem(models.Model):
        state = FSMField(default="drafted", protected=True)
        title = models.CharField(max_length=200)
        organization = models.ForeignKey("workflow.Organization", on_delete=models.CASCADE)
        updated_at = models.DateTimeField(auto_now=True)
        history = HistoricalRecords()

        class Meta:
            app_label = "workflow"

        def __str__(self):
            return self.title

        @transition(field=state, source="drafted", target="submitted")
        def submit(self):
            pass

        @transition(field=state, source="submitted", target="drafted")
        def withdraw(self):
            pass

    class BenchNaiveLog(models.Model):
        item = models.ForeignKey(BenchNaiveItem, on_delete=models.CASCADE)
        action = models.CharField(max_length=20)
        source_state = models.CharField(max_length=20)
        target_state = models.CharField(max_length=20)
        actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
        comment = models.TextField(blank=True)
        created_at = models.DateTimeField(auto_now_add=True)

        class Meta:
            app_label = "workflow"

        def __str__(self):
            return self.action

    with connection.schema_editor() as editor:
        for model in (BenchNaiveItem, BenchNaiveItem.history.model, BenchNaiveLog):
            editor.create_model(model)
    return BenchNaiveItem, BenchNaiveLog


_NAIVE_QUEUE = "bench-naive"


def _naive(items, log_model, actor, cycles: int, celery: bool) -> tuple[int, float]:
    """The naive stack: FSM method, save (simple-history adds its row), a log row."""
    from django.db import transaction

    from config.celery import app

    count = 0
    started = time.perf_counter()
    for _ in range(cycles):
        for action in ("submit", "withdraw"):
            for item in items:
                with transaction.atomic():
                    source = item.state
                    getattr(item, action)()
                    item.save()
                    log_model.objects.create(
                        item=item, action=action, source_state=source,
                        target_state=item.state, actor=actor,
                    )  # fmt: skip
                    if celery:
                        transaction.on_commit(
                            lambda pk=item.pk: app.send_task(
                                "bench.naive", args=[pk], queue=_NAIVE_QUEUE
                            )
                        )
                count += 1
    return count, time.perf_counter() - started


def _naive_queue_empty() -> None:
    from config.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(_NAIVE_QUEUE)


def _child(how: str, kind: str, ids, head_id, cycles, queue) -> None:
    from django.db import connections

    connections.close_all()
    if how == "full":
        count, _ = _full(kind, ids, head_id, cycles)
    else:
        count, _ = _plain(kind, ids, cycles)
    queue.put(count)
    connections.close_all()


def _two_processes(how: str, kind: str, halves, heads, cycles) -> float:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [
        context.Process(target=_child, args=(how, kind, half, head, cycles, queue))
        for half, head in zip(halves, heads, strict=True)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    total = sum(queue.get() for _ in processes)
    for process in processes:
        process.join()
    return total / (time.perf_counter() - started)


def _database_time(kind: str, ids: list[int], head_id: int) -> tuple[float, float]:
    """(ms per transition spent waiting on the database, ms per transition in all).

    Times each query (the driver sends BEGIN with the first) and the COMMIT around the
    driver calls; the rest is Python. The database part alone bounds the ratio.
    """
    from django.db import connection

    waited = 0.0

    def timed(call):
        def call_timed(*args):
            nonlocal waited
            started = time.perf_counter()
            try:
                return call(*args)
            finally:
                waited += time.perf_counter() - started

        return call_timed

    connection._commit = timed(connection._commit)  # the instance's own, removed below
    try:
        with connection.execute_wrapper(lambda execute, *args: timed(execute)(*args)):
            count, seconds = _full(kind, ids, head_id, 1)
    finally:
        del connection._commit
    return waited / count * 1000, seconds / count * 1000


def _queries_per_transition(kind, ids, head_id) -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals.services import transition_perform
    from workflow.models import Action

    head = get_user_model().objects.get(pk=head_id)
    item = _model(kind).objects.get(pk=ids[0])
    # a session's first transitions also prepare its statements (once): not counted
    _full(kind, ids[1:3], head_id, 1)
    counts = {}
    for action in (Action.SUBMIT, Action.WITHDRAW):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            transition_perform(item=item, action=action, actor=head)
        counts[action.value] = len(captured)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--kind", choices=["measure", "report"], default="measure",
        help="measures (history copies the divisions too) or result reports",
    )  # fmt: skip
    args = parser.parse_args()
    _setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/transitions.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        world = _world(args.rows)
        kind, ids, heads = args.kind, world[args.kind], world["heads"]
        halves = [ids[0::2], ids[1::2]]
        item_model, log_model = _naive_models()
        naive_items = [
            item_model.objects.create(title=f"มาตรการที่ {n}", organization_id=world["organization"])
            for n in range(1, len(ids) + 1)
        ]
        actor = get_user_model().objects.get(pk=heads[0])
        celery = bool(settings.REDIS_URL)
        _full(kind, ids[:20], heads[0], 1)  # warm up
        _naive(naive_items[:20], log_model, actor, 1, celery)
        full, plain, full2, plain2 = [], [], [], []
        lock, naive, naive_celery = [], [], []
        for _ in range(args.repeat):
            count, seconds = _full(kind, ids, heads[0], args.cycles)
            full.append(count / seconds)
            count, seconds = _plain(kind, ids, args.cycles)
            plain.append(count / seconds)
            count, seconds = _lock_only(kind, ids, args.cycles)
            lock.append(count / seconds)
            count, seconds = _naive(naive_items, log_model, actor, args.cycles, False)
            naive.append(count / seconds)
            if celery:
                count, seconds = _naive(naive_items, log_model, actor, args.cycles, True)
                naive_celery.append(count / seconds)
            full2.append(_two_processes("full", kind, halves, heads, args.cycles))
            plain2.append(_two_processes("plain", kind, halves, heads, args.cycles))
        if celery:
            _naive_queue_empty()
        queries = _queries_per_transition(kind, ids, heads[0])
        timings = [_database_time(kind, ids, heads[0]) for _ in range(args.repeat)]
        database_ms = statistics.median(t[0] for t in timings)
        transition_ms = statistics.median(t[1] for t in timings)
        full_rate, plain_rate = statistics.median(full), statistics.median(plain)
        print(f"{kind} rows: {len(ids)}, transitions per run: {len(ids) * 2 * args.cycles}")
        print(f"full transition, 1 process:  {full_rate:8.0f} /s")
        print(f"full transition, 2 processes: {statistics.median(full2):8.0f} /s")
        print(f"plain ORM save, 1 process:   {plain_rate:8.0f} /s")
        print(f"plain ORM save, 2 processes:  {statistics.median(plain2):8.0f} /s")
        print("for scale, one process, with their ratio to the plain save:")
        references = [("lock only", lock), ("naive", naive), ("naive + Celery", naive_celery)]
        for name, rates in references:
            if rates:
                rate = statistics.median(rates)
                print(f"  {name + ':':<16}{rate:8.0f} /s  ratio {rate / plain_rate:.2f}")
        if not celery:
            print("  naive + Celery: not run (set REDIS_URL)")
        print(
            f"database time per transition (its queries and COMMIT): {database_ms:.2f} ms"
            f" of {transition_ms:.2f} ms; with no Python at all the ratio would be at most"
            f" {1000 / database_ms / plain_rate:.2f}"
        )
        print(
            "queries per transition (BEGIN and COMMIT included): "
            + ", ".join(f"{k} {v}" for k, v in queries.items())
        )
        print(f"ratio full/plain (1 process): {full_rate / plain_rate:.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
