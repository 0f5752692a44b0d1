"""Who may read an organization's audit trail: its auditors and admins, nobody else.

The platform operator (a superuser) is not one of them: being the operator gives no
right to read an organization's drafts and comments (issue 12, hole 2).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from approvals.models import Role
from approvals.permissions import roles_of
from workflow.models import Organization

AUDIT_ROLES = {Role.AUDITOR, Role.ADMIN}


def may_audit(user, organization_id: int) -> bool:
    if not user or not user.is_authenticated:
        return False
    return bool(roles_of(user, organization_id) & AUDIT_ROLES)


def audited_organization(user, slug: str) -> Organization:
    """The organization named by `slug`, if `user` may audit it; 404 or 403 otherwise."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise Http404
    if not may_audit(user, organization.pk):
        raise PermissionDenied
    return organization


def audited_organizations(user) -> list[Organization]:
    """The organizations whose audit pages `user` may open (for the header and the home page)."""
    if not user or not user.is_authenticated:
        return []
    candidates = Organization.objects.order_by("name")
    if not user.is_superuser:
        # only an active audit role can pass may_audit: one query for everyone else
        candidates = candidates.filter(
            memberships__user=user, memberships__is_active=True, memberships__role__in=AUDIT_ROLES
        )
    return [o for o in candidates.distinct()[:50] if may_audit(user, o.pk)]
