"""Celery tasks of workflow: thin, take ids, idempotent, calling services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def report_files_make(publication_id: int) -> int:
    """After a publication commits: make and store the report's PDF and XLSX."""
    from workflow.documents import report_files_make as make

    return len(make(publication_id=publication_id))
