"""Notifications end to end: a real Celery worker process, a real Redis, a real SMTP server.

Not eager: the test commits a transition in the test database, the worker process
(which uses the same database) picks the outbox ids from Redis and sends through SMTP.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time

import pytest
from django.db import connection

from approvals import delivery
from approvals.models import DeliveryAttempt, DeliveryStatus, MailboxHealth, OutboxMessage, Role
from approvals.notifications import item_path
from approvals.services import transition_perform
from approvals.tasks import outbox_redispatch
from tests import celery_harness
from tests.celery_harness import wait_for
from tests.factories import DelegationFactory, MeasureFactory, MembershipFactory, UserFactory
from workflow.models import Action

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_SETTINGS = {
    "NOTIFY_RETRY_BASE_SECONDS": "0.5",
    "NOTIFY_MAX_ATTEMPTS": "3",
    "NOTIFY_SEND_LEASE_SECONDS": "3",
    "NOTIFY_REDISPATCH_AFTER_SECONDS": "1",
    "NOTIFY_MAILBOX_DISABLE_AFTER": "1",
    # A task taken by a worker that is killed comes back after 4 s, checked every second.
    "CELERY_VISIBILITY_TIMEOUT": "4",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    "CELERY_SOCKET_CONNECT_TIMEOUT": "1",
}


class Stack:
    def __init__(self, redis, smtp, worker):
        self.redis, self.smtp, self.worker = redis, smtp, worker

    def ensure(self) -> None:
        if not self.redis.ping():
            self.redis.start()
        if not self.worker.running:
            self.worker.start()


@pytest.fixture(scope="module")
def celery_stack(django_db_setup, django_db_blocker):
    """redis-server + aiosmtpd + `celery -A config worker`, for this module's tests.

    Stopped when the module ends, so no worker holds the test database while later
    tests flush it (a worker query during the flush's TRUNCATE can deadlock it).
    """
    log_dir = tempfile.mkdtemp(prefix="itaflow-worker-")
    redis_server = celery_harness.RedisServer()
    smtp = celery_harness.SmtpServer()
    redis_server.start()
    smtp.start()
    with django_db_blocker.unblock():
        db_url = celery_harness.database_url(connection.settings_dict)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "NOTIFY_", "PYTEST_"))
    }
    env.update(
        WORKER_SETTINGS,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=db_url,
        REDIS_URL=redis_server.url,
        EMAIL_URL=smtp.url,
        SITE_URL="https://itaflow.example.go.th",
        LOG_LEVEL="WARNING",
    )
    worker = celery_harness.CeleryWorker(env, log_dir)
    worker.start()
    celery_harness.point_celery_at(redis_server.url)
    stack = Stack(redis_server, smtp, worker)
    try:
        yield stack
    finally:
        celery_harness.point_celery_at(None)
        worker.stop()
        smtp.stop()
        redis_server.close()


@pytest.fixture
def stack(celery_stack, settings):
    for name, value in WORKER_SETTINGS.items():
        if name.startswith("NOTIFY_"):
            setattr(settings, name, float(value) if "." in value else int(value))
    settings.SITE_URL = "https://itaflow.example.go.th"
    celery_stack.ensure()
    celery_stack.redis.client().flushdb()
    celery_stack.smtp.handler.reset()
    yield celery_stack
    # Let nothing of this test run on into the next one.
    celery_stack.smtp.handler.release.set()
    celery_stack.ensure()
    wait_for(
        lambda: (
            not OutboxMessage.objects.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
            ).exists()
        ),
        timeout=30,
        message="the worker to settle",
    )


def _settled(stack, expected: int, *, quiet: float = 0.6) -> list[str]:
    """Wait until the SMTP server holds `expected` messages and nothing more arrives."""
    wait_for(
        lambda: len(stack.smtp.handler.keys()) >= expected,
        timeout=30,
        message=f"{expected} e-mails (worker log:\n{stack.worker.log_tail()})",
    )
    time.sleep(quiet)
    return stack.smtp.handler.keys()


def _submitted_measure(*, working_group: int = 2):
    measure = MeasureFactory()
    org = measure.organization
    head = MembershipFactory(
        organization=org, role=Role.DIVISION_HEAD, divisions=[measure.divisions.get()]
    ).user
    members = [
        MembershipFactory(organization=org, role=Role.WORKING_GROUP).user
        for _ in range(working_group)
    ]
    return measure, head, members


def test_transition_sends_exactly_the_expected_emails_and_inbox_entries(stack):
    # given
    measure, head, members = _submitted_measure(working_group=2)
    org = measure.organization
    chief = MembershipFactory(organization=org, role=Role.CHIEF_EXECUTIVE).user
    deputy = DelegationFactory(organization=org, delegator=chief).deputy
    UserFactory(username="bystander")  # in no role: hears nothing

    # when
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    keys = _settled(stack, 2)

    # then
    received = stack.smtp.handler.received
    assert sorted(r.to[0] for r in received) == sorted(m.email for m in members)
    assert len(set(keys)) == 2
    assert OutboxMessage.objects.filter(status=DeliveryStatus.SENT).count() == 2
    message = received[0].message
    assert "ส่งมาให้คณะทำงานพิจารณา" in message["Subject"]
    assert "Submitted for review" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"https://itaflow.example.go.th{item_path(measure)}"
    assert item_path(measure) == f"/inbox/items/measure/{measure.pk}/"
    assert link in text
    assert link in html
    for member in members:
        assert member.notifications.count() == 1
    assert head.notifications.count() == 0

    # when the working group reviews, with a comment
    stack.smtp.handler.reset()
    transition_perform(
        item=measure, action=Action.REVIEW, actor=members[0], comment="ครบถ้วน เห็นควรอนุมัติ"
    )
    _settled(stack, 2)

    # then the chief executive and the deputy in force hear of it, with the comment
    received = stack.smtp.handler.received
    assert sorted(r.to[0] for r in received) == sorted([chief.email, deputy.email])
    for r in received:
        assert "ครบถ้วน เห็นควรอนุมัติ" in r.message.get_body(("plain",)).get_content()
        assert "ครบถ้วน เห็นควรอนุมัติ" in r.message.get_body(("html",)).get_content()
    wait_for(lambda: DeliveryAttempt.objects.filter(outcome=DeliveryStatus.SENT).count() == 4)


def test_redis_down_during_transition_delivers_exactly_once_when_it_is_back(stack):
    # given
    measure, head, _ = _submitted_measure(working_group=1)
    stack.redis.stop()

    # when the transition happens while the broker is down
    started = time.monotonic()
    log = transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    elapsed = time.monotonic() - started

    # then it succeeds, and the message waits in the outbox
    assert log.pk
    assert elapsed < 10
    message = OutboxMessage.objects.get()
    assert message.status == DeliveryStatus.PENDING
    assert stack.smtp.handler.keys() == []

    # when Redis is back and the periodic re-dispatch runs (twice, as beat would)
    stack.redis.start()
    time.sleep(1.1)  # older than NOTIFY_REDISPATCH_AFTER_SECONDS
    wait_for(_publishes(outbox_redispatch), timeout=30, message="the broker to take tasks")
    keys = _settled(stack, 1)
    outbox_redispatch.delay()
    time.sleep(1.0)

    # then it was delivered exactly once
    assert stack.smtp.handler.keys() == keys == [message.idempotency_key]
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.delivery_attempts.count() == 1


def _publishes(task):
    def attempt() -> bool:
        try:
            task.apply_async(retry=False)
        except Exception:  # the broker is not reachable yet
            return False
        return True

    return attempt


def test_worker_killed_while_sending_delivers_exactly_once_after_restart(stack):
    # given a slow mail server
    measure, head, _ = _submitted_measure(working_group=1)
    stack.smtp.handler.hold = True

    # when the worker dies in the middle of handing the message over
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    wait_for(stack.smtp.handler.holding.is_set, timeout=30, message="the worker to be sending")
    stack.worker.kill()
    message = OutboxMessage.objects.get()
    assert message.status == DeliveryStatus.SENDING
    stack.smtp.handler.hold = False
    stack.smtp.handler.release.set()
    assert stack.smtp.handler.keys() == []

    # and is started again (the task was not acknowledged: Redis gives it back)
    stack.worker.start()
    keys = _settled(stack, 1, quiet=1.5)

    # then the message went out exactly once
    assert keys == [message.idempotency_key]
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.attempts == 2
    assert list(message.delivery_attempts.values_list("outcome", flat=True)) == ["sent"]


def _wait_given_up(message: OutboxMessage) -> None:
    # The attempt row is written last: once it is there the outcome is complete.
    wait_for(
        lambda: (
            OutboxMessage.objects.filter(pk=message.pk, status=DeliveryStatus.GIVEN_UP)
            and message.delivery_attempts.filter(outcome=DeliveryStatus.GIVEN_UP).exists()
        ),
        timeout=30,
        message=f"message {message.pk} to be given up",
    )


def test_smtp_refusing_temporarily_is_retried_with_backoff_then_given_up(stack):
    # given a mail server that says "try again later"
    measure, head, (member,) = _submitted_measure(working_group=1)
    stack.smtp.handler.refuse = "451 4.3.0 Mailbox busy, try again later"

    # when
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # then it is tried 3 times, further and further apart, then given up
    message = OutboxMessage.objects.get()
    _wait_given_up(message)
    attempts = list(message.delivery_attempts.order_by("number"))
    assert [a.outcome for a in attempts] == ["failed", "failed", "given_up"]
    assert [a.smtp_code for a in attempts] == [451, 451, 451]
    gaps = [
        (later.started_at - earlier.finished_at).total_seconds()
        for earlier, later in itertools.pairwise(attempts)
    ]
    assert gaps[0] >= 0.5
    assert gaps[1] >= 1.0
    assert stack.smtp.handler.keys() == []
    health = MailboxHealth.objects.get(address=member.email)
    assert health.consecutive_failures == 1
    assert health.disabled_at is not None  # NOTIFY_MAILBOX_DISABLE_AFTER=1 here
    assert "451" in health.last_error


def test_smtp_refusing_permanently_is_given_up_at_once_and_the_address_marked(stack):
    # given a mail server that says the mailbox does not exist
    measure, head, (member,) = _submitted_measure(working_group=1)
    stack.smtp.handler.refuse = "550 5.1.1 No such mailbox"

    # when
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # then
    message = OutboxMessage.objects.get()
    _wait_given_up(message)
    assert list(message.delivery_attempts.values_list("smtp_code", flat=True)) == [550]
    assert MailboxHealth.objects.get(address=member.email).disabled_at is not None

    # and a later message to that address is not tried at all
    stack.smtp.handler.refuse = None
    transition_perform(item=measure, action=Action.WITHDRAW, actor=head)
    later = OutboxMessage.objects.exclude(pk=message.pk).get()
    _wait_given_up(later)
    assert later.delivery_attempts.get().error == "mailbox disabled"
    assert stack.smtp.handler.keys() == []
    assert delivery.mailbox_disabled(member.email)


def test_worker_survives_five_redis_restarts_with_emails_pending(stack):
    # given a running worker and a slow mail server, so that e-mails are in flight
    worker_pid = stack.worker.process.pid
    keys_expected: list[str] = []
    stack.smtp.handler.hold = True

    for _ in range(5):
        # when transitions leave e-mails pending and Redis restarts under the worker
        measure, head, _ = _submitted_measure(working_group=2)
        transition_perform(item=measure, action=Action.SUBMIT, actor=head)
        wait_for(stack.smtp.handler.holding.is_set, timeout=30, message="a message in flight")
        stack.redis.stop()
        stack.smtp.handler.release.set()
        time.sleep(float(os.environ.get("ITAFLOW_TEST_REDIS_DOWN_SECONDS", "2")))
        stack.redis.start()
        stack.smtp.handler.holding.clear()
        stack.smtp.handler.release.clear()

        # then the worker has not exited
        assert stack.worker.running, stack.worker.log_tail()
        assert stack.worker.process.pid == worker_pid

    # when the mail server is fast again and the periodic re-dispatch runs, as beat would
    stack.smtp.handler.hold = False
    stack.smtp.handler.release.set()
    keys_expected = list(OutboxMessage.objects.values_list("idempotency_key", flat=True))
    assert len(keys_expected) == 10
    time.sleep(1.1)  # older than NOTIFY_REDISPATCH_AFTER_SECONDS
    wait_for(_publishes(outbox_redispatch), timeout=30, message="the broker to take tasks")
    wait_for(
        lambda: (
            outbox_redispatch.delay()
            and not OutboxMessage.objects.exclude(status=DeliveryStatus.SENT).exists()
        ),
        timeout=60,
        interval=1.0,
        message=f"every e-mail sent (worker log:\n{stack.worker.log_tail()})",
    )

    # then every e-mail was delivered, the same worker process throughout
    received = stack.smtp.handler.keys()
    assert set(received) == set(keys_expected)
    duplicates = len(received) - len(set(received))
    print(f"redis restarts: 5, e-mails: {len(keys_expected)}, duplicates: {duplicates}")
    assert stack.worker.running, stack.worker.log_tail()
    assert stack.worker.process.pid == worker_pid
    assert "Unrecoverable error" not in stack.worker.log_tail(200_000)


def test_a_crash_between_the_servers_acceptance_and_the_record_sends_one_copy_more(stack):
    # given a mail server that keeps the message, then the worker dies before hearing "250":
    # the one window in which a message can go out twice (the outcome is written right after)
    measure, head, _ = _submitted_measure(working_group=1)
    stack.smtp.handler.on_accept = stack.worker.kill

    # when the worker is started again and the message comes back to it
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    wait_for(lambda: len(stack.smtp.handler.keys()) == 1, timeout=30, message="the first copy")
    wait_for(lambda: not stack.worker.running, timeout=10, message="the worker to die")
    stack.worker.start()
    keys = _settled(stack, 2, quiet=1.5)

    # then the receiver got exactly one copy more, with the same Message-ID to drop it by
    message = OutboxMessage.objects.get()
    assert keys == [message.idempotency_key] * 2
    first, second = (r.message for r in stack.smtp.handler.received)
    assert first["Message-ID"] == second["Message-ID"]
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    print("duplicates per crash in the acceptance window: 1, same Message-ID")
