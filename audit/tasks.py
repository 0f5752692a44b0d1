"""Verification of every organization's audit chain (Celery beat): nightly from where the
last passing check ended, weekly in full."""

from celery import shared_task

from audit.chain import verification_record
from workflow.models import Organization


@shared_task(name="audit.verify_all")
def audit_verify_all(full: bool = False) -> int:
    """Verify the global chain and each organization's; returns how many are broken."""
    broken = 0
    for organization_id in [None, *Organization.objects.values_list("pk", flat=True)]:
        broken += not verification_record(organization_id, full=full).ok
    return broken
