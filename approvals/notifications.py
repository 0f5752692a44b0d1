"""Who is told about what: inbox rows and outbox messages, written in the caller's transaction.

Recipients of a transition (never the actor):
submit → working group; withdraw → working group (what they were told about is gone);
review → chief executive and deputies with a delegation in force;
return → the submitter; approve → publishers and the submitter;
publish → everyone who acted on the item before, and its submitter;
revise → the heads of the item's divisions (they draft the new revision).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from approvals.models import (
    Delegation,
    EmailMode,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    Role,
)
from audit.models import TransitionLog
from workflow import thai
from workflow.models import Action, Measure, ResultReport

ACTION_TITLES = {
    Action.SUBMIT: ("ส่งมาให้คณะทำงานพิจารณา", "Submitted for review"),
    Action.WITHDRAW: ("ผู้ส่งถอนรายการคืน", "Withdrawn by the submitter"),
    Action.REVIEW: ("คณะทำงานพิจารณาแล้ว รอการอนุมัติ", "Reviewed, awaiting approval"),
    Action.RETURN: ("ส่งกลับให้แก้ไข", "Returned for changes"),
    Action.APPROVE: ("อนุมัติแล้ว รอการเผยแพร่", "Approved, awaiting publication"),
    Action.PUBLISH: ("เผยแพร่แล้ว", "Published"),
    Action.REVISE: ("เปิดฉบับแก้ไขใหม่", "Reopened for revision"),
}


def _users_with_role(organization_id: int, roles: Iterable[Role]) -> set[int]:
    return set(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization_id=organization_id,
            memberships__is_active=True,
            memberships__role__in=list(roles),
        )
        .values_list("pk", flat=True)
    )


def _division_heads(item: Measure | ResultReport) -> set[int]:
    measure = item.measure if isinstance(item, ResultReport) else item
    return set(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organization_id=measure.organization_id,
            memberships__is_active=True,
            memberships__role=Role.DIVISION_HEAD,
            memberships__divisions__measures=measure,
        )
        .values_list("pk", flat=True)
    )


def _history_actors(log: TransitionLog) -> set[int]:
    return set(
        TransitionLog.objects.filter(
            measure_id=log.measure_id, result_report_id=log.result_report_id, actor__isnull=False
        ).values_list("actor_id", flat=True)
    )


def recipients_for(log: TransitionLog) -> set[int]:
    """The ids of the people a transition concerns, the actor left out."""
    item = log.item
    org = log.organization_id
    action = Action(log.action)
    if action in (Action.SUBMIT, Action.WITHDRAW):
        ids = _users_with_role(org, [Role.WORKING_GROUP])
    elif action == Action.REVIEW:
        ids = _users_with_role(org, [Role.CHIEF_EXECUTIVE])
        ids |= set(
            Delegation.objects.in_force()
            .filter(organization_id=org)
            .values_list("deputy_id", flat=True)
        )
    elif action == Action.RETURN:
        ids = {item.submitted_by_id}
    elif action == Action.APPROVE:
        ids = _users_with_role(org, [Role.PUBLISHER]) | {item.submitted_by_id}
    elif action == Action.PUBLISH:
        ids = _history_actors(log) | {item.submitted_by_id}
    else:  # revise
        ids = _division_heads(item)
    ids.discard(None)
    ids.discard(log.actor_id)
    return ids


def item_path(item: Measure | ResultReport) -> str:
    """A stable link to the item: `approvals:item` sends on to its page when clicked."""
    kind = "result-report" if isinstance(item, ResultReport) else "measure"
    return reverse("approvals:item", args=[kind, item.pk])


def item_page(kind: str, pk: int) -> str:
    """The item's page now: the web pages when they are there, the admin otherwise."""
    names = {
        "measure": ["workflow:measure-detail", "admin:workflow_measure_change"],
        "result-report": ["workflow:result-report-detail", "admin:workflow_resultreport_change"],
    }[kind]
    for name in names:
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return reverse("approvals:inbox")


def item_label(item: Measure | ResultReport) -> str:
    if isinstance(item, ResultReport):
        measure = item.measure
        return (
            f"ผลการดำเนินการ {item.reporting_round.name} "
            f"มาตรการที่ {thai.to_thai_digits(measure.number)} {measure.title[:120]}"
        )
    return f"มาตรการที่ {thai.to_thai_digits(item.number)} {item.title[:120]}"


