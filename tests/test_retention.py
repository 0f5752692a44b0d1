"""Retention: old read inbox rows and finished e-mails go, in batches; nothing else does."""

import datetime as dt

import pytest
from django.utils import timezone

from approvals.models import DeliveryAttempt, DeliveryStatus, Notification, OutboxMessage
from approvals.retention import retention_prune
from approvals.services import transition_perform
from audit.models import ChainEntry, TransitionLog
from tests.factories import MeasureFactory, MembershipFactory
from workflow.models import Action

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _message(user, key: str, status: str, days: int) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        recipient=user, idempotency_key=key, kind="transition", to_address=user.email,
        status=status, created_at=_ago(days),
    )  # fmt: skip
    DeliveryAttempt.objects.create(
        message=message, number=1, started_at=_ago(days), finished_at=_ago(days),
        outcome=DeliveryStatus.SENT if status == DeliveryStatus.SENT else DeliveryStatus.FAILED,
    )  # fmt: skip
    return message


def test_retention_prunes_what_is_past_keeping_and_keeps_the_record(settings):
    # given a workflow's history, and derived rows of every age
    settings.RETENTION_READ_INBOX_DAYS = 180
    settings.RETENTION_SENT_MESSAGES_DAYS = 90
    settings.RETENTION_DELIVERY_ATTEMPTS_DAYS = 90
    measure = MeasureFactory()
    org = measure.organization
    head = MembershipFactory(
        organization=org, role="division_head", divisions=[measure.divisions.get()]
    ).user
    member = MembershipFactory(organization=org, role="working_group").user
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    history = (TransitionLog.objects.count(), ChainEntry.objects.count())

    old_read = [
        Notification.objects.create(
            user=member,
            organization=org,
            kind="transition",
            title=f"r{i}",
            title_en="r",
            read_at=_ago(200),
        )
        for i in range(3)
    ]
    recent_read = Notification.objects.create(
        user=member,
        organization=org,
        kind="transition",
        title="recent",
        title_en="r",
        read_at=_ago(10),
    )
    old_unread = Notification.objects.create(
        user=member, organization=org, kind="transition", title="u", title_en="u"
    )
    Notification.objects.filter(pk=old_unread.pk).update(created_at=_ago(400))
    old_sent = [_message(member, f"sent-{i}", DeliveryStatus.SENT, 120) for i in range(3)]
    old_given_up = _message(member, "given-up", DeliveryStatus.GIVEN_UP, 120)
    recent_sent = _message(member, "recent", DeliveryStatus.SENT, 30)
    old_pending = _message(member, "pending", DeliveryStatus.PENDING, 120)

    # when pruned in batches of two
    counts = retention_prune(now=NOW, batch_size=2)

    # then
    assert counts == {"delivery_attempts": 4, "outbox_messages": 4, "inbox_rows": 3}
    assert not Notification.objects.filter(pk__in=[n.pk for n in old_read]).exists()
    assert Notification.objects.filter(pk__in=[recent_read.pk, old_unread.pk]).count() == 2
    gone = [m.pk for m in [*old_sent, old_given_up]]
    assert not OutboxMessage.objects.filter(pk__in=gone).exists()
    kept = OutboxMessage.objects.filter(pk__in=[recent_sent.pk, old_pending.pk])
    assert kept.count() == 2
    assert DeliveryAttempt.objects.filter(message__in=kept).count() == 2
    # the transition's own inbox row and e-mail are recent: kept
    assert member.notifications.filter(transition_log__isnull=False).exists()
    assert (TransitionLog.objects.count(), ChainEntry.objects.count()) == history

    # and a second run finds nothing more
    assert retention_prune(now=NOW, batch_size=2) == dict.fromkeys(counts, 0)
