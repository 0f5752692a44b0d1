"""Reminders and digests run daily by Celery beat; each is keyed per person, kind and day.

Running a task twice the same day writes nothing new: the inbox rows and the
outbox messages carry unique keys made of the person, the kind and the date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals.delivery import publisher
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
from approvals.notifications import Draft, item_label, item_path, notifications_write
from workflow import thai
from workflow.assessment_selectors import rounds_with_deadlines
from workflow.models import Measure, ReportingRound, ResultReport, State

OVERDUE_LOOKBACK_DAYS = 365


def _write_new(drafts: list[Draft]) -> int:
    """Write the drafts whose key is not there yet; returns how many were written."""
    keys = [d.dedupe_key for d in drafts]
    existing = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    fresh = [d for d in drafts if d.dedupe_key not in existing]
    if not fresh:
        return 0
    try:
        with transaction.atomic():
            notifications_write(fresh)
    except IntegrityError:  # another run of the same task got there first
        return 0
    return len(fresh)


def missing_reports(reporting_round: ReportingRound) -> dict[int, list[Measure]]:
    """For each division head, the measures of theirs with no submitted report for the round."""
    submitted = set(
        ResultReport.objects.filter(reporting_round=reporting_round)
        .exclude(state=State.DRAFTED)
        .values_list("measure_id", flat=True)
    )
    measures = [
        m
        for m in Measure.objects.filter(
            organization_id=reporting_round.organization_id,
            fiscal_year_id=reporting_round.fiscal_year_id,
        ).prefetch_related("divisions")
        if m.pk not in submitted
    ]
    heads = Membership.objects.filter(
        organization_id=reporting_round.organization_id,
        role=Role.DIVISION_HEAD,
        is_active=True,
        user__is_active=True,
    ).prefetch_related("divisions")
    missing: dict[int, list[Measure]] = defaultdict(list)
    for membership in heads:
        divisions = {d.pk for d in membership.divisions.all()}
        for measure in measures:
            mine = divisions & {d.pk for d in measure.divisions.all()}
            if mine and measure not in missing[membership.user_id]:
                missing[membership.user_id].append(measure)
    return missing


def _measure_lines(measures: list[Measure]) -> str:
    return "\n".join(
        f"- มาตรการข้อ {thai.to_thai_digits(m.number)} {m.title[:120]}" for m in measures
    )


def due_reminders_send(today: dt.date) -> int:
    """Division heads: results for a round not submitted N days before it is due."""
    days_before = sorted(set(settings.REMINDER_DAYS_BEFORE))
    rounds = rounds_with_deadlines([today + dt.timedelta(days=d) for d in days_before])
    drafts = []
    for reporting_round, deadline in rounds:
        days = (deadline.day - today).days
        due = thai.format_date(deadline.day)
        if deadline.oit_window:  # the NACC's OIT answering closes before the round is due
            title = f"ปิดรับการตอบแบบ OIT ของ ป.ป.ช. ({due}) ก่อนกำหนดส่ง{reporting_round.name}"
            title_en = (
                f"The NACC's OIT answering closes in {days} days ({deadline.day:%d %b %Y}),"
                f" before {reporting_round.name} is due"
            )
        else:
            title = f"ครบกำหนดส่งผลการดำเนินการ {reporting_round.name} ({due})"
            title_en = (
                f"Results for {reporting_round.name} are due in {days} days"
                f" ({deadline.day:%d %b %Y})"
            )
        for user_id, measures in missing_reports(reporting_round).items():
            drafts.append(
                Draft(
                    user_id=user_id,
                    organization_id=reporting_round.organization_id,
                    kind=NotificationKind.REMINDER,
                    action="due",
                    title=(
                        f"อีก {thai.to_thai_digits(days)} วัน {title}: ยังไม่ส่งผล"
                        f" {thai.to_thai_digits(len(measures))} มาตรการ"
                    ),
                    title_en=f"{title_en}: {len(measures)} measure(s) not submitted",
                    body=_measure_lines(measures),
                    dedupe_key=f"reminder:due:{reporting_round.pk}:{user_id}:{today}",
                )
            )
    return _write_new(drafts)


def overdue_digests_send(today: dt.date) -> int:
    """Division heads: one daily list of everything past its due date and not submitted."""
    rounds = ReportingRound.objects.filter(
        due_on__lt=today, due_on__gte=today - dt.timedelta(days=OVERDUE_LOOKBACK_DAYS)
    ).order_by("due_on")
    per_person: dict[tuple[int, int], list[str]] = defaultdict(list)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for reporting_round in rounds:
        due = thai.format_date(reporting_round.due_on)
        for user_id, measures in missing_reports(reporting_round).items():
            key = (reporting_round.organization_id, user_id)
            per_person[key].append(
                f"{reporting_round.name} (ครบกำหนด / due {due}):\n{_measure_lines(measures)}"
            )
            counts[key] += len(measures)
    drafts = [
        Draft(
            user_id=user_id,
            organization_id=org_id,
            kind=NotificationKind.REMINDER,
            action="overdue",
            title=(
                f"เกินกำหนดส่งผลการดำเนินการ {thai.to_thai_digits(counts[(org_id, user_id)])} มาตรการ"
            ),
            title_en=f"{counts[(org_id, user_id)]} result report(s) overdue",
            body="\n\n".join(lines),
            dedupe_key=f"reminder:overdue:{org_id}:{user_id}:{today}",
        )
        for (org_id, user_id), lines in per_person.items()
    ]
    return _write_new(drafts)


def _waiting_items(organization_id: int, state: State, before: dt.datetime) -> list:
    measures = Measure.objects.filter(
        organization_id=organization_id, state=state, updated_at__lte=before
    )
    reports = ResultReport.objects.filter(
        measure__organization_id=organization_id, state=state, updated_at__lte=before
    ).select_related("measure", "reporting_round")
    return [*measures, *reports]


def waiting_digests_send(today: dt.date) -> int:
    """Working group and chief executive: what has waited for them more than N days."""
    days = settings.WAITING_DIGEST_DAYS
    before = timezone.now() - dt.timedelta(days=days)
    waiting_for = {Role.WORKING_GROUP: State.SUBMITTED, Role.CHIEF_EXECUTIVE: State.REVIEWED}
    people: dict[tuple[int, Role], set[int]] = defaultdict(set)
    for org_id, user_id, role in Membership.objects.filter(
        role__in=list(waiting_for), is_active=True, user__is_active=True
    ).values_list("organization_id", "user_id", "role"):
        people[(org_id, Role(role))].add(user_id)
    for org_id, deputy_id in Delegation.objects.in_force().values_list(
        "organization_id", "deputy_id"
    ):
        people[(org_id, Role.CHIEF_EXECUTIVE)].add(deputy_id)

    per_person: dict[tuple[int, int], list] = defaultdict(list)
    for (org_id, role), user_ids in people.items():
        items = _waiting_items(org_id, waiting_for[role], before)
        for user_id in user_ids:
            per_person[(org_id, user_id)].extend(items)
    drafts = []
    for (org_id, user_id), items in per_person.items():
        if not items:
            continue
        drafts.append(
            Draft(
                user_id=user_id,
                organization_id=org_id,
                kind=NotificationKind.REMINDER,
                action="waiting",
                title=(
                    f"มี {thai.to_thai_digits(len(items))} รายการรอท่านดำเนินการเกิน "
                    f"{thai.to_thai_digits(days)} วัน"
                ),
                title_en=f"{len(items)} item(s) have waited for you more than {days} days",
                body="\n".join(f"- {item_label(item)}" for item in items),
                url=item_path(items[0]) if len(items) == 1 else "",
                dedupe_key=f"reminder:waiting:{org_id}:{user_id}:{today}",
            )
        )
    return _write_new(drafts)


def reminders_send(*, today: dt.date | None = None) -> int:
    """All daily reminders; returns how many inbox entries were written."""
    today = today or timezone.localdate()
    return due_reminders_send(today) + overdue_digests_send(today) + waiting_digests_send(today)


def digests_send(*, today: dt.date | None = None) -> int:
    """One e-mail per person who chose the daily digest, listing what waited for it."""
    today = today or timezone.localdate()
    user_ids = set(
        Notification.objects.filter(digest_pending=True).values_list("user_id", flat=True)
    )
    modes = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "email_mode"
        )
    )
    message_ids = []
    for user_id in sorted(user_ids):
        key = f"digest:{user_id}:{today}:email"
        with transaction.atomic():
            pending = Notification.objects.select_for_update().filter(
                user_id=user_id, digest_pending=True
            )
            ids = list(pending.order_by("created_at", "pk").values_list("pk", flat=True))
            if not ids or OutboxMessage.objects.filter(idempotency_key=key).exists():
                continue
            Notification.objects.filter(pk__in=ids).update(digest_pending=False)
            if modes.get(user_id, EmailMode.IMMEDIATE) == EmailMode.NONE:
                continue
            first = Notification.objects.select_related("user").get(pk=ids[0])
            if not first.user.email:
                continue
            message = OutboxMessage.objects.create(
                idempotency_key=key,
                kind=NotificationKind.DIGEST,
                organization_id=first.organization_id,
                recipient_id=user_id,
                to_address=first.user.email,
                payload={"notification_ids": ids},
            )
            message_ids.append(message.pk)
    if message_ids:
        transaction.on_commit(lambda: publisher.submit(message_ids), robust=True)
    return len(message_ids)
