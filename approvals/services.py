"""The one write path for workflow transitions.

Web views, API views, admin actions, management commands and Celery tasks
all call `transition_perform`; none calls an FSM method directly.
"""

from __future__ import annotations

from django.db import transaction
from django_fsm import can_proceed

from approvals import permissions
from approvals.exceptions import ReasonRequired, StaleVersion, TransitionNotAllowed
from approvals.notifications import notifications_enqueue
from audit.models import TransitionLog
from workflow.models import Action, Measure, ResultReport
from workflow.services import publication_create


def transition_perform(
    *,
    item: Measure | ResultReport,
    action: Action | str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    ip_address: str | None = None,
) -> TransitionLog:
    """Lock the item, check who may act, move its state and record it, all or nothing.

    The instance passed in is not changed; read the new state from the database.
    """
    action = Action(action)
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = type(item).objects.select_for_update().get(pk=item.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleVersion()
        method = getattr(locked, action.method_name)
        if not can_proceed(method):
            raise TransitionNotAllowed()
        authority = permissions.authorize_transition(actor, locked, action)
        if action == Action.RETURN and not comment:
            raise ReasonRequired()

        source_state = locked.state
        method()
        if action == Action.SUBMIT:
            locked.submitted_by = actor
        locked.version += 1
        locked._history_user = actor
        locked._change_reason = f"{action.value}: {comment}" if comment else action.value
        locked.save(update_fields=["state", "version", "revision", "submitted_by", "updated_at"])

        log = TransitionLog.objects.create(
            organization_id=locked.organization_id,
            measure=locked.measure if isinstance(locked, ResultReport) else locked,
            result_report=locked if isinstance(locked, ResultReport) else None,
            action=action.value,
            source_state=source_state,
            target_state=locked.state,
            actor=actor,
            role=authority.role,
            delegation=authority.delegation,
            comment=comment,
            version=locked.version,
            revision=locked.revision,
            ip_address=ip_address,
        )
        notifications_enqueue(log=log)
        if action == Action.PUBLISH:
            publication_create(item=locked, published_by=actor)
    return log
