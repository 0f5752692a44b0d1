"""Celery tasks of approvals: thin, take ids, idempotent, calling services."""

from __future__ import annotations

from celery import shared_task

from approvals import delivery, reminders
from approvals.services import publication_schedules_run


@shared_task(acks_late=True, ignore_result=True)
def outbox_deliver(message_ids: list[int]) -> dict:
    """Send the given outbox messages; a temporary failure is retried with backoff."""
    from celery import current_task

    request = current_task.request
    # In a worker, top up the batch with what else waits; in-process nothing queues up.
    results = delivery.outbox_send_many(
        message_ids=list(message_ids),
        worker=getattr(request, "hostname", "") or "",
        sweep=not request.is_eager,
    )
    counts: dict[str, int] = {}
    for message_id, result in results.items():
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        if result.outcome == delivery.Outcome.RETRY:
            delivery.outbox_dispatch([message_id], countdown=result.retry_in)
    return counts


@shared_task(acks_late=True, ignore_result=True)
def outbox_redispatch() -> int:
    """Periodic: re-dispatch messages left pending (broker down at commit, worker died)."""
    return delivery.outbox_redispatch()


@shared_task(acks_late=True, ignore_result=True)
def reminders_send() -> int:
    """Daily: due-date reminders, overdue digests and waiting-items digests."""
    return reminders.reminders_send()


@shared_task(acks_late=True, ignore_result=True)
def digests_send() -> int:
    """Daily: one e-mail per person who chose the digest, with what came since the last one."""
    return reminders.digests_send()


@shared_task(name="approvals.tasks.scheduled_publications_run")
def scheduled_publications_run() -> int:
    """Publish what publishers scheduled for now or earlier (Celery beat, every minute)."""
    return publication_schedules_run()


@shared_task(acks_late=True, ignore_result=True)
def retention_prune() -> dict:
    """Nightly: prune read inbox rows, finished e-mails and their attempts past keeping."""
    from approvals.retention import retention_prune as prune

    return prune()
