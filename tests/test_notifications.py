"""Who hears of a transition, what the inbox and outbox hold, and sending one message once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from approvals import delivery, selectors
from approvals.models import (
    DeliveryAttempt,
    DeliveryStatus,
    EmailMode,
    MailboxHealth,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Role,
)
from approvals.notifications import (
    notification_mark_all_read,
    notification_mark_read,
    preference_update,
)
from approvals.services import transition_perform
from tests import celery_harness
from tests.factories import (
    DelegationFactory,
    MeasureFactory,
    MembershipFactory,
    ResultReportFactory,
    UserFactory,
)
from workflow.models import Action

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """An organization with one person in each role and a drafted measure of one division."""
    measure = MeasureFactory()
    org = measure.organization

    def member(role, **kwargs):
        return MembershipFactory(organization=org, role=role, **kwargs).user

    people = {
        "head": member(Role.DIVISION_HEAD, divisions=[measure.divisions.get()]),
        "wg1": member(Role.WORKING_GROUP),
        "wg2": member(Role.WORKING_GROUP),
        "chief": member(Role.CHIEF_EXECUTIVE),
        "publisher": member(Role.PUBLISHER),
        "auditor": member(Role.AUDITOR),
    }
    people["deputy"] = DelegationFactory(organization=org, delegator=people["chief"]).deputy
    DelegationFactory(
        organization=org,
        delegator=people["chief"],
        starts_at=timezone.now() - dt.timedelta(days=10),
        ends_at=timezone.now() - dt.timedelta(days=5),
    )  # over: its deputy hears nothing
    return measure, people


def _recipients(log) -> set[str]:
    return set(
        Notification.objects.filter(transition_log=log).values_list("user__username", flat=True)
    )


def _names(people, *keys) -> set[str]:
    return {people[k].username for k in keys}


def test_notifications_enqueue_tells_the_next_people_in_line_at_each_step(
    team, django_capture_on_commit_callbacks
):
    measure, people = team

    # when / then: each transition reaches the next people in line, never the actor
    with django_capture_on_commit_callbacks() as callbacks:
        log = transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    assert _recipients(log) == _names(people, "wg1", "wg2")
    # the outbox ids go to Celery only after commit (the other callback counts the transition)
    assert [c.__qualname__.split(".")[0] for c in callbacks] == [
        "outbox_dispatch_on_commit",
        "transition_counted",
    ]

    log = transition_perform(item=measure, action=Action.REVIEW, actor=people["wg1"])
    assert _recipients(log) == _names(people, "chief", "deputy")

    log = transition_perform(
        item=measure, action=Action.RETURN, actor=people["chief"], comment="แก้ไขตัวชี้วัด"
    )
    assert _recipients(log) == _names(people, "head")
    assert "แก้ไขตัวชี้วัด" in Notification.objects.get(transition_log=log).body

    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    transition_perform(item=measure, action=Action.REVIEW, actor=people["wg2"])
    log = transition_perform(item=measure, action=Action.APPROVE, actor=people["deputy"])
    assert _recipients(log) == _names(people, "publisher", "head")

    log = transition_perform(item=measure, action=Action.PUBLISH, actor=people["publisher"])
    assert _recipients(log) == _names(people, "head", "wg1", "wg2", "chief", "deputy")

    log = transition_perform(item=measure, action=Action.REVISE, actor=people["wg1"])
    assert _recipients(log) == _names(people, "head")


def test_notifications_enqueue_writes_one_outbox_message_per_recipient_with_a_unique_key(team):
    # given
    measure, people = team

    # when
    log = transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])

    # then
    messages = OutboxMessage.objects.filter(transition_log=log).order_by("to_address")
    assert [m.to_address for m in messages] == sorted([people["wg1"].email, people["wg2"].email])
    assert {m.status for m in messages} == {DeliveryStatus.PENDING}
    assert {m.idempotency_key for m in messages} == {
        f"transition:{log.pk}:{people[k].pk}:email" for k in ("wg1", "wg2")
    }


def test_notifications_enqueue_follows_each_persons_email_choice(team):
    # given
    measure, people = team
    preference_update(user=people["wg1"], email_mode=EmailMode.DIGEST)
    preference_update(user=people["wg2"], email_mode=EmailMode.NONE)

    # when
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])

    # then the inbox fills for both, and nobody is e-mailed now
    assert Notification.objects.filter(user=people["wg1"], digest_pending=True).count() == 1
    assert Notification.objects.filter(user=people["wg2"], digest_pending=False).count() == 1
    assert OutboxMessage.objects.count() == 0


def test_notifications_enqueue_for_a_result_report_names_the_round_and_measure():
    # given
    report = ResultReportFactory()
    org = report.measure.organization
    head = MembershipFactory(
        organization=org, role=Role.DIVISION_HEAD, divisions=[report.measure.divisions.get()]
    ).user
    member = MembershipFactory(organization=org, role=Role.WORKING_GROUP).user

    # when
    transition_perform(item=report, action=Action.SUBMIT, actor=head)

    # then
    notification = Notification.objects.get(user=member)
    assert notification.result_report == report
    assert report.reporting_round.name in notification.title
    assert notification.url == f"/inbox/items/result-report/{report.pk}/"


def test_outbox_send_sends_once_even_when_asked_twice(team, settings):
    # given
    settings.SITE_URL = "https://khaothong.example.go.th"
    measure, people = team
    log = transition_perform(
        item=measure, action=Action.SUBMIT, actor=people["head"], comment="ขอส่งพิจารณา"
    )
    message = OutboxMessage.objects.filter(transition_log=log).first()

    # when the task is delivered twice
    first = delivery.outbox_send(message_id=message.pk)
    second = delivery.outbox_send(message_id=message.pk)

    # then one e-mail, Thai with English, with the link and the comment
    assert (first.outcome, second.outcome) == (delivery.Outcome.SENT, delivery.Outcome.SKIPPED)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [message.to_address]
    assert "ส่งมาให้คณะทำงานพิจารณา" in email.subject and "Submitted for review" in email.subject
    link = f"https://khaothong.example.go.th/inbox/items/measure/{measure.pk}/"
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert link in body
        assert "ขอส่งพิจารณา" in body
    assert email.extra_headers["X-Itaflow-Key"] == message.idempotency_key
    message.refresh_from_db()
    assert (message.status, message.attempts) == (DeliveryStatus.SENT, 1)
    assert message.sent_at is not None
    assert list(message.delivery_attempts.values_list("outcome", flat=True)) == ["sent"]


def test_outbox_send_takes_back_a_message_whose_worker_died(team, settings):
    # given a message claimed by a worker that died: its lease ran out
    measure, people = team
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    message = OutboxMessage.objects.first()
    assert delivery.outbox_claim([message.pk])[1] == [message]
    assert delivery.outbox_send(message_id=message.pk).outcome == delivery.Outcome.SKIPPED
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )

    # when
    result = delivery.outbox_send(message_id=message.pk)

    # then
    assert result.outcome == delivery.Outcome.SENT
    assert len(mail.outbox) == 1


def test_outbox_send_many_with_sweep_sends_what_else_is_pending_in_the_same_batch(team):
    # given two messages pending, a task for the first only
    measure, people = team
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    first, second = OutboxMessage.objects.order_by("pk")

    # when
    results = delivery.outbox_send_many(message_ids=[first.pk], sweep=True)

    # then both went out, and the second one's own task finds nothing left to do
    assert {pk: r.outcome for pk, r in results.items()} == {
        first.pk: delivery.Outcome.SENT,
        second.pk: delivery.Outcome.SENT,
    }
    assert len(mail.outbox) == 2
    assert delivery.outbox_send(message_id=second.pk).outcome == delivery.Outcome.SKIPPED
    assert DeliveryAttempt.objects.count() == 2


def test_outbox_send_many_hands_back_a_batch_that_outlives_half_its_lease(team, settings):
    # given a lease already half gone when sending would start
    settings.NOTIFY_SEND_LEASE_SECONDS = -1
    measure, people = team
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))

    # when
    results = delivery.outbox_send_many(message_ids=ids)

    # then nothing was tried: pending again, to be handed over at once
    assert {r.outcome for r in results.values()} == {delivery.Outcome.RETRY}
    assert len(mail.outbox) == 0
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.PENDING, 0)
    }
    assert not DeliveryAttempt.objects.exists()


@pytest.fixture
def refusing_smtp(settings):
    server = celery_harness.SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


def test_outbox_send_backs_off_on_temporary_refusals_then_gives_up(team, settings, refusing_smtp):
    # given
    settings.NOTIFY_RETRY_BASE_SECONDS = 10
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_MAILBOX_DISABLE_AFTER = 2
    refusing_smtp.handler.refuse = "451 4.7.1 Greylisted, try again later"
    measure, people = team
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    message = OutboxMessage.objects.order_by("pk").first()

    # when tried three times, each when due
    delays = []
    for _ in range(3):
        result = delivery.outbox_send(message_id=message.pk)
        delays.append(result.retry_in)
        assert delivery.outbox_send(message_id=message.pk).outcome == delivery.Outcome.SKIPPED
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())

    # then the waits double, and the third failure gives up
    assert delays == [10, 20, None]
    message.refresh_from_db()
    assert message.status == DeliveryStatus.GIVEN_UP
    assert list(message.delivery_attempts.values_list("outcome", "smtp_code")) == [
        ("failed", 451),
        ("failed", 451),
        ("given_up", 451),
    ]
    health = MailboxHealth.objects.get(address=message.to_address)
    assert (health.consecutive_failures, health.disabled_at) == (1, None)
    assert health in selectors.mailboxes_failing()


def test_a_failure_is_counted_against_its_address_once_even_if_the_worker_dies_recording_it(
    team, refusing_smtp, monkeypatch
):
    # given an address refused for good, and a worker that dies writing the outcome
    refusing_smtp.handler.refuse = "550 5.1.1 No such user"
    measure, people = team
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    message = OutboxMessage.objects.order_by("pk").first()

    def worker_killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(delivery, "_outcome_write", worker_killed)
    with pytest.raises(SystemExit):
        delivery.outbox_send(message_id=message.pk)
    assert not MailboxHealth.objects.filter(address=message.to_address.lower()).exists()

    # when the message is tried again once its lease ran out
    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )
    result = delivery.outbox_send(message_id=message.pk)

    # then its address counts one failure, with the one recorded outcome
    assert result.outcome == delivery.Outcome.GIVEN_UP
    health = MailboxHealth.objects.get(address=message.to_address.lower())
    assert (health.consecutive_failures, health.total_failures) == (1, 1)
    assert list(message.delivery_attempts.values_list("outcome", flat=True)) == ["given_up"]


def test_mailbox_is_disabled_after_repeated_failures_and_healed_by_a_success(settings):
    # given
    settings.NOTIFY_MAILBOX_DISABLE_AFTER = 2
    address = "Broken@Example.go.th"

    # when
    delivery.mailbox_failure_record(address=address, error="550 no such user")
    first = MailboxHealth.objects.get().disabled_at
    delivery.mailbox_failure_record(address=address, error="550 no such user")

    # then
    assert first is None
    assert delivery.mailbox_disabled(address)


def test_outbox_redispatch_hands_over_only_what_is_stale(team, settings):
    # given one message pending since long ago, one just written, one sent
    settings.NOTIFY_REDISPATCH_AFTER_SECONDS = 60
    measure, people = team
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    old, new = OutboxMessage.objects.order_by("pk")
    OutboxMessage.objects.filter(pk=old.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=5)
    )

    # when (in-process here: the worker tests run it through Redis)
    count = delivery.outbox_redispatch()

    # then only the stale one was handed over
    assert count == 1
    if settings.CELERY_TASK_ALWAYS_EAGER:
        old.refresh_from_db()
        new.refresh_from_db()
        assert (old.status, new.status) == (DeliveryStatus.SENT, DeliveryStatus.PENDING)


def test_inbox_selectors_and_services_mark_read(team):
    # given
    measure, people = team
    transition_perform(item=measure, action=Action.SUBMIT, actor=people["head"])
    transition_perform(item=measure, action=Action.WITHDRAW, actor=people["head"])
    member = people["wg1"]
    newest, oldest = selectors.inbox_for(member)

    # when
    notification_mark_read(notification_id=oldest.pk, user=member)

    # then
    assert selectors.unread_count(member) == 1
    assert list(selectors.inbox_for(member, unread_only=True)) == [newest]
    assert notification_mark_all_read(user=member) == 1
    assert selectors.unread_count(member) == 0
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(notification_id=newest.pk, user=people["wg2"])


def test_preference_update_keeps_its_history():
    # given
    user = UserFactory()

    # when
    preference_update(user=user, email_mode=EmailMode.DIGEST)
    preference_update(user=user, email_mode=EmailMode.DIGEST)

    # then
    preference = NotificationPreference.objects.get(user=user)
    assert preference.email_mode == EmailMode.DIGEST
    assert preference.history.count() == 1
    assert selectors.preference_for(UserFactory()).email_mode == EmailMode.IMMEDIATE
