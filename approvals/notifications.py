"""Who is told about what: inbox rows and outbox messages, written in the caller's transaction.

Recipients of a transition (never the actor):
submit → working group; withdraw → working group (what they were told about is gone);
review → chief executive and deputies with a delegation in force;
return → the submitter; approve → publishers and the submitter;
publish → everyone who acted on the item before, and its submitter;
revise → the heads of the item's divisions (they draft the new revision); for an ITA result
analysis, which has no division, the working group.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from approvals.models import (
    Delegation,
    EmailMode,
    Membership,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    Role,
)
from audit.models import TransitionLog
from config.statements import Statement, insert, next_id, quote
from workflow import thai, wording
from workflow.models import (
    Action,
    Analysis,
    AssessmentScheme,
    FiscalYear,
    ItaResult,
    Measure,
    ReportingRound,
    ReportIntroduction,
    ResultReport,
)

ACTION_TITLES = {
    Action.SUBMIT: ("ส่งมาให้คณะทำงานพิจารณา", "Submitted for review"),
    Action.WITHDRAW: ("ผู้ส่งถอนรายการคืน", "Withdrawn by the submitter"),
    Action.REVIEW: ("คณะทำงานพิจารณาแล้ว รอการอนุมัติ", "Reviewed, awaiting approval"),
    Action.RETURN: ("ส่งกลับแก้ไข", "Returned for changes"),
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


def item_path(item: Measure | ResultReport) -> str:
    """A stable link to the item: `approvals:item` sends on to its page when clicked."""
    kind = item_kind(item)
    return reverse("approvals:item", args=[kind, item.pk])


def item_kind(item) -> str:
    if isinstance(item, Analysis):
        return "analysis"
    if isinstance(item, ReportIntroduction):
        return "introduction"
    return "result-report" if isinstance(item, ResultReport) else "measure"


def item_page(kind: str, pk: int) -> str:
    """The item's page now: the web pages when they are there, the admin otherwise."""
    names = {
        "measure": ["workflow:measure-detail", "admin:workflow_measure_change"],
        "result-report": ["workflow:result-report-detail", "admin:workflow_resultreport_change"],
        "analysis": ["ita:analysis", "admin:workflow_analysis_change"],
        "introduction": ["workflow:introduction", "admin:workflow_reportintroduction_change"],
    }[kind]
    for name in names:
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return reverse("approvals:inbox")


def item_label(item: Measure | ResultReport | Analysis | ReportIntroduction) -> str:
    if isinstance(item, Analysis):
        return analysis_label(item.result.scheme.year)
    if isinstance(item, ReportIntroduction):
        return introduction_label(item.fiscal_year.year)
    if isinstance(item, ResultReport):
        measure = item.measure
        return _label(measure.number, measure.title, item.reporting_round.name)
    return _label(item.number, item.title)


def analysis_label(year: int, *, english: bool = False) -> str:
    if english:
        return f"Analysis of the ITA result, fiscal year {year}"
    return f"การวิเคราะห์ผลการประเมิน ITA ปีงบประมาณ พ.ศ. {thai.to_thai_digits(year)}"


def introduction_label(year: int, *, english: bool = False) -> str:
    if english:
        return f"Opening paragraph of the report, fiscal year {year}"
    return f"ข้อความนำของรายงาน ปีงบประมาณ พ.ศ. {thai.to_thai_digits(year)}"


def _label(number: int, title: str, round_name: str = "", *, english: bool = False) -> str:
    """`มาตรการข้อ ๒ …` / `ผลการดำเนินการ รอบ ๖ เดือน มาตรการข้อ ๒ …`, or in English."""
    title = wording.words_shorten(title, 100)
    if english:
        label = f"Measure {number} {title}"
        return f"Results ({round_name}) of measure {number} {title}" if round_name else label
    label = f"มาตรการข้อ {thai.to_thai_digits(number)} {title}"
    return f"ผลการดำเนินการ {round_name} {label}" if round_name else label


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
        [_entry(d, people[d.user_id], now) for d in drafts]
    )
    messages = OutboxMessage.objects.bulk_create(
        [m for n in notifications if (m := _email(n, people[n.user_id], now))]
    )
    ids = [m.pk for m in messages]
    if ids:
        outbox_dispatch_on_commit(ids)
    return ids


def _entry(d: Draft, contact: Contact, now, pk: int | None = None) -> Notification:
    """The inbox entry of a draft; it waits for a digest if the person chose one."""
    return Notification(
        id=pk,
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
        digest_pending=bool(contact.email) and contact.email_mode == EmailMode.DIGEST,
        created_at=now,
    )


