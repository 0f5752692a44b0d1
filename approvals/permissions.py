"""Who may do what to which item: the role table of DESIGN.md as plain functions.

Every entry point (API, pages, admin, commands, tasks) asks here through the
services; nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from approvals.exceptions import NotPermitted
from approvals.models import Delegation, Membership, Role
from workflow.models import Action, Measure, ResultReport, State


@dataclass(frozen=True)
class Authority:
    """The role an action is taken in, and the delegation it rests on, if any."""

    role: Role
    delegation: Delegation | None = None


def memberships_of(user, organization_id: int) -> list[Membership]:
    if not user or not user.is_authenticated:
        return []
    cache = user.__dict__.setdefault("_itaflow_memberships", {})
    if organization_id not in cache:
        cache[organization_id] = list(
            Membership.objects.filter(
                user=user, organization_id=organization_id, is_active=True
            ).prefetch_related("divisions")
        )
    return cache[organization_id]


def roles_of(user, organization_id: int) -> set[Role]:
    roles = {Role(m.role) for m in memberships_of(user, organization_id)}
    if Role.CHIEF_EXECUTIVE not in roles and delegation_in_force(user, organization_id):
        roles.add(Role.CHIEF_EXECUTIVE)
    return roles


def delegation_in_force(user, organization_id: int, at=None) -> Delegation | None:
    if not user or not user.is_authenticated:
        return None
    return (
        Delegation.objects.in_force(at)
        .filter(organization_id=organization_id, deputy=user)
        .order_by("-starts_at")
        .first()
    )


def division_ids_of(user, organization_id: int) -> set[int]:
    return {
        d.pk
        for m in memberships_of(user, organization_id)
        if m.role == Role.DIVISION_HEAD
        for d in m.divisions.all()
    }


def item_division_ids(item: Measure | ResultReport) -> set[int]:
    measure = item.measure if isinstance(item, ResultReport) else item
    return {d.pk for d in measure.divisions.all()}


def heads_division_of(user, item: Measure | ResultReport) -> bool:
    return bool(division_ids_of(user, item.organization_id) & item_division_ids(item))


def _chief_executive(user, organization_id: int) -> Authority | None:
    if any(m.role == Role.CHIEF_EXECUTIVE for m in memberships_of(user, organization_id)):
        return Authority(Role.CHIEF_EXECUTIVE)
    delegation = delegation_in_force(user, organization_id, timezone.now())
    if delegation:
        return Authority(Role.CHIEF_EXECUTIVE, delegation)
    return None


def _has(user, organization_id: int, role: Role) -> Authority | None:
    if any(m.role == role for m in memberships_of(user, organization_id)):
        return Authority(role)
    return None


def transition_authority(user, item: Measure | ResultReport, action: Action) -> Authority | None:
    """The authority under which `user` may take `action` on `item` now, or None.

    The state itself is checked by the FSM; this only answers "is it theirs to do".
    The one who submitted an item never reviews, returns or approves it.
    """
    org = item.organization_id
    submitted_by_user = item.submitted_by_id is not None and item.submitted_by_id == user.pk
    if action == Action.SUBMIT:
        return Authority(Role.DIVISION_HEAD) if heads_division_of(user, item) else None
    if action == Action.WITHDRAW:
        if submitted_by_user and heads_division_of(user, item):
            return Authority(Role.DIVISION_HEAD)
        return None
    if action == Action.REVISE:
        if heads_division_of(user, item):
            return Authority(Role.DIVISION_HEAD)
        return _has(user, org, Role.WORKING_GROUP)
    if action == Action.PUBLISH:
        return _has(user, org, Role.PUBLISHER)
    if submitted_by_user:
        return None  # separation of duties
    if action == Action.REVIEW:
        return _has(user, org, Role.WORKING_GROUP)
    if action == Action.RETURN:
        if item.state == State.SUBMITTED:
            return _has(user, org, Role.WORKING_GROUP)
        return _chief_executive(user, org)
    if action == Action.APPROVE:
        return _chief_executive(user, org)
    return None


def authorize_transition(user, item: Measure | ResultReport, action: Action) -> Authority:
    authority = transition_authority(user, item, action)
    if authority is None:
        raise NotPermitted()
    return authority
