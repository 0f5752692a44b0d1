"""Prometheus metrics at /metrics: django-prometheus's request metrics and the product's own.

Counters (transitions per action, deliveries per outcome) count in the process that does
the work; with several gunicorn or Celery processes set PROMETHEUS_MULTIPROC_DIR to a
folder they share and every process's counts are added up at the scrape. What lives in
the database (the outbox backlog, the audit chains' last verification) is read at the
scrape, by cheap indexed queries, so every process reports the same.
"""

from __future__ import annotations

import datetime
import ipaddress
import os

import prometheus_client
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils import timezone
from prometheus_client import Counter, multiprocess
from prometheus_client.core import GaugeMetricFamily

TRANSITIONS = Counter("itaflow_transitions_total", "Transitions committed", ["kind", "action"])
DELIVERIES = Counter("itaflow_deliveries_total", "E-mail delivery attempts recorded", ["outcome"])


def transition_counted(*, kind: str, action: str) -> None:
    """Count a transition once its transaction has committed."""
    transaction.on_commit(lambda: TRANSITIONS.labels(kind=kind, action=action).inc())


def delivery_counted(*, outcome: str) -> None:
    DELIVERIES.labels(outcome=outcome).inc()


class DatabaseCollector:
    """The outbox backlog and the audit chains, read from the database at each scrape."""

    def collect(self):
        from django.db.models import Count, Min

        from approvals.models import DeliveryStatus, OutboxMessage
        from audit.selectors import chains_verified

        now = timezone.now()
        unsent = OutboxMessage.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        ).aggregate(count=Count("id"), oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "itaflow_outbox_unsent_messages", "E-mails pending or being sent", unsent["count"]
        )
        oldest = unsent["oldest"]
        yield GaugeMetricFamily(
            "itaflow_outbox_oldest_unsent_age_seconds",
            "Age of the oldest e-mail not yet sent (0 when none waits)",
            (now - oldest).total_seconds() if oldest else 0.0,
        )

        verified = chains_verified(
            since=now - datetime.timedelta(days=settings.METRICS_VERIFICATION_DAYS)
        )
        chains = GaugeMetricFamily(
            "itaflow_audit_chains",
            "Audit chains by the result of their latest verification",
            labels=["result"],
        )
        chains.add_metric(["intact"], verified.intact)
        chains.add_metric(["broken"], verified.broken)
        yield chains
        yield GaugeMetricFamily(
            "itaflow_audit_last_verification_age_seconds",
            "Seconds since the latest verification of any audit chain (-1: none recently)",
            (now - verified.newest).total_seconds() if verified.newest else -1.0,
        )


_database_registry = prometheus_client.CollectorRegistry(auto_describe=False)
_database_registry.register(DatabaseCollector())


def _allowed(request) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def metrics_view(request):
    """The scrape; from elsewhere than METRICS_ALLOWED_NETWORKS it does not exist."""
    if not _allowed(request):
        raise Http404
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(
        _database_registry
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