def _email(n: Notification, contact: Contact, now, pk: int | None = None):
    """The e-mail of an inbox entry, for a person who wants each one at an address; else None."""
    if not contact.email or contact.email_mode != EmailMode.IMMEDIATE:
        return None
    return OutboxMessage(
        id=pk,
        idempotency_key=f"{n.dedupe_key or f'notification:{n.pk}'}:email",
        kind=n.kind,
        organization_id=n.organization_id,
        recipient_id=n.user_id,
        to_address=contact.email,
        notification_id=n.pk,
        transition_log_id=n.transition_log_id,
        next_attempt_at=now,
        created_at=now,
    )


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def grant_notify(
    *, organization_id: int, actor, grantee_id: int, title: str, title_en: str
) -> list[int]:
    """Tell the chief executive, the organization's admins and the person concerned that a
    role or a delegation was given or ended (never the one who did it).

    Must run inside the granting transaction; returns the outbox message ids.
    """
    people = contacts(
        Q(
            memberships__organization_id=organization_id,
            memberships__is_active=True,
            memberships__role__in=[Role.CHIEF_EXECUTIVE, Role.ADMIN],
        )
        | Q(pk=grantee_id),
        exclude=actor.pk,
    )
    body = f"ผู้ดำเนินการ / By: {person_name(actor)}"
    return notifications_write(
        [
            Draft(
                user_id=pk,
                organization_id=organization_id,
                kind=NotificationKind.GRANT,
                title=title,
                title_en=title_en,
                body=body,
            )
            for pk in people
        ],
        people=people,
    )


def outbox_dispatch_on_commit(message_ids: list[int]) -> None:
    from approvals.delivery import publisher

    transaction.on_commit(lambda: publisher.submit(message_ids), robust=True)


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


# ---- a transition's notifications, read and written with the transition's own statements ----


def _item_context(model) -> str:
    """The item's organization, measure, submitter and label parts, as the CTE `it`."""
    if model is Analysis:  # number: the year assessed, for the label
        return (
            "SELECT i.organization_id AS org, NULL AS measure, i.submitted_by_id AS submitter,"
            " s.year AS number, '' AS title, '' AS round"
            f" FROM {quote(Analysis._meta.db_table)} i"
            f" INNER JOIN {quote(ItaResult._meta.db_table)} r ON r.id = i.result_id"
            f" INNER JOIN {quote(AssessmentScheme._meta.db_table)} s ON s.id = r.scheme_id"
            " WHERE i.id = %(item)s"
        )
    if model is ReportIntroduction:  # number: the fiscal year, for the label
        return (
            "SELECT i.organization_id AS org, NULL AS measure, i.submitted_by_id AS submitter,"
            " y.year AS number, '' AS title, '' AS round"
            f" FROM {quote(ReportIntroduction._meta.db_table)} i"
            f" INNER JOIN {quote(FiscalYear._meta.db_table)} y ON y.id = i.fiscal_year_id"
            " WHERE i.id = %(item)s"
        )
    if model is ResultReport:
        return (
            "SELECT ms.organization_id AS org, ms.id AS measure, i.submitted_by_id AS submitter,"
            " ms.number AS number, ms.title AS title, rr.name AS round"
            f" FROM {quote(ResultReport._meta.db_table)} i"
            f" INNER JOIN {quote(Measure._meta.db_table)} ms ON ms.id = i.measure_id"
            f" INNER JOIN {quote(ReportingRound._meta.db_table)} rr"
            " ON rr.id = i.reporting_round_id WHERE i.id = %(item)s"
        )
    return (
        "SELECT i.organization_id AS org, i.id AS measure, i.submitted_by_id AS submitter,"
        f" i.number AS number, i.title AS title, '' AS round"
        f" FROM {quote(Measure._meta.db_table)} i WHERE i.id = %(item)s"
    )


