"""Celery tasks of workflow: thin, take ids, idempotent, calling services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def report_files_make(publication_id: int) -> int:
    """After a publication commits: make and store the report's PDF and XLSX."""
    from workflow.documents import report_files_make as make

    return len(make(publication_id=publication_id))


@shared_task(acks_late=True, ignore_result=True)
def publication_verification_refresh(publication_id: int, newest: bool = False) -> bool:
    """After a publication commits (`newest`: unless a later one exists by then), or when its
    verification page finds the stored check stale: check the chain up to the link it
    recorded and store the result."""
    from workflow.services import publication_verification_refresh as refresh

    verification = refresh(publication_id=publication_id, newest=newest)
    return verification is not None and verification.ok
