"""Nightly verification of every organization's audit chain (Celery beat)."""

from celery import shared_task

from audit.chain import verification_record
from workflow.models import Organization


@shared_task(name="audit.verify_all")
def audit_verify_all() -> int:
    """Verify the global chain and each organization's; returns how many are broken."""
    broken = 0
    for organization_id in [None, *Organization.objects.values_list("pk", flat=True)]:
        broken += not verification_record(organization_id).ok
    return broken
