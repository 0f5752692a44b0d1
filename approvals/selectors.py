"""Reads for the approvals app: work queues, the inbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from approvals.models import (
    Delegation,
    EmailMode,
    MailboxHealth,
    Membership,
    Notification,
    NotificationPreference,
    PublicationSchedule,
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
                    "number": item.measure.number if model is ResultReport else item.number,
                    "full_title": item.measure.title if model is ResultReport else item.title,
                    "round": item.reporting_round.name if model is ResultReport else "",
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


# --- where an item stands: the item pages ----------------------------------------------

# Who takes the next step from each state; published items wait for nobody.
NEXT_ROLE = {
    State.DRAFTED: Role.DIVISION_HEAD,
    State.SUBMITTED: Role.WORKING_GROUP,
    State.REVIEWED: Role.CHIEF_EXECUTIVE,
    State.APPROVED: Role.PUBLISHER,
}

# The state each action leads to (return, withdraw and revise lead back to a draft).
ACTION_TARGET = {
    "submit": State.SUBMITTED,
    "withdraw": State.DRAFTED,
    "review": State.REVIEWED,
    "return": State.DRAFTED,
    "approve": State.APPROVED,
    "publish": State.PUBLISHED,
    "revise": State.DRAFTED,
}


def person_label(user, role: Role | None = None) -> str:
    """A person as staff know them: their name, and the role in which they act."""
    name = user.get_full_name() or user.get_username()
    return f"{name} · {role.label}" if role is not None else name


def people_for_step(item, state: State, *, exclude=None) -> list[str]:
    """The people who take the next step of `item` once it is in `state`, by name and role."""
    users = _step_users(item, state, exclude=exclude)
    return sorted(person_label(user, role) for user, role in users.values())


def _next_role(item, state: State) -> Role | None:
    """NEXT_ROLE, but the working group drafts the items of no division."""
    from approvals.permissions import WORKING_GROUP_ITEMS

    if State(state) == State.DRAFTED and isinstance(item, WORKING_GROUP_ITEMS):
        return Role.WORKING_GROUP
    return NEXT_ROLE.get(State(state))


def _step_users(item, state: State, *, exclude=None) -> dict:
    """{user id: (user, role)} of the people whose step an item in `state` waits for.

    Division heads of the item's divisions for a draft; the working group, the chief
    executive (and a deputy in force) or the publishers for the later states.
    """
    role = _next_role(item, state)
    if role is None:
        return {}
    measure = item.measure if isinstance(item, ResultReport) else item
    memberships = Membership.objects.filter(
        organization_id=measure.organization_id, role=role, is_active=True, user__is_active=True
    ).select_related("user")
    if role == Role.DIVISION_HEAD:
        memberships = memberships.filter(divisions__measures=measure).distinct()
    users = {m.user_id: m.user for m in memberships}
    if role == Role.CHIEF_EXECUTIVE:
        for delegation in (
            Delegation.objects.in_force()
            .filter(organization_id=measure.organization_id)
            .select_related("deputy")
        ):
            users.setdefault(delegation.deputy_id, delegation.deputy)
    if role != Role.DIVISION_HEAD and item.submitted_by_id and role != Role.PUBLISHER:
        users.pop(item.submitted_by_id, None)  # separation of duties: not theirs to take
    if exclude is not None:
        users.pop(exclude.pk, None)
    return {pk: (user, role) for pk, user in users.items()}


# Whose step a transition hands the item to, as approvals.notifications tells them.
_TOLD_STEP = {
    "submit": State.SUBMITTED,
    "withdraw": State.SUBMITTED,
    "review": State.REVIEWED,
    "approve": State.APPROVED,
    "revise": State.DRAFTED,
}


def people_told(item, action: str, actor) -> list[str]:
    """Who a transition will tell, named in its confirmation (mirrors the notifications)."""
    from audit.models import TransitionLog

    step = _TOLD_STEP.get(action)
    users = _step_users(item, step, exclude=actor) if step else {}
    others = []
    if action in ("return", "approve", "publish") and item.submitted_by_id:
        others.append(item.submitted_by)
    if action == "publish":
        logs = TransitionLog.of_item(item).filter(actor__isnull=False).select_related("actor")
        others += [log.actor for log in logs]
    for user in others:
        if user.pk != actor.pk:
            users.setdefault(user.pk, (user, None))
    return sorted(person_label(user, role) for user, role in users.values())


@dataclass(frozen=True)
class Standing:
    """Where an item stands: the return that made it a draft again, and the next step."""

    returned_by: str = ""
    returned_at: object = None
    return_reason: str = ""
    next_role: Role | None = None
    next_people: tuple[str, ...] = ()
    pending_schedules: tuple = ()


def item_standing(item) -> Standing:
    """The banner of an item page: why it is back in draft, and who has it now."""
    from approvals.permissions import WORKING_GROUP_ITEMS
    from audit.models import TransitionLog

    logs = TransitionLog.of_item(item)
    if isinstance(item, WORKING_GROUP_ITEMS):  # published at once, never scheduled
        schedules = PublicationSchedule.objects.none()
    elif isinstance(item, ResultReport):
        schedules = PublicationSchedule.objects.pending().filter(result_report=item)
    else:
        schedules = PublicationSchedule.objects.pending().filter(
            measure=item, result_report__isnull=True
        )
    last = logs.select_related("actor").order_by("-created_at", "-id").first()
    returned = {}
    if item.state == State.DRAFTED and last is not None and last.action == "return":
        returned = {
            "returned_by": person_label(last.actor, Role(last.role) if last.role else None)
            if last.actor
            else last.system_actor,
            "returned_at": last.created_at,
            "return_reason": last.comment,
        }
    return Standing(
        **returned,
        next_role=_next_role(item, item.state),
        next_people=tuple(
            sorted(person_label(u) for u, _role in _step_users(item, item.state).values())
        ),
        pending_schedules=tuple(schedules.select_related("scheduled_by")),
    )


def item_last_change(item) -> dict:
    """Who changed an item last and when, to explain a conflict with what someone typed."""
    record = item.history.select_related("history_user").order_by("-history_date").first()
    if record is None:
        return {}
    return {
        "user": record.history_user,
        "at": record.history_date,
        "reason": (record.history_change_reason or "").split(":", 1)[0],
    }


def measure_unpublished(report: ResultReport) -> Measure | None:
    """The report's measure when the public has not seen it yet (it must be published first)."""
    from workflow.models import Publication

    measure = report.measure
    published = Publication.objects.filter(measure=measure, result_report__isnull=True).exists()
    return None if published else measure


def schedules_pending(*, user) -> list[PublicationSchedule]:
    """Scheduled publications still to come in the person's organizations, soonest first."""
    from workflow.selectors import organization_ids_of

    return list(
        PublicationSchedule.objects.pending()
        .filter(organization_id__in=organization_ids_of(user))
        .select_related("measure", "result_report__reporting_round", "scheduled_by")
        .order_by("publish_at", "pk")
    )
