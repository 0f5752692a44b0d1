"""Who is told about what: inbox rows and outbox messages, written in the caller's transaction.

Recipients of a transition (never the actor):
submit → working group; withdraw → working group (what they were told about is gone);
review → chief executive and deputies with a delegation in force;
return → the submitter; approve → publishers and the submitter;
publish → everyone who acted on the item before, and its submitter;
revise → the heads of the item's divisions (they draft the new revision).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
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


@dataclass(frozen=True)
class Contact:
    """A person to tell, with the address and e-mail choice read in the same query."""

    user_id: int
    email: str
    email_mode: str


def contacts(people: Q, *, exclude: int | None = None) -> dict[int, Contact]:
    """The active people matching `people`, with their address and choice (no row: immediate)."""
    users = get_user_model().objects.filter(people, is_active=True)
    if exclude is not None:
        users = users.exclude(pk=exclude)
    rows = users.values_list("pk", "email", "notification_preference__email_mode").distinct()
    return {pk: Contact(pk, email or "", mode or EmailMode.IMMEDIATE) for pk, email, mode in rows}


def _with_role(organization_id: int, *roles: Role) -> Q:
    return Q(
        memberships__organization_id=organization_id,
        memberships__is_active=True,
        memberships__role__in=roles,
    )


def _person(user_id: int | None) -> Q:
    return Q(pk=user_id) if user_id else Q(pk__in=[])


def recipients_query(log: TransitionLog, item: Measure | ResultReport | None = None) -> Q:
    """Who a transition concerns (see the module docstring), as one filter on people."""
    item = item or log.item
    org = log.organization_id
    action = Action(log.action)
    if action in (Action.SUBMIT, Action.WITHDRAW):
        return _with_role(org, Role.WORKING_GROUP)
    if action == Action.REVIEW:
        deputies = Delegation.objects.in_force().filter(organization_id=org).values("deputy_id")
        return _with_role(org, Role.CHIEF_EXECUTIVE) | Q(pk__in=deputies)
    if action == Action.RETURN:
        return _person(item.submitted_by_id)
    if action == Action.APPROVE:
        return _with_role(org, Role.PUBLISHER) | _person(item.submitted_by_id)
    if action == Action.PUBLISH:
        actors = TransitionLog.objects.filter(
            measure_id=log.measure_id, result_report_id=log.result_report_id, actor__isnull=False
        ).values("actor_id")
        return Q(pk__in=actors) | _person(item.submitted_by_id)
    measure = item.measure if isinstance(item, ResultReport) else item
    return Q(
        memberships__organization_id=org,
        memberships__is_active=True,
        memberships__role=Role.DIVISION_HEAD,
        memberships__divisions__measures=measure,
    )


def recipients_for(
    log: TransitionLog, item: Measure | ResultReport | None = None
) -> dict[int, Contact]:
    """The people a transition concerns, the actor left out."""
    return contacts(recipients_query(log, item), exclude=log.actor_id)


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


def notifications_write(
    drafts: list[Draft], *, people: dict[int, Contact] | None = None
) -> list[int]:
    """Write inbox rows and, for those who want each e-mail, outbox rows; send after commit.

    Must run inside the caller's transaction. Returns the outbox message ids.
    """
    if not drafts:
        return []
    if people is None:
        people = contacts(Q(pk__in={d.user_id for d in drafts}))
    drafts = [d for d in drafts if d.user_id in people]
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
                digest_pending=bool(people[d.user_id].email)
                and people[d.user_id].email_mode == EmailMode.DIGEST,
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
                to_address=people[n.user_id].email,
                notification=n,
                transition_log_id=n.transition_log_id,
                next_attempt_at=now,
                created_at=now,
            )
            for n in notifications
            if people[n.user_id].email and people[n.user_id].email_mode == EmailMode.IMMEDIATE
        ]
    )
    ids = [m.pk for m in messages]
    if ids:
        outbox_dispatch_on_commit(ids)
    return ids


def outbox_dispatch_on_commit(message_ids: list[int]) -> None:
    from approvals.delivery import publisher

    transaction.on_commit(lambda: publisher.submit(message_ids), robust=True)


def notifications_enqueue(
    *, log: TransitionLog, item: Measure | ResultReport | None = None
) -> list[int]:
    """Tell the next people in line about a transition: inbox rows and e-mails after commit.

    `item` is the transition's item when the caller has it at hand (saves a query).
    """
    item = item or log.item
    people = recipients_for(log, item)
    if not people:
        return []
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
            for user_id in sorted(people)
        ],
        people=people,
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
