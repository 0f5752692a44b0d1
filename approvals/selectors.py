"""Reads for the approvals app: work queues, the inbox."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from approvals.models import (
    Delegation,
    EmailMode,
    MailboxHealth,
    Membership,
    Notification,
    NotificationPreference,
    Role,
)
from workflow.models import Measure, ResultReport, State

# What each role is waiting to do, and in which state the item waits for it.
QUEUE_STEPS = {
    Role.DIVISION_HEAD: (State.DRAFTED, ["submit"]),
    Role.WORKING_GROUP: (State.SUBMITTED, ["review", "return"]),
    Role.CHIEF_EXECUTIVE: (State.REVIEWED, ["approve", "return"]),
    Role.PUBLISHER: (State.APPROVED, ["publish"]),
}


def queue_for(user, *, limit: int = 200) -> list[dict]:
    """Items waiting for `user` now, per role held: "waiting for me".

    Division heads: drafted items of their divisions; the working group: submitted
    items; the chief executive or a deputy in force: reviewed items; publishers:
    approved items. Items the person submitted are left out of the steps they may
    not take (separation of duties). A fixed number of queries.
    """
    if not user or not user.is_authenticated:
        return []
    memberships = list(
        Membership.objects.filter(user=user, is_active=True).prefetch_related("divisions")
    )
    orgs: dict[Role, set[int]] = {role: set() for role in QUEUE_STEPS}
    head_divisions: set[int] = set()
    for membership in memberships:
        role = Role(membership.role)
        if role in orgs:
            orgs[role].add(membership.organization_id)
        if role == Role.DIVISION_HEAD:
            head_divisions |= {d.pk for d in membership.divisions.all()}
    orgs[Role.CHIEF_EXECUTIVE] |= set(
        Delegation.objects.in_force()
        .filter(
            deputy=user,
            organization__memberships__user_id=F("delegator_id"),
            organization__memberships__role=Role.CHIEF_EXECUTIVE,
            organization__memberships__is_active=True,
        )
        .values_list("organization_id", flat=True)
    )
    entries: list[dict] = []
    for model, org_field, division_field in (
        (Measure, "organization_id", "divisions"),
        (ResultReport, "measure__organization_id", "measure__divisions"),
    ):
        conditions = Q(pk__in=[])
        role_of_state = {}
        for role, (state, _actions) in QUEUE_STEPS.items():
            if role == Role.DIVISION_HEAD:
                if head_divisions:
                    conditions |= Q(state=state, **{f"{division_field}__in": head_divisions})
                    role_of_state[state] = role
                continue
            if orgs[role]:
                condition = Q(state=state, **{f"{org_field}__in": orgs[role]})
                if role != Role.PUBLISHER:
                    condition &= ~Q(submitted_by_id=user.pk)
                if role == Role.CHIEF_EXECUTIVE:
                    condition &= ~Q(reviewed_by_id=user.pk)  # the reviewer does not approve
                conditions |= condition
                role_of_state[state] = role
        queryset = model.objects.filter(conditions).distinct().order_by("updated_at", "pk")
        if model is ResultReport:
            queryset = queryset.select_related("measure", "reporting_round")
        for item in queryset[:limit]:
            role = role_of_state[item.state]
            entries.append(
                {
                    "kind": "measure" if model is Measure else "result_report",
                    "id": item.pk,
                    "organization": item.organization_id,
                    "title": str(item),
                    "state": item.state,
                    "version": item.version,
                    "role": role.value,
                    "actions": QUEUE_STEPS[role][1],
                    "updated_at": item.updated_at,
                }
            )
    return entries


def inbox_for(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """A person's inbox, newest first."""
    notifications = Notification.objects.filter(user=user).select_related(
        "organization", "transition_log__actor"
    )
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def unread_count(user) -> int:
    if not user or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preference_for(user) -> NotificationPreference:
    """The person's choice; an unsaved default (immediate) when they never chose."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user, email_mode=EmailMode.IMMEDIATE
    )


def mailboxes_failing() -> QuerySet[MailboxHealth]:
    """Addresses that failed lately or are disabled, for the admins."""
    return MailboxHealth.objects.filter(consecutive_failures__gt=0) | MailboxHealth.objects.filter(
        disabled_at__isnull=False
    )


def organization_person(*, organization_id: int, user_id: int):
    """An active account that holds or held a role in the organization, or None.

    Roles and delegations are given only to the organization's own people: anyone else,
    whether the id exists or not, is answered the same (no probing of account ids).
    """
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(pk=user_id, is_active=True, memberships__organization_id=organization_id)
        .distinct()
        .first()
    )
