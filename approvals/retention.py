"""What is kept of inbox rows, e-mails and delivery attempts, and the pruning of the rest.

Read inbox rows, sent or given-up e-mails and their delivery attempts are read by nobody
after a few months, yet make half of a national year's database. They are derived rows:
the history, the transition log, the audit chain and the publications say what happened
and are never pruned here. Unread inbox rows and unsent e-mails are kept whatever their age.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from approvals.models import DeliveryAttempt, DeliveryStatus, Notification, OutboxMessage


def _prune(queryset, batch_size: int) -> int:
    """Delete in batches of `batch_size`, one short transaction each (no long locks)."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True)[:batch_size])
            if not ids:
                return deleted
            queryset.model.objects.filter(pk__in=ids).delete()
            deleted += len(ids)


def retention_prune(*, now: dt.datetime | None = None, batch_size: int | None = None) -> dict:
    """Prune what is past its keeping time (settings RETENTION_*); returns counts per kind."""
    now = now or timezone.now()
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    days = dt.timedelta(days=1)
    finished = [DeliveryStatus.SENT, DeliveryStatus.GIVEN_UP]
    return {
        "delivery_attempts": _prune(
            DeliveryAttempt.objects.filter(
                finished_at__lt=now - settings.RETENTION_DELIVERY_ATTEMPTS_DAYS * days,
                message__status__in=finished,
            ),
            batch_size,
        ),
        "outbox_messages": _prune(
            OutboxMessage.objects.filter(
                status__in=finished,
                created_at__lt=now - settings.RETENTION_SENT_MESSAGES_DAYS * days,
            ),
            batch_size,
        ),
        "inbox_rows": _prune(
            Notification.objects.filter(
                read_at__isnull=False,
                read_at__lt=now - settings.RETENTION_READ_INBOX_DAYS * days,
            ),
            batch_size,
        ),
    }
