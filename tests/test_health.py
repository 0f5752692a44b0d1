"""Liveness and readiness: each part that fails is named, and readiness answers 503.

The parts are real: a redis-server of the test's own (stopped for "Redis down"), the test
database, and a gunicorn process pointed at a database port where nothing listens.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from approvals.models import DeliveryStatus, OutboxMessage
from audit.models import ChainVerification
from config.health import WORKER_HEARTBEAT_KEY, worker_heartbeat_write
from tests import celery_harness
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def redis_server():
    server = celery_harness.RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def healthy(redis_server, settings):
    """Everything a ready service has: Redis, a worker's heartbeat, beat's last run."""
    if not redis_server.ping():
        redis_server.start()
    redis_server.client().flushdb()
    settings.REDIS_URL = redis_server.url
    worker_heartbeat_write("celery@worker-1")
    every = IntervalSchedule.objects.create(every=30, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="outbox-redispatch",
        task="approvals.tasks.outbox_redispatch",
        interval=every,
        last_run_at=timezone.now(),
    )
    return redis_server


def _ready(client):
    response = client.get("/health/ready/")
    body = response.json()
    failed = {name for name, check in body["checks"].items() if not check["ok"]}
    return response, body, failed


def test_liveness_answers_without_asking_anything(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_is_ok_when_every_part_is(client, healthy):
    response, body, failed = _ready(client)
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert failed == set()
    assert set(body["checks"]) == {
        "Database", "Broker", "CeleryWorker", "Beat", "OutboxBacklog", "AuditChain",
    }  # fmt: skip


def test_readiness_names_redis_down(client, healthy):
    healthy.stop()
    response, body, failed = _ready(client)
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert failed == {"Broker", "CeleryWorker"}
    assert "Redis" in body["checks"]["Broker"]["detail"]


def test_readiness_names_a_missing_worker(client, healthy, settings):
    # given no heartbeat at all
    healthy.client().delete(f"{WORKER_HEARTBEAT_KEY}celery@worker-1")
    response, body, failed = _ready(client)
    assert response.status_code == 503
    assert failed == {"CeleryWorker"}

    # and a heartbeat older than the limit
    healthy.client().set(f"{WORKER_HEARTBEAT_KEY}celery@worker-1", f"{time.time() - 120:.3f}")
    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 60
    _, body, failed = _ready(client)
    assert failed == {"CeleryWorker"}
    assert "120 s" in body["checks"]["CeleryWorker"]["detail"]


def test_readiness_names_an_outbox_backlog(client, healthy, settings):
    settings.HEALTH_OUTBOX_MAX_AGE_MINUTES = 15
    OutboxMessage.objects.create(
        recipient=UserFactory(),
        idempotency_key="late-1",
        kind="transition",
        to_address="someone@example.go.th",
        subject="s",
        status=DeliveryStatus.PENDING,
        created_at=timezone.now() - datetime.timedelta(minutes=40),
    )
    response, body, failed = _ready(client)
    assert response.status_code == 503
    assert failed == {"OutboxBacklog"}
    assert "40 min" in body["checks"]["OutboxBacklog"]["detail"]

    # a sent one, however old, is no backlog
    OutboxMessage.objects.update(status=DeliveryStatus.SENT)
    assert _ready(client)[0].status_code == 200


def test_readiness_names_stopped_beat_and_a_broken_chain(client, healthy, settings):
    PeriodicTask.objects.update(last_run_at=timezone.now() - datetime.timedelta(hours=1))
    now = timezone.now()
    ChainVerification.objects.create(
        started_at=now, finished_at=now, ok=False, entries_checked=3, head_seq=3,
        head_hash="0" * 64, broken_seq=2, problem="hash mismatch",
    )  # fmt: skip
    _, _, failed = _ready(client)
    assert failed == {"Beat", "AuditChain"}

    # a later verification that passes clears the chain's failure
    ChainVerification.objects.create(
        started_at=now + datetime.timedelta(seconds=1), finished_at=now, ok=True,
        entries_checked=3, head_seq=3, head_hash="0" * 64,
    )  # fmt: skip
    assert _ready(client)[2] == {"Beat"}


def test_readiness_names_the_database_down_and_liveness_still_answers(tmp_path):
    # given a web process whose database is a port where nothing listens
    port = celery_harness.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{celery_harness.free_port()}/nowhere",
        REDIS_URL="",
    )
    # fmt: off
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
        cwd=celery_harness.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # fmt: on
    try:

        def get(path):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as error:
                return error.code, error.read()
            except OSError:
                return None

        live = celery_harness.wait_for(lambda: get("/health/"), timeout=30, message="gunicorn")
        status, body = get("/health/ready/")
    finally:
        server.terminate()
        server.wait(timeout=10)

    # then
    assert live[0] == 200
    assert status == 503
    import json

    checks = json.loads(body)["checks"]
    assert checks["Database"]["ok"] is False
