"""The one write path for workflow transitions, and the writes on roles and delegations.

Web views, API views, admin actions, management commands and Celery tasks
all call `transition_perform`; none calls an FSM method directly.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django_fsm import can_proceed

from approvals import notifications, permissions
from approvals.exceptions import (
    MeasureNotPublished,
    NotPermitted,
    ReasonRequired,
    SelfGrant,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
    WorkflowError,
)
from approvals.models import (
    Delegation,
    Membership,
    NotificationKind,
    OutboxMessage,
    Position,
    PublicationSchedule,
    Role,
)
from approvals.notifications import transition_notifications
from audit import recording
from audit.models import TransitionLog
from config import metrics, statements
from workflow import thai
from workflow.assessment_services import analysis_publication_create
from workflow.models import (
    Action,
    Analysis,
    Division,
    Measure,
    Organization,
    Publication,
    ReportIntroduction,
    ResultReport,
)
from workflow.services import introduction_publication_create, publication_create
from workflow.text import text_problem

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
    item: Measure | ResultReport | Analysis | ReportIntroduction,
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
    comment = _comment_checked(comment)

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
            if action == Action.PUBLISH and model is ResultReport:
                _measure_published_check(locked.measure_id)

            source_state = locked.state
            method()
            now = timezone.now()
            update_fields = ["state", "version", "updated_at"]
            if action == Action.SUBMIT:
                locked.submitted_by = actor
                update_fields.append("submitted_by")
            elif action == Action.REVIEW:
                locked.reviewed_by = actor
                update_fields.append("reviewed_by")
            elif action == Action.REVISE:
                locked.submitted_by = locked.reviewed_by = None
                update_fields += ["submitted_by", "reviewed_by", "revision"]
            locked.version += 1
            locked.updated_at = now

            is_report, is_analysis = model is ResultReport, model is Analysis
            is_introduction = model is ReportIntroduction
            log = TransitionLog(
                id=prefetch_rows[0][2],
                organization_id=locked._org_id,
                measure_id=(
                    None
                    if is_analysis or is_introduction
                    else locked.measure_id
                    if is_report
                    else locked.pk
                ),
                result_report_id=locked.pk if is_report else None,
                analysis_id=locked.pk if is_analysis else None,
                introduction_id=locked.pk if is_introduction else None,
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
            if action == Action.PUBLISH and is_analysis:
                analysis_publication_create(analysis=locked, published_by=actor)
            elif action == Action.PUBLISH and is_introduction:
                introduction_publication_create(introduction=locked, published_by=actor)
            elif action == Action.PUBLISH:
                publication_create(item=locked, published_by=actor)
            return log

    log = _retrying_on_sqlite_lock(perform)
    metrics.transition_counted(kind=model._meta.model_name, action=action.value)
    return log


def _comment_checked(comment) -> str:
    comment = (comment or "").strip()
    problem = text_problem(comment)
    if problem:
        raise ValidationFailed({"comment": [problem]})
    return comment


def _measure_published_check(measure_id: int, *, scheduled_by=None) -> None:
    """A result report follows its measure to the public: the measure is published, or
    (for a scheduled report) its own publication is scheduled no later than `scheduled_by`."""
    if Publication.objects.filter(measure_id=measure_id, result_report__isnull=True).exists():
        return
    if scheduled_by is not None and (
        PublicationSchedule.objects.pending()
        .filter(measure_id=measure_id, result_report__isnull=True, publish_at__lte=scheduled_by)
        .exists()
    ):
        return
    raise MeasureNotPublished()


def result_report_publish_with_measure(
    *, report: ResultReport, actor, ip_address: str | None = None
) -> list[TransitionLog]:
    """Publish an approved measure and then its approved report, both or neither."""
    with transaction.atomic():
        return [
            transition_perform(item=item, action=Action.PUBLISH, actor=actor, ip_address=ip_address)
            for item in (report.measure, report)
        ]


@dataclass(frozen=True)
class Outcome:
    """What became of one item of a bulk action: done, or refused and why."""

    item: Measure | ResultReport
    done: bool
    error: WorkflowError | None = None


def transitions_perform_many(
    *, items: list[tuple[Measure | ResultReport, int | None]], action: Action | str, actor,
    ip_address: str | None = None,
) -> list[Outcome]:  # fmt: skip
    """Take one action on several items, each its own `transition_perform` (and transaction):
    one refused item does not hold back the others. `items` pairs each with the version seen."""
    outcomes = []
    for item, version in items:
        try:
            transition_perform(
                item=item, action=action, actor=actor, expected_version=version,
                ip_address=ip_address,
            )  # fmt: skip
        except WorkflowError as error:
            outcomes.append(Outcome(item=item, done=False, error=error))
        else:
            outcomes.append(Outcome(item=item, done=True))
    return outcomes


def publication_schedule(
    *,
    item: Measure | ResultReport,
    actor,
    publish_at: dt.datetime,
    comment: str = "",
    expected_version: int | None = None,
) -> PublicationSchedule:
    """Order an approved item published at `publish_at`; replaces a pending order for it.

    Measures and result reports only: the opening paragraph and the analysis are published
    at once (a schedule names a measure).
    """
    if isinstance(item, permissions.WORKING_GROUP_ITEMS):
        raise TransitionNotAllowed()
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
        if is_report:
            _measure_published_check(measure.pk, scheduled_by=publish_at)
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
            comment=_comment_checked(comment),
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
    # measures before the reports due at the same moment: a report follows its measure
    due = PublicationSchedule.objects.due(at).order_by(
        "publish_at", F("result_report_id").asc(nulls_first=True), "pk"
    )
    for schedule_id in due.values_list("pk", flat=True):
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


def _role_words(role: str) -> tuple[str, str]:
    with translation.override("th"):
        thai_label = str(Role(role).label)
    with translation.override("en"):
        english_label = str(Role(role).label)
    return thai_label, english_label


def _membership_words(membership: Membership, given: bool) -> tuple[str, str]:
    role_th, role_en = _role_words(membership.role)
    name = notifications.person_name(membership.user)
    if given:
        return f"มอบบทบาท {role_th} ให้ {name}", f"{name} was given the role {role_en}"
    return f"ยกเลิกบทบาท {role_th} ของ {name}", f"{name} no longer holds the role {role_en}"


def _delegation_words(delegation: Delegation, given: bool) -> tuple[str, str]:
    deputy = notifications.person_name(delegation.deputy)
    chief = notifications.person_name(delegation.delegator)
    if not given:
        return (
            f"ยกเลิกการมอบหมายให้ {deputy} ปฏิบัติราชการแทน {chief}",
            f"{deputy} no longer acts for {chief}",
        )
    period = (
        f"{thai.format_datetime(delegation.starts_at)} – {thai.format_datetime(delegation.ends_at)}"
    )
    return (
        f"มอบหมายให้ {deputy} ปฏิบัติราชการแทน {chief} {period}",
        f"{deputy} acts for {chief} from {delegation.starts_at:%Y-%m-%d %H:%M} "
        f"to {delegation.ends_at:%Y-%m-%d %H:%M}",
    )


def _grant_told(record: Membership | Delegation, actor, *, given: bool) -> None:
    """Grants and revocations are told to the chief executive and the admins (issue 12)."""
    if isinstance(record, Membership):
        (title, title_en), grantee_id = _membership_words(record, given), record.user_id
    else:
        (title, title_en), grantee_id = _delegation_words(record, given), record.deputy_id
    notifications.grant_notify(
        organization_id=record.organization_id, actor=actor, grantee_id=grantee_id,
        title=title, title_en=title_en,
    )  # fmt: skip


def membership_create(
    *, organization: Organization, actor, user, role: Role | str, division_ids=()
) -> Membership:
    """Give `user` a role in the organization (division heads: with their divisions).

    Given by an admin of the organization or the platform operator, never to oneself;
    the chief executive and the admins are told.
    """
    permissions.authorize_grant(actor, organization.pk, user.pk)
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
        membership._change_reason = "grant"
        membership.save()
        membership.divisions.set(division_ids)
        _grant_told(membership, actor, given=True)
    return membership


def membership_update(
    *, membership: Membership, actor, is_active: bool | None = None, division_ids=None
) -> Membership:
    """Change a membership's divisions, or end / restore it.

    Nobody widens or restores their own membership; one may end one's own role
    (but not one's admin role).
    """
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        )
        widens = division_ids is not None or is_active is True
        permissions.authorize_grant(
            actor, membership.organization_id, membership.user_id if widens else None
        )
        membership._history_user = actor
        if division_ids is not None:
            ids = _division_ids_checked(membership.organization_id, division_ids)
            if membership.role == Role.DIVISION_HEAD and not ids:
                raise ValidationFailed({"division_ids": ["A division head needs a division."]})
            if set(ids) != {d.pk for d in membership.divisions.all()}:
                membership._change_reason = "edit"
                membership.divisions.set(ids)
        if is_active is not None and is_active != membership.is_active:
            if not is_active and membership.user_id == actor.pk and membership.role == Role.ADMIN:
                raise ValidationFailed({"is_active": ["Admins cannot end their own admin role."]})
            membership.is_active = is_active
            membership._change_reason = "grant" if is_active else "revoke"
            membership.save(update_fields=["is_active"])
            _grant_told(membership, actor, given=is_active)
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

    Never given to oneself; the chief executive and the admins are told.
    `deputy_position` is what the deputy signs as (รองนายก…, ปลัด…) on what they approve.
    """
    if delegator.pk != actor.pk:
        permissions.authorize_grant(actor, organization.pk, deputy.pk)
    else:
        if Role.CHIEF_EXECUTIVE not in {
            m.role for m in permissions.memberships_of(actor, organization.pk)
        } and Role.ADMIN not in permissions.roles_of(actor, organization.pk):
            raise NotPermitted()
        if deputy.pk == actor.pk:
            raise SelfGrant()
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
    with transaction.atomic():
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
        delegation._change_reason = "grant"
        delegation.save()
        _grant_told(delegation, actor, given=True)
    return delegation


def delegation_revoke(*, delegation: Delegation, actor) -> Delegation:
    """End a delegation now (admins, the platform operator, or the chief executive who gave it)."""
    if delegation.delegator_id != actor.pk:
        permissions.authorize_grant(actor, delegation.organization_id, None)
    with transaction.atomic():
        delegation = (
            Delegation.objects.select_for_update()
            .select_related("delegator", "deputy")
            .get(pk=delegation.pk)
        )
        if delegation.revoked_at is None:
            delegation.revoked_at = timezone.now()
            delegation._history_user = actor
            delegation._change_reason = "revoke"
            delegation.save(update_fields=["revoked_at"])
            _grant_told(delegation, actor, given=False)
    return delegation


# --- people (organization admins) ----------------------------------------------------------


def _in_organization(user, organization_id: int) -> bool:
    """Whether the person holds (or held) a role there, or acts there as a deputy."""
    return (
        Membership.objects.filter(user=user, organization_id=organization_id).exists()
        or Delegation.objects.filter(deputy=user, organization_id=organization_id).exists()
    )


def position_set(*, organization: Organization, actor, user, title: str) -> Position | None:
    """Record the person's official position in the organization (empty: none any more).

    Set by the organization's admins (or the platform operator) for the people of that
    organization only; the history keeps every earlier position with who changed it.
    """
    permissions.authorize_admin(actor, organization.pk)
    if not _in_organization(user, organization.pk):
        raise NotPermitted()
    title = " ".join((title or "").split())
    if problem := text_problem(title, max_length=200):
        raise ValidationFailed({"position": [problem]})
    with transaction.atomic():
        # the person's row is locked first: two admins giving a first position at the same
        # moment then queue, rather than the second inserting a duplicate and failing
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        position = Position.objects.filter(user=user, organization=organization).first()
        if position is None and not title:
            return None
        if position is not None and position.title == title:
            return position
        if position is None:
            position = Position(user=user, organization=organization)
        position._history_user = actor
        position._change_reason = "edit"
        if not title:
            position.delete()
            return None
        position.title = title
        position.save()
    return position


def _invitation_queue(*, organization: Organization, user, role: str, site_url: str) -> int:
    """The invitation as an outbox message (sent by the workers after commit, once).

    The set-password link is made when the message is sent, so no token is stored.
    """
    message = OutboxMessage.objects.create(
        idempotency_key=f"invitation:{organization.pk}:{user.pk}",
        kind=NotificationKind.INVITATION,
        organization=organization,
        recipient=user,
        to_address=user.email,
        payload={"role": str(role), "site_url": site_url},
    )
    notifications.outbox_dispatch_on_commit([message.pk])
    return message.pk


def person_invite(
    *, organization: Organization, actor, email: str, first_name: str, last_name: str,
    role: Role | str, division_ids=(), site_url: str = "", position: str = "",
):  # fmt: skip
    """Add a person by e-mail with a first role and their position, and send them a link
    to set their password (through the outbox).

    A person who already has an account (the same e-mail) gets the role only. The link is
    Django's password-reset token: it works once, and stops working when the password is set.
    """
    from django.contrib.auth import get_user_model

    permissions.authorize_admin(actor, organization.pk)
    email = (email or "").strip().lower()
    errors = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = ["Give a valid e-mail address."]
    if not (first_name or "").strip():
        errors["first_name"] = ["Give the person's name."]
    if errors:
        raise ValidationFailed(errors)
    users = get_user_model()
    with transaction.atomic():
        user = users.objects.filter(email__iexact=email).first()
        invited = user is None
        if invited:
            user = users(username=email, email=email, first_name=first_name.strip(),
                         last_name=(last_name or "").strip())  # fmt: skip
            user.set_unusable_password()
            user.save()
        membership = membership_create(
            organization=organization, actor=actor, user=user, role=role,
            division_ids=division_ids,
        )  # fmt: skip
        if position:
            position_set(organization=organization, actor=actor, user=user, title=position)
        if invited:
            _invitation_queue(organization=organization, user=user, role=role, site_url=site_url)
    return membership