def email_modes(user_ids: Iterable[int]) -> dict[int, str]:
    """Each person's e-mail choice; no row means immediate."""
    return dict(
        NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list(
            "user_id", "email_mode"
        )
    )


@dataclass(frozen=True)
class Draft:
    """What one inbox entry says, before it is written."""

    user_id: int
    organization_id: int
    kind: str
    title: str
    title_en: str
    body: str = ""
    url: str = ""
    action: str = ""
    measure_id: int | None = None
    result_report_id: int | None = None
    transition_log_id: int | None = None
    dedupe_key: str | None = None


def notifications_write(drafts: list[Draft]) -> list[int]:
    """Write inbox rows and, for those who want each e-mail, outbox rows; send after commit.

    Must run inside the caller's transaction. Returns the outbox message ids.
    """
    if not drafts:
        return []
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(pk__in={d.user_id for d in drafts})
        .only("pk", "email")
    }
    modes = email_modes(users)
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user_id=d.user_id,
                organization_id=d.organization_id,
                kind=d.kind,
                action=d.action,
                measure_id=d.measure_id,
                result_report_id=d.result_report_id,
                transition_log_id=d.transition_log_id,
                title=d.title[:300],
                title_en=d.title_en[:300],
                body=d.body,
                url=d.url,
                dedupe_key=d.dedupe_key,
                digest_pending=bool(users[d.user_id].email)
                and modes.get(d.user_id, EmailMode.IMMEDIATE) == EmailMode.DIGEST,
                created_at=now,
            )
            for d in drafts
        ]
    )
    messages = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                idempotency_key=f"{n.dedupe_key or f'notification:{n.pk}'}:email",
                kind=n.kind,
                organization_id=n.organization_id,
                recipient_id=n.user_id,
                to_address=users[n.user_id].email,
                notification=n,
                transition_log_id=n.transition_log_id,
                next_attempt_at=now,
                created_at=now,
            )
            for n in notifications
            if users[n.user_id].email
            and modes.get(n.user_id, EmailMode.IMMEDIATE) == EmailMode.IMMEDIATE
        ]
    )
    ids = [m.pk for m in messages]
    if ids:
        outbox_dispatch_on_commit(ids)
    return ids


def outbox_dispatch_on_commit(message_ids: list[int]) -> None:
    from approvals.delivery import outbox_dispatch

    transaction.on_commit(lambda: outbox_dispatch(message_ids), robust=True)


def notifications_enqueue(*, log: TransitionLog) -> list[int]:
    """Tell the next people in line about a transition: inbox rows and e-mails after commit."""
    recipients = recipients_for(log)
    if not recipients:
        return []
    item = log.item
    action = Action(log.action)
    title, title_en = ACTION_TITLES[action]
    label = item_label(item)
    body = label
    if log.comment:
        body += f"\nความเห็น / Comment: {log.comment}"
    url = item_path(item)
    return notifications_write(
        [
            Draft(
                user_id=user_id,
                organization_id=log.organization_id,
                kind=NotificationKind.TRANSITION,
                action=action.value,
                title=f"{title}: {label}",
                title_en=f"{title_en}: {label}",
                body=body,
                url=url,
                measure_id=log.measure_id,
                result_report_id=log.result_report_id,
                transition_log_id=log.pk,
                dedupe_key=f"transition:{log.pk}:{user_id}",
            )
            for user_id in sorted(recipients)
        ]
    )


def notification_mark_read(*, notification_id: int, user) -> Notification:
    """Mark one entry of the person's own inbox as read (again: no change)."""
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark the whole inbox as read; returns how many entries changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_update(*, user, email_mode: EmailMode | str) -> NotificationPreference:
    """Choose immediate e-mails, a daily digest or none; the inbox fills whatever the choice."""
    email_mode = EmailMode(email_mode)
    preference = NotificationPreference.objects.filter(user=user).first()
    if preference is not None and preference.email_mode == email_mode:
        return preference
    preference = preference or NotificationPreference(user=user)
    preference.email_mode = email_mode
    preference._history_user = user
    preference.save()
    return preference