def _people_sql(model, action: Action) -> str:
    """Who a transition concerns (see the module docstring), as ids selected from `it`."""
    membership = quote(Membership._meta.db_table)

    def with_role(*roles: Role) -> str:
        listed = ", ".join(f"'{role.value}'" for role in roles)
        return (
            f"SELECT m.user_id FROM {membership} m, it WHERE m.organization_id = it.org"
            f" AND m.is_active AND m.role IN ({listed})"
        )

    submitter = "SELECT it.submitter FROM it"
    if action in (Action.SUBMIT, Action.WITHDRAW):
        return with_role(Role.WORKING_GROUP)
    if action == Action.REVIEW:
        deputies = (
            f"SELECT g.deputy_id FROM {quote(Delegation._meta.db_table)} g, it"
            " WHERE g.organization_id = it.org AND g.starts_at <= %(now)s"
            " AND g.ends_at > %(now)s AND g.revoked_at IS NULL"
        )
        return f"{with_role(Role.CHIEF_EXECUTIVE)} UNION {deputies}"
    if action == Action.RETURN:
        return submitter
    if action == Action.APPROVE:
        return f"{with_role(Role.PUBLISHER)} UNION {submitter}"
    if action == Action.PUBLISH:
        same_item = (
            "l.analysis_id = %(item)s"
            if model is Analysis
            else "l.introduction_id = %(item)s"
            if model is ReportIntroduction
            else "l.result_report_id = %(item)s"
            if model is ResultReport
            else "l.measure_id = %(item)s AND l.result_report_id IS NULL"
        )
        return (
            f"SELECT l.actor_id FROM {quote(TransitionLog._meta.db_table)} l"
            f" WHERE {same_item} AND l.actor_id IS NOT NULL UNION {submitter}"
        )
    if model in (Analysis, ReportIntroduction):  # revise: the working group drafts it
        return with_role(Role.WORKING_GROUP)
    return (
        f"SELECT m.user_id FROM {membership} m"
        f" INNER JOIN {quote(Membership.divisions.through._meta.db_table)} md"
        " ON md.membership_id = m.id"
        f" INNER JOIN {quote(Measure.divisions.through._meta.db_table)} d"
        " ON d.division_id = md.division_id, it"
        " WHERE m.organization_id = it.org AND m.is_active"
        f" AND m.role = '{Role.DIVISION_HEAD.value}' AND d.measure_id = it.measure"
    )


_RECIPIENTS_SQL: dict = {}


def recipients_statement(model, pk: int, action: Action, actor) -> Statement:
    """The people a transition concerns, the actor left out, with what their entries need.

    Each row: user id, e-mail, e-mail choice, the item's label parts, and fresh ids for
    the inbox entry and the e-mail. Read in the same round trip as the item's lock.
    """
    key = (model, action, connection.vendor)
    if key not in _RECIPIENTS_SQL:
        users = get_user_model()._meta.db_table
        _RECIPIENTS_SQL[key] = (
            f"WITH it AS ({_item_context(model)})"
            f" SELECT u.id, u.email, COALESCE(p.email_mode, '{EmailMode.IMMEDIATE.value}'),"
            f" it.number, it.title, it.round, {next_id(Notification)}, {next_id(OutboxMessage)}"
            f" FROM {quote(users)} u"
            f" LEFT OUTER JOIN {quote(NotificationPreference._meta.db_table)} p"
            " ON p.user_id = u.id CROSS JOIN it"
            " WHERE u.is_active AND u.id <> %(actor)s"
            f" AND u.id IN ({_people_sql(model, action)}) ORDER BY u.id"
        )
    params = {
        "item": pk,
        "actor": getattr(actor, "pk", None) or 0,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    return Statement(_RECIPIENTS_SQL[key], params, rows=True, prepare=True)


def transition_notifications(
    *, log: TransitionLog, item: Measure | ResultReport, recipients: list[tuple]
) -> tuple[list[Statement], list[int]]:
    """Inbox entries and e-mails for a transition, as statements, and the e-mails' ids.

    `recipients` are the rows of `recipients_statement`; hand the ids to
    `outbox_dispatch_on_commit` once the statements ran.
    """
    if not recipients:
        return [], []
    action = Action(log.action)
    title, title_en = ACTION_TITLES[action]
    url = item_path(item)
    now = log.created_at
    notifications, messages = [], []
    kind = item_kind(item)
    for user_id, email, mode, number, measure_title, round_name, note_id, message_id in recipients:
        if kind == "analysis":
            label, label_en = analysis_label(number), analysis_label(number, english=True)
        elif kind == "introduction":
            label, label_en = introduction_label(number), introduction_label(number, english=True)
        else:
            label = _label(number, measure_title, round_name)
            label_en = _label(number, measure_title, round_name, english=True)
        draft = Draft(
            user_id=user_id,
            organization_id=log.organization_id,
            kind=NotificationKind.TRANSITION,
            action=action.value,
            title=f"{title}: {label}",
            title_en=f"{title_en}: {label_en}",
            body=label + (f"\nความเห็น / Comment: {log.comment}" if log.comment else ""),
            url=url,
            measure_id=log.measure_id,
            result_report_id=log.result_report_id,
            transition_log_id=log.pk,
            dedupe_key=f"transition:{log.pk}:{user_id}",
        )
        contact = Contact(user_id, email or "", mode)
        notifications.append(entry := _entry(draft, contact, now, note_id))
        if message := _email(entry, contact, now, message_id):
            messages.append(message)
    statements = [insert(notifications)] + ([insert(messages)] if messages else [])
    return statements, [m.id for m in messages]
