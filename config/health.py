"""Liveness and readiness: django-health-check's runner with the checks this service needs.

`/health/` says the process answers (no database). `/health/ready/` says whether it can do
its work: the database, the broker, a Celery worker seen lately, e-mail not piling up in
the outbox, and the last nightly check of the audit chains. Each failure is named in the
JSON and answers 503, so a load balancer or compose can act on it (README, "Health").
"""

from __future__ import annotations

import dataclasses
import datetime
import time

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable

WORKER_HEARTBEAT_KEY = "itaflow:worker-heartbeat:"


def _redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1.0, socket_timeout=1.0)


def worker_heartbeat_write(hostname: str) -> None:
    """Called by each Celery worker every HEALTH_WORKER_HEARTBEAT_SECONDS (config/celery.py)."""
    ttl = max(int(settings.HEALTH_WORKER_MAX_AGE_SECONDS * 3), 1)
    _redis_client().set(f"{WORKER_HEARTBEAT_KEY}{hostname}", f"{time.time():.3f}", ex=ttl)


def worker_last_seen() -> float | None:
    """Seconds since the most recent heartbeat of any worker, or None if none is known."""
    client = _redis_client()
    keys = list(client.scan_iter(f"{WORKER_HEARTBEAT_KEY}*"))
    beats = [float(value) for value in client.mget(keys) if value is not None] if keys else []
    return time.time() - max(beats) if beats else None


class _OrmCheck(HealthCheck):
    """A check that reads through the ORM, in the request's thread."""

    def run(self):
        self.check()

    def check(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclasses.dataclass
class Broker(HealthCheck):
    """Redis, the Celery broker, answers a PING."""

    def run(self):
        import redis

        try:
            _redis_client().ping()
        except redis.RedisError as exc:
            raise ServiceUnavailable(f"Redis does not answer ({type(exc).__name__})") from exc


@dataclasses.dataclass
class CeleryWorker(HealthCheck):
    """A Celery worker has written its heartbeat within HEALTH_WORKER_MAX_AGE_SECONDS."""

    def run(self):
        import redis

        try:
            age = worker_last_seen()
        except redis.RedisError as exc:
            raise ServiceUnavailable("no worker can be seen: Redis does not answer") from exc
        limit = settings.HEALTH_WORKER_MAX_AGE_SECONDS
        if age is None:
            raise ServiceUnavailable("no Celery worker has been seen")
        if age > limit:
            raise ServiceUnavailable(f"no Celery worker seen for {age:.0f} s (limit {limit} s)")


@dataclasses.dataclass
class OutboxBacklog(_OrmCheck):
    """The oldest e-mail not yet sent is younger than HEALTH_OUTBOX_MAX_AGE_MINUTES."""

    def check(self):
        from approvals.models import DeliveryStatus, OutboxMessage

        oldest = (
            OutboxMessage.objects.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if oldest is None:
            return
        age = timezone.now() - oldest
        limit = datetime.timedelta(minutes=settings.HEALTH_OUTBOX_MAX_AGE_MINUTES)
        if age > limit:
            minutes = age.total_seconds() / 60
            raise ServiceUnavailable(
                f"an e-mail has waited {minutes:.0f} min to be sent "
                f"(limit {settings.HEALTH_OUTBOX_MAX_AGE_MINUTES} min)"
            )


@dataclasses.dataclass
class AuditChain(_OrmCheck):
    """The latest verification of every audit chain found it intact."""

    def check(self):
        from audit.selectors import chains_verified

        broken = chains_verified().broken
        if broken:
            raise ServiceUnavailable(f"{broken} audit chain(s) broken at the last verification")


@dataclasses.dataclass
class Beat(_OrmCheck):
    """Celery beat has run its schedule within HEALTH_BEAT_MAX_AGE_SECONDS (it re-sends e-mail)."""

    def check(self):
        from django_celery_beat.models import PeriodicTask

        last = (
            PeriodicTask.objects.filter(name="outbox-redispatch")
            .values_list("last_run_at", flat=True)
            .first()
        )
        limit = settings.HEALTH_BEAT_MAX_AGE_SECONDS
        if last is None:
            raise ServiceUnavailable("Celery beat has not run yet")
        age = (timezone.now() - last).total_seconds()
        if age > limit:
            raise ServiceUnavailable(f"Celery beat has not run for {age:.0f} s (limit {limit} s)")


def readiness_checks() -> list[HealthCheck]:
    checks: list[HealthCheck] = [Database(), OutboxBacklog(), AuditChain()]
    if settings.REDIS_URL:
        checks[1:1] = [Broker(), CeleryWorker(), Beat()]
    return checks


@never_cache
def readiness(request):
    """Every check as JSON; 503 when any fails.

    The checks run one after the other in the request's thread (they are quick and bounded
    by their clients' timeouts), not in django-health-check's event loop: a thread that
    already runs one (a browser test, an ASGI server) could not start another.
    """
    checks = {}
    for check in readiness_checks():
        started = time.perf_counter()
        try:
            check.run()
        except HealthCheckException as error:
            detail = error.message
        except Exception as error:  # a check that breaks is a failing check, not a 500
            detail = f"the check failed ({type(error).__name__})"
        else:
            detail = None
        checks[type(check).__name__] = {
            "ok": detail is None,
            "detail": detail or "",
            "seconds": round(time.perf_counter() - started, 4),
        }
    failed = any(not c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "unavailable" if failed else "ok", "checks": checks},
        status=503 if failed else 200,
        json_dumps_params={"ensure_ascii": False},
    )


@never_cache
def liveness(request):
    """The process answers; nothing else is asked (a restart would not cure the others)."""
    return JsonResponse({"status": "ok"})
