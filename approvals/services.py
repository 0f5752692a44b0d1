"""The one write path for workflow transitions, and the writes on roles and delegations.

Web views, API views, admin actions, management commands and Celery tasks
all call `transition_perform`; none calls an FSM method directly.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django_fsm import can_proceed

from approvals import notifications, permissions
from approvals.exceptions import (
    NotPermitted,
    ReasonRequired,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
    WorkflowError,
)
from approvals.models import Delegation, Membership, PublicationSchedule, Role
from approvals.notifications import transition_notifications
from audit import recording
from audit.models import TransitionLog
from config import statements
from workflow.models import Action, Division, Measure, Organization, ResultReport
from workflow.services import publication_create

SCHEDULED_PUBLISHER = "scheduled-publisher"

# SQLite has no row locks: a writer that loses the race gets "database is locked";
# it retries from the start and then sees the winner's state.
_SQLITE_RETRIES = 100


def _retrying_on_sqlite_lock(function):
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return function()
    for attempt in range(_SQLITE_RETRIES):
        try:
            return function()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == _SQLITE_RETRIES - 1:
                raise
            time.sleep(0.005 * (1 + attempt % 10))
    raise AssertionError("unreachable")


def transition_perform(
    *,
    item: Measure | ResultReport,
    action: Action | str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    ip_address: str | None = None,
    system_actor: str = "",
) -> TransitionLog:
    """Lock the item, check who may act, move its state and record it, all or nothing.

    `system_actor` names the process acting on `actor`'s authority (e.g. the
    scheduled publisher); the permission is always checked for `actor`.
    The instance passed in is not changed; read the new state from the database.
    """
    try:
        action = Action(action)
    except ValueError:
        raise TransitionNotAllowed() from None
    comment = (comment or "").strip()

    model = type(item)

    def perform() -> TransitionLog:
        with transaction.atomic():
            # the reads, in one round trip: the locked row with the actor's authority on it,
            # the last version's children with fresh ids, and who is to be told
            lock_rows, prefetch_rows, recipients = statements.run(
                [
                    permissions.lock_statement(model, item.pk, actor),
                    recording.version_prefetch(model, item.pk),
                    notifications.recipients_statement(model, item.pk, action, actor),
                ]
            )
            locked, facts = permissions.lock_result(model, lock_rows, actor)
            if not facts.is_member:
                raise NotPermitted()
            if expected_version is not None and locked.version != expected_version:
                raise StaleVersion()
            method = getattr(locked, action.method_name)
            if not can_proceed(method):
                raise TransitionNotAllowed()
            authority = permissions.authorize_transition(actor, locked, action, facts)
            if action == Action.RETURN and not comment:
                raise ReasonRequired()

            source_state = locked.state
            method()
            now = timezone.now()
            update_fields = ["state", "version", "updated_at"]
            if action == Action.SUBMIT:
                locked.submitted_by = actor
                update_fields.append("submitted_by")
            elif action == Action.REVISE:
                locked.submitted_by = None
                update_fields += ["submitted_by", "revision"]
            locked.version += 1
            locked.updated_at = now

            is_report = model is ResultReport
            log = TransitionLog(
                id=prefetch_rows[0][2],
                organization_id=locked._org_id,
                measure_id=locked.measure_id if is_report else locked.pk,
                result_report_id=locked.pk if is_report else None,
                action=action.value,
                source_state=source_state,
                target_state=locked.state,
                actor=actor,
                system_actor=system_actor,
                role=authority.role,
                delegation_id=authority.delegation_id,
                comment=comment,
                version=locked.version,
                revision=locked.revision,
                ip_address=ip_address,
                created_at=now,
            )
            told, message_ids = transition_notifications(
                log=log, item=locked, recipients=recipients
            )
            # the writes, in one round trip: the row, its version, the record, the chain
            # links of both, the inbox entries and the e-mails
            statements.run(
                [
                    statements.update(locked, update_fields),
                    *recording.transition_recorded(
                        item=locked,
                        log=log,
                        prefetched=prefetch_rows[0],
                        actor=actor,
                        reason=f"{action.value}: {comment}" if comment else action.value,
                        system_actor=system_actor,
                    ),
                    *told,
                ]
            )
            if message_ids:
                notifications.outbox_dispatch_on_commit(message_ids)
            if action == Action.PUBLISH:
                publication_create(item=locked, published_by=actor)
            return log

    return _retrying_on_sqlite_lock(perform)


def publication_schedule(
    *,
    item: Measure | ResultReport,
    actor,
    publish_at: dt.datetime,
    comment: str = "",
    expected_version: int | None = None,
) -> PublicationSchedule:
    """Order an approved item published at `publish_at`; replaces a pending order for it."""
    with transaction.atomic():
        locked, facts = permissions.lock_with_facts(type(item), item.pk, actor)
        if not facts.is_member:
            raise NotPermitted()
        if expected_version is not None and locked.version != expected_version:
            raise StaleVersion()
        if not can_proceed(locked.publish):
            raise TransitionNotAllowed()
        permissions.authorize_transition(actor, locked, Action.PUBLISH, facts)
        if publish_at <= timezone.now():
            raise ValidationFailed(
                {"publish_at": ["The moment of publication must lie in the future."]}
            )
        is_report = isinstance(locked, ResultReport)
        measure = locked.measure if is_report else locked
        now = timezone.now()
        pending = PublicationSchedule.objects.pending().filter(
            measure=measure, result_report=locked if is_report else None
        )
        for old in pending:
            old.cancelled_at = now
            old._history_user = actor
            old.save(update_fields=["cancelled_at"])
        schedule = PublicationSchedule(
            organization_id=measure.organization_id,
            measure=measure,
            result_report=locked if is_report else None,
            publish_at=publish_at,
            scheduled_by=actor,
            comment=(comment or "").strip(),
        )
        schedule._history_user = actor
        schedule.save()
    return schedule


def publication_schedule_cancel(*, schedule: PublicationSchedule, actor) -> PublicationSchedule:
    """Call off a pending scheduled publication (publishers of the organization)."""
    with transaction.atomic():
        schedule = PublicationSchedule.objects.select_for_update().get(pk=schedule.pk)
        if Role.PUBLISHER not in permissions.roles_of(actor, schedule.organization_id):
            raise NotPermitted()
        if schedule.done_at or schedule.cancelled_at:
            raise TransitionNotAllowed()
        schedule.cancelled_at = timezone.now()
        schedule._history_user = actor
        schedule.save(update_fields=["cancelled_at"])
    return schedule


def publication_schedules_run(*, at: dt.datetime | None = None) -> int:
    """Carry out every due scheduled publication; returns how many were published.

    Each runs as the publisher who scheduled it, recorded with the system actor
    SCHEDULED_PUBLISHER; one that can no longer be carried out keeps its error code.
    Safe to run twice at once: a schedule is taken under a row lock and marked done.
    """
    at = at or timezone.now()
    published = 0
    for schedule_id in PublicationSchedule.objects.due(at).values_list("pk", flat=True):
        with transaction.atomic():
            schedule = (
                PublicationSchedule.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("scheduled_by", "measure", "result_report")
                .filter(pk=schedule_id, done_at__isnull=True, cancelled_at__isnull=True)
                .first()
            )
            if schedule is None:
                continue
            try:
                schedule.log = transition_perform(
                    item=schedule.item,
                    action=Action.PUBLISH,
                    actor=schedule.scheduled_by,
                    comment=schedule.comment,
                    system_actor=SCHEDULED_PUBLISHER,
                )
                published += 1
            except WorkflowError as error:
                schedule.error_code = error.code
            schedule.done_at = timezone.now()
            schedule._history_user = schedule.scheduled_by
            schedule.save(update_fields=["log", "error_code", "done_at"])
    return published


# --- roles and delegations (organization admins) ----------------------------------------


def _division_ids_checked(organization_id: int, division_ids) -> list[int]:
    division_ids = sorted(set(division_ids or ()))
    found = set(
        Division.objects.filter(organization_id=organization_id, pk__in=division_ids).values_list(
            "pk", flat=True
        )
    )
    if found != set(division_ids):
        raise ValidationFailed({"division_ids": ["Unknown division for this organization."]})
    return division_ids


def membership_create(
    *, organization: Organization, actor, user, role: Role | str, division_ids=()
) -> Membership:
    """Give `user` a role in the organization (division heads: with their divisions)."""
    permissions.authorize_admin(actor, organization.pk)
    if role not in Role.values:
        raise ValidationFailed({"role": ["Unknown role."]})
    division_ids = _division_ids_checked(organization.pk, division_ids)
    if role == Role.DIVISION_HEAD and not division_ids:
        raise ValidationFailed({"division_ids": ["A division head needs a division."]})
    with transaction.atomic():
        existing = (
            Membership.objects.select_for_update()
            .filter(user=user, organization=organization, role=role)
            .first()
        )
        if existing and existing.is_active:
            raise ValidationFailed({"role": ["This person already holds this role."]})
        membership = existing or Membership(user=user, organization=organization, role=role)
        membership.is_active = True
        membership._history_user = actor
        membership.save()
        membership.divisions.set(division_ids)
    return membership


def membership_update(
    *, membership: Membership, actor, is_active: bool | None = None, division_ids=None
) -> Membership:
    """Change a membership's divisions, or end / restore it."""
    permissions.authorize_admin(actor, membership.organization_id)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        membership._history_user = actor
        if division_ids is not None:
            ids = _division_ids_checked(membership.organization_id, division_ids)
            if membership.role == Role.DIVISION_HEAD and not ids:
                raise ValidationFailed({"division_ids": ["A division head needs a division."]})
            membership.divisions.set(ids)
        if is_active is not None and is_active != membership.is_active:
            if not is_active and membership.user_id == actor.pk and membership.role == Role.ADMIN:
                raise ValidationFailed({"is_active": ["Admins cannot end their own admin role."]})
            membership.is_active = is_active
            membership.save(update_fields=["is_active"])
    return membership


