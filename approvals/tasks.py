"""Celery tasks of the approvals app: thin, idempotent, calling services."""

from celery import shared_task

from approvals.services import publication_schedules_run


@shared_task(name="approvals.tasks.scheduled_publications_run")
def scheduled_publications_run() -> int:
    """Publish what publishers scheduled for now or earlier (Celery beat, every minute)."""
    return publication_schedules_run()
