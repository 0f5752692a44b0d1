"""/metrics: requests, transitions, deliveries, outbox and audit chains, for Prometheus only."""

import datetime

import pytest
from django.utils import timezone

from approvals.models import DeliveryStatus, OutboxMessage
from approvals.services import transition_perform
from audit.models import ChainVerification
from tests.factories import MeasureFactory, MembershipFactory, UserFactory
from workflow.models import Action

pytestmark = pytest.mark.django_db


def _metric(body: str, name: str, default: float | None = None) -> float:
    for line in body.splitlines():
        if line.rsplit(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    if default is None:
        raise AssertionError(f"{name} not in the scrape")
    return default


def test_metrics_count_transitions_and_read_the_outbox_and_chains(
    client, django_capture_on_commit_callbacks
):
    # given a submitted measure, an e-mail waiting 5 minutes and a broken chain
    measure = MeasureFactory()
    head = MembershipFactory(
        organization=measure.organization, role="division_head",
        divisions=[measure.divisions.get()],
    ).user  # fmt: skip
    MembershipFactory(organization=measure.organization, role="working_group")
    before = client.get("/metrics").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    # (where tasks run in-process, as on SQLite without Redis, it was sent at once: not here)
    OutboxMessage.objects.update(
        status=DeliveryStatus.PENDING, created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    now = timezone.now()
    ChainVerification.objects.create(
        organization=measure.organization, started_at=now, finished_at=now, ok=False,
        entries_checked=1, head_seq=1, head_hash="0" * 64,
    )  # fmt: skip

    # when Prometheus scrapes (from loopback: the test client's address)
    response = client.get("/metrics")
    body = response.content.decode()

    # then
    assert response.status_code == 200
    counted = 'itaflow_transitions_total{action="submit",kind="measure"}'
    assert _metric(body, counted) == _metric(before, counted, default=0) + 1
    unsent = OutboxMessage.objects.exclude(status=DeliveryStatus.SENT).count()
    assert _metric(body, "itaflow_outbox_unsent_messages") == unsent > 0
    assert 299 < _metric(body, "itaflow_outbox_oldest_unsent_age_seconds") < 400
    assert _metric(body, 'itaflow_audit_chains{result="broken"}') == 1
    assert "django_http_requests_total_by_method_total" in body


def test_metrics_are_not_there_for_other_addresses(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    UserFactory()  # nothing else needed: the address decides
