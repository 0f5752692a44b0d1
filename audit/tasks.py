"""Verification of the audit chains: nightly for all (Celery beat) from where the last
passing check ended, weekly in full; on request for one, in full."""

from celery import shared_task
from django.contrib.auth import get_user_model

from audit.chain import verification_record
from workflow.models import Organization


@shared_task(name="audit.verify_all")
def audit_verify_all(full: bool = False) -> int:
    """Verify the global chain and each organization's; returns how many are broken."""
    broken = 0
    for organization_id in [None, *Organization.objects.values_list("pk", flat=True)]:
        broken += not verification_record(organization_id, full=full).ok
    return broken


@shared_task(name="audit.verify_organization")
def audit_verify_organization(organization_id: int, user_id: int | None = None) -> int:
    """An auditor's "verify now": one organization's chain; returns the verification's id."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return verification_record(organization_id, requested_by=user).pk