def delegation_create(
    *,
    organization: Organization,
    actor,
    delegator,
    deputy,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
    deputy_position: str = "",
) -> Delegation:
    """Let `deputy` act as chief executive between two moments (admins, or the chief).

    `deputy_position` is what the deputy signs as (รองนายก…, ปลัด…) on what they approve.
    """
    if delegator.pk != actor.pk:
        permissions.authorize_admin(actor, organization.pk)
    elif Role.CHIEF_EXECUTIVE not in {
        m.role for m in permissions.memberships_of(actor, organization.pk)
    } and Role.ADMIN not in permissions.roles_of(actor, organization.pk):
        raise NotPermitted()
    errors = {}
    if not Membership.objects.filter(
        user=delegator, organization=organization, role=Role.CHIEF_EXECUTIVE, is_active=True
    ).exists():
        errors["delegator"] = ["The delegator must be the organization's chief executive."]
    if delegator.pk == deputy.pk:
        errors["deputy"] = ["The deputy must be someone else."]
    if starts_at >= ends_at:
        errors["ends_at"] = ["The delegation ends before it starts."]
    if errors:
        raise ValidationFailed(errors)
    delegation = Delegation(
        organization=organization,
        delegator=delegator,
        deputy=deputy,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=(reason or "").strip(),
        deputy_position=" ".join((deputy_position or "").split())[:200],
    )
    delegation._history_user = actor
    delegation.save()
    return delegation


def delegation_revoke(*, delegation: Delegation, actor) -> Delegation:
    """End a delegation now (admins, or the chief executive who gave it)."""
    if delegation.delegator_id != actor.pk:
        permissions.authorize_admin(actor, delegation.organization_id)
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if delegation.revoked_at is None:
            delegation.revoked_at = timezone.now()
            delegation._history_user = actor
            delegation.save(update_fields=["revoked_at"])
    return delegation
