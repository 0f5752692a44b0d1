"""Reminders before a round is due, overdue and waiting digests, daily e-mail digests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from approvals import delivery, reminders
from approvals.models import EmailMode, Notification, NotificationKind, OutboxMessage, Role
from approvals.notifications import preference_update
from approvals.services import transition_perform
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    MembershipFactory,
    ReportingRoundFactory,
    ResultReportFactory,
)
from workflow.models import Action, Measure

pytestmark = pytest.mark.django_db

DUE = dt.date(2021, 10, 31)


@pytest.fixture
def plan(organization):
    """Two divisions, a measure each, a 12-month round due on 31 Oct 2021; one report submitted."""
    finance, works = (DivisionFactory(organization=organization) for _ in range(2))
    reporting_round = ReportingRoundFactory(organization=organization, due_on=DUE)
    m_finance = MeasureFactory(organization=organization, divisions=[finance])
    m_works = MeasureFactory(organization=organization, divisions=[works])
    head_finance = MembershipFactory(
        organization=organization, role=Role.DIVISION_HEAD, divisions=[finance]
    ).user
    head_works = MembershipFactory(
        organization=organization, role=Role.DIVISION_HEAD, divisions=[works]
    ).user
    done = ResultReportFactory(measure=m_works, reporting_round=reporting_round)
    transition_perform(item=done, action=Action.SUBMIT, actor=head_works)
    return {
        "round": reporting_round,
        "m_finance": m_finance,
        "head_finance": head_finance,
        "head_works": head_works,
    }


def test_reminders_send_reminds_heads_with_reports_missing_days_before_due(plan, settings):
    # given
    settings.REMINDER_DAYS_BEFORE = [14, 7, 1]
    seven_days_before = DUE - dt.timedelta(days=7)

    # when
    written = reminders.reminders_send(today=seven_days_before)
    again = reminders.reminders_send(today=seven_days_before)

    # then only the head whose report is missing is reminded, once a day
    reminder = Notification.objects.get(kind=NotificationKind.REMINDER)
    assert (written, again) == (1, 0)
    assert reminder.user == plan["head_finance"]
    assert "อีก ๗ วัน" in reminder.title
    assert "due in 7 days" in reminder.title_en
    assert plan["m_finance"].title in reminder.body
    message = OutboxMessage.objects.get(notification=reminder)
    assert message.idempotency_key == (
        f"reminder:due:{plan['round'].pk}:{plan['head_finance'].pk}:{seven_days_before}:email"
    )
    assert reminders.reminders_send(today=DUE - dt.timedelta(days=6)) == 0


def test_reminders_send_sends_a_daily_overdue_digest_after_the_due_date(plan):
    # when
    first_day = reminders.reminders_send(today=DUE + dt.timedelta(days=1))
    second_day = reminders.reminders_send(today=DUE + dt.timedelta(days=2))

    # then
    overdue = Notification.objects.filter(action="overdue").order_by("created_at")
    assert (first_day, second_day) == (1, 1)
    assert [n.user for n in overdue] == [plan["head_finance"]] * 2
    assert "เกินกำหนด" in overdue[0].title
    assert plan["round"].name in overdue[0].body


def test_reminders_send_tells_working_group_and_chief_what_waited_too_long(organization):
    # given one measure submitted and one reviewed, both four days ago
    settings_days = django_settings.WAITING_DIGEST_DAYS
    member = MembershipFactory(organization=organization, role=Role.WORKING_GROUP).user
    chief = MembershipFactory(organization=organization, role=Role.CHIEF_EXECUTIVE).user
    submitted, reviewed = (
        MeasureFactory(organization=organization),
        MeasureFactory(organization=organization),
    )
    long_ago = timezone.now() - dt.timedelta(days=settings_days + 1)
    Measure.objects.filter(pk=submitted.pk).update(state="submitted", updated_at=long_ago)
    Measure.objects.filter(pk=reviewed.pk).update(state="reviewed", updated_at=long_ago)
    fresh = MeasureFactory(organization=organization)
    Measure.objects.filter(pk=fresh.pk).update(state="submitted")

    # when
    reminders.reminders_send(today=timezone.localdate())

    # then
    waiting = {n.user: n for n in Notification.objects.filter(action="waiting")}
    assert set(waiting) == {member, chief}
    assert submitted.title[:50] in waiting[member].body
    assert fresh.title not in waiting[member].body
    assert reviewed.title[:50] in waiting[chief].body
    assert waiting[chief].url == f"/inbox/items/measure/{reviewed.pk}/"


def test_digests_send_mails_one_digest_per_person_per_day(plan):
    # given a head who chose the daily digest, with two entries waiting
    head = plan["head_finance"]
    preference_update(user=head, email_mode=EmailMode.DIGEST)
    reminders.reminders_send(today=DUE - dt.timedelta(days=7))
    reminders.reminders_send(today=DUE + dt.timedelta(days=1))
    assert OutboxMessage.objects.filter(recipient=head).count() == 0

    # when
    sent = reminders.digests_send(today=DUE + dt.timedelta(days=1))
    again = reminders.digests_send(today=DUE + dt.timedelta(days=1))

    # then
    digest = OutboxMessage.objects.get(recipient=head)
    assert (sent, again) == (1, 0)
    assert digest.kind == NotificationKind.DIGEST
    assert len(digest.payload["notification_ids"]) == 2
    assert not Notification.objects.filter(user=head, digest_pending=True).exists()
    email = delivery.email_render(digest)
    assert "Daily digest (2)" in email.subject
    assert "อีก ๗ วัน" in email.body and "เกินกำหนด" in email.body


def test_beat_schedule_runs_redispatch_reminders_and_digests():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks >= {
        "approvals.tasks.outbox_redispatch",
        "approvals.tasks.reminders_send",
        "approvals.tasks.digests_send",
    }
