"""Handing outbox messages to the mail server, each exactly once as far as SMTP allows.

A worker first claims a message (compare-and-set on its status, committed), then
sends it, then records the outcome with the claim token it holds. A redelivered
task finds the message claimed or sent and does nothing; a message whose worker
died is taken back once its claim lease has run out. The one window left is
between the server's "250 OK" and the commit of "sent": the Message-ID is derived
from the idempotency key, so a receiving server can still tell a repeat.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import queue
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation

from approvals.models import (
    DeliveryAttempt,
    DeliveryStatus,
    MailboxHealth,
    Notification,
    NotificationKind,
    OutboxMessage,
)
from config import metrics
from config.observability import REQUEST_IDS_HEADER, request_id_var
from workflow import wording

logger = logging.getLogger(__name__)

# Publishing to a broker that is down must not hold up the request for long:
# the message is in the outbox and the re-dispatcher hands it over later.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    GIVEN_UP = "given_up"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_in: float | None = None


def outbox_dispatch(
    message_ids: list[int], *, countdown: float | None = None, request_ids: tuple[str, ...] = ()
) -> bool:
    """Hand message ids to Celery; False (and the messages stay pending) when the broker is down.

    `request_ids` name the requests whose e-mails these are, for the task's log line.
    """
    from approvals.tasks import outbox_deliver

    try:
        outbox_deliver.apply_async(
            (list(message_ids),),
            countdown=countdown,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
            headers={REQUEST_IDS_HEADER: ",".join(request_ids)} if request_ids else None,
        )
    except Exception as exc:  # any broker failure: the outbox keeps the messages
        logger.warning("outbox: could not hand %s to the broker: %s", message_ids, exc)
        return False
    return True


class Publisher:
    """Hands committed outbox ids to Celery from a thread of its own.

    A request only puts the ids on a queue after its commit; the thread publishes
    whatever has gathered as one task, so a busy process publishes in batches and
    no request waits for the broker. Ids lost with the process (or a broker that is
    down) stay pending in the outbox, where `outbox_redispatch` finds them.
    """

    max_batch = 100

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[tuple[list[int], str]] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, message_ids: list[int]) -> None:
        if current_app.conf.task_always_eager:
            outbox_dispatch(message_ids)  # the embedded default: sent in-process, now
            return
        self._ensure_thread()
        self._queue.put((list(message_ids), request_id_var.get()))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted was handed over (or failed to be)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid() and self._thread and self._thread.is_alive():
            return
        with self._lock:
            if self._pid != os.getpid():  # a forked child starts afresh
                self._queue = queue.Queue()
            if self._pid != os.getpid() or not (self._thread and self._thread.is_alive()):
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="outbox-publisher", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        work = self._queue
        while True:
            batches = [work.get()]
            # Linger a moment for the commits right behind this one, asleep (not woken by
            # each of them): a busy process then publishes one task per handful of
            # transitions, and its requests rarely wait for this thread to give the GIL back.
            time.sleep(settings.NOTIFY_PUBLISH_LINGER_SECONDS)
            while sum(len(ids) for ids, _ in batches) < self.max_batch:
                try:
                    batches.append(work.get_nowait())
                except queue.Empty:
                    break
            try:
                outbox_dispatch(
                    [pk for ids, _ in batches for pk in ids],
                    request_ids=tuple(dict.fromkeys(r for _, r in batches if r)),
                )
            finally:
                for _ in batches:
                    work.task_done()


publisher = Publisher()
atexit.register(publisher.flush, 2.0)


def retry_delay(attempt: int) -> float:
    """Exponential backoff: base, 2×base, 4×base … capped."""
    delay = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    return min(delay, settings.NOTIFY_RETRY_MAX_SECONDS)


CLAIM_CHUNK = 20
# What sending reads: the message, its inbox entry, the transition, who acted, to whom.
MESSAGE_FIELDS = (
    "id", "idempotency_key", "kind", "to_address", "attempts", "payload", "subject",
    "recipient__username", "recipient__first_name", "recipient__last_name",
    "notification__title", "notification__title_en", "notification__url",
    "notification__transition_log__comment", "notification__transition_log__created_at",
    "notification__transition_log__system_actor",
    "notification__transition_log__actor__username",
    "notification__transition_log__actor__first_name",
    "notification__transition_log__actor__last_name",
)  # fmt: skip


def _claim_rows(message_ids: list[int], token: str, now, sweep: int) -> list[int]:
    """Compare-and-set the due messages to "sending" under `token`; returns their ids.

    One statement (UPDATE … RETURNING, PostgreSQL and SQLite ≥ 3.35). With `sweep`, up
    to that many other pending messages are taken too: a worker that fell behind sends
    what waits in one batch, and their own tasks then find them sent.
    """
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    lease = now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)
    marks = ", ".join(["%s"] * len(message_ids))
    wanted = f"id IN ({marks})" if message_ids else "FALSE"
    params: list = [DeliveryStatus.SENDING, token, adapt(lease), *message_ids]
    if sweep:
        skip_locked = (
            " FOR UPDATE SKIP LOCKED"
            if connection.features.has_select_for_update_skip_locked
            else ""
        )
        wanted += (
            f" OR id IN (SELECT id FROM {table} WHERE status = %s AND next_attempt_at <= %s"
            f" ORDER BY id LIMIT %s{skip_locked})"
        )
        params += [DeliveryStatus.PENDING, adapt(now), sweep]
    # The status test is repeated outside the subquery: it is the compare-and-set.
    params += [DeliveryStatus.PENDING, DeliveryStatus.FAILED, adapt(now)]
    params += [DeliveryStatus.SENDING, adapt(now)]
    sql = (
        f"UPDATE {table} SET status = %s, claim_token = %s, claimed_until = %s,"
        f" attempts = attempts + 1 WHERE ({wanted}) AND ("
        "(status IN (%s, %s) AND next_attempt_at <= %s) OR (status = %s AND claimed_until < %s)"
        ") RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def outbox_claim(message_ids: list[int], *, sweep: int = 0) -> tuple[str, list[OutboxMessage]]:
    """Take the messages that are due for sending; the token proves the claim.

    Returns the token and the messages now held by it (none: sent, being sent
    by another worker, or not due yet), each with its address's health.
    Two statements: the claim, then what sending reads.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    claimed = _claim_rows(list(message_ids), token, now, sweep)
    if not claimed:
        return token, []
    health = MailboxHealth.objects.filter(address=Lower(OuterRef("to_address")))
    messages = list(
        OutboxMessage.objects.filter(pk__in=claimed)
        .select_related("notification__transition_log__actor", "recipient")
        .only(*MESSAGE_FIELDS)
        .annotate(
            mailbox_failures=Coalesce(Subquery(health.values("consecutive_failures")[:1]), 0),
            mailbox_disabled_at=Subquery(health.values("disabled_at")[:1]),
        )
        .order_by("pk")
    )
    for message in messages:
        message.mailbox_disabled = message.mailbox_disabled_at is not None
    return token, messages


def smtp_code_of(exc: BaseException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return max(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def message_id_for(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@itaflow>"


def _invitation_context(message: OutboxMessage, site_url: str) -> dict:
    """The set-password link, made now: a token is never stored in the outbox."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from approvals.models import Position, Role

    user = message.recipient
    base = (message.payload.get("site_url") or site_url).rstrip("/")
    link = base + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    role = message.payload.get("role", "")
    labels = {}
    for language in ("th", "en"):
        with translation.override(language):
            labels[language] = str(Role(role).label) if role in Role.values else ""
    position = (
        Position.objects.filter(user=user, organization_id=message.organization_id)
        .values_list("title", flat=True)
        .first()
    )
    return {
        "message": message, "organization": message.organization, "link": link,
        "site_url": base, "role_th": labels["th"], "role_en": labels["en"],
        "position": position or "",
    }  # fmt: skip


def email_render(message: OutboxMessage) -> EmailMultiAlternatives:
    """The e-mail for an outbox row, Thai first with English, as text and HTML."""
    site_url = settings.SITE_URL.rstrip("/")
    if message.kind == NotificationKind.DIGEST:
        ids = message.payload.get("notification_ids", [])
        entries = list(Notification.objects.filter(pk__in=ids).order_by("created_at", "pk"))
        template = "approvals/email/digest"
        subject = f"สรุปการแจ้งเตือนประจำวัน / Daily digest ({len(entries)})"
        context = {"entries": entries, "site_url": site_url, "message": message}
    elif message.kind == NotificationKind.INVITATION:
        template = "approvals/email/invitation"
        context = _invitation_context(message, site_url)
        subject = f"คำเชิญเข้าใช้ระบบ itaflow / Invitation: {message.organization.name}"
    else:
        notification = message.notification
        log = notification.transition_log
        template = "approvals/email/notification"
        subject = f"{notification.title} / {notification.title_en}"
        context = {
            "notification": notification,
            "log": log,
            "link": f"{site_url}{notification.url}" if notification.url else site_url,
            "site_url": site_url,
            "message": message,
        }
    with translation.override("th"):
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    subject = wording.words_shorten(subject, 250)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={
            "Message-ID": message_id_for(message.idempotency_key),
            "X-Itaflow-Key": message.idempotency_key,
        },
    )
    email.attach_alternative(html, "text/html")
    return email


def _record(
    *,
    message: OutboxMessage,
    token: str,
    started_at,
    outcome: DeliveryStatus,
    error: str = "",
    smtp_code: int | None = None,
    retry_in: float | None = None,
    worker: str = "",
) -> None:
    now = timezone.now()
    fields: dict = {"status": outcome, "claimed_until": None, "last_error": error[:2000]}
    if outcome == DeliveryStatus.SENT:
        fields.update(sent_at=now, subject=message.subject)
    elif outcome == DeliveryStatus.FAILED:
        fields["next_attempt_at"] = now + timedelta(seconds=retry_in or 0)
    else:
        fields["given_up_at"] = now
    attempt = {
        "message_id": message.pk,
        "number": message.attempts,
        "started_at": started_at,
        "finished_at": now,
        "outcome": outcome,
        "smtp_code": smtp_code,
        "error": error[:2000],
        "worker": worker[:200],
    }
    if not _mailbox_affected(message, outcome):
        _outcome_write(message.pk, token, fields, attempt)
    else:
        # The address's count and the outcome in one transaction: a worker dying between
        # them would otherwise count the failure again when the message is tried after its lease.
        with transaction.atomic():
            _mailbox_note(message, outcome, error, now)
            _outcome_write(message.pk, token, fields, attempt)
    metrics.delivery_counted(outcome=outcome)


def _mailbox_affected(message: OutboxMessage, outcome: DeliveryStatus) -> bool:
    return outcome == DeliveryStatus.GIVEN_UP or (
        outcome == DeliveryStatus.SENT and bool(getattr(message, "mailbox_failures", 0))
    )


def _mailbox_note(message: OutboxMessage, outcome: DeliveryStatus, error: str, now) -> None:
    """A message given up counts against its address; one sent heals it."""
    if outcome == DeliveryStatus.GIVEN_UP:
        mailbox_failure_record(address=message.to_address, error=error)
    elif outcome == DeliveryStatus.SENT:
        MailboxHealth.objects.filter(address=message.to_address.lower()).update(
            consecutive_failures=0, last_sent_at=now
        )


def _outcome_write(pk: int, token: str, fields: dict, attempt: dict) -> None:
    """The message's outcome and its attempt row.

    The attempt is recorded even when the claim was lost meanwhile (it was tried).
    On PostgreSQL both go in one statement (one round trip, both or neither). On SQLite
    the status goes first, on its own: it is what keeps a sent message from being sent
    again; a crash right after it loses only the attempt row.
    """
    if connection.vendor != "postgresql":
        OutboxMessage.objects.filter(pk=pk, claim_token=token).update(**fields)
        DeliveryAttempt.objects.create(**attempt)
        return
    quote = connection.ops.quote_name
    outbox, attempts = OutboxMessage._meta.db_table, DeliveryAttempt._meta.db_table
    assignments = ", ".join(f"{quote(name)} = %s" for name in fields)
    columns = ", ".join(quote(name) for name in attempt)
    sql = (
        f"WITH outcome AS (UPDATE {quote(outbox)} SET {assignments}"
        " WHERE id = %s AND claim_token = %s RETURNING id)"
        f" INSERT INTO {quote(attempts)} ({columns})"
        f" VALUES ({', '.join(['%s'] * len(attempt))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fields.values(), pk, token, *attempt.values()])


def mailbox_failure_record(*, address: str, error: str) -> MailboxHealth:
    """Count a message given up on an address; past the limit the address is disabled."""
    with transaction.atomic():
        health, _ = MailboxHealth.objects.select_for_update().get_or_create(address=address.lower())
        health.consecutive_failures += 1
        health.total_failures += 1
        health.last_error = error[:2000]
        health.last_failed_at = timezone.now()
        if (
            health.disabled_at is None
            and health.consecutive_failures >= settings.NOTIFY_MAILBOX_DISABLE_AFTER
        ):
            health.disabled_at = health.last_failed_at
        health.save()
    return health


def mailbox_enable(*, health: MailboxHealth, actor) -> MailboxHealth:
    """An admin says the address is fixed: e-mail is tried again from the next message."""
    with transaction.atomic():
        health = MailboxHealth.objects.select_for_update().get(pk=health.pk)
        health.disabled_at = None
        health.consecutive_failures = 0
        health._history_user = actor
        health._change_reason = "mailbox enabled again"
        health.save(update_fields=["disabled_at", "consecutive_failures"])
    return health


def mailbox_disabled(address: str) -> bool:
    """Whether no more e-mail is tried to this address (shown to admins)."""
    return MailboxHealth.objects.filter(address=address.lower(), disabled_at__isnull=False).exists()


class MailConnection:
    """One connection to the mail server per process, reused while messages keep coming.

    Reused only within a few seconds of its last use, well inside any server's idle
    timeout; after any error it is dropped and the next message opens a new one.
    """

    idle_limit = 5.0

    def __init__(self) -> None:
        self._backend = None
        self._key: tuple | None = None
        self._used_at = 0.0

    def send(self, email: EmailMultiAlternatives) -> None:
        key = (os.getpid(), settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
        if self._key != key or time.monotonic() - self._used_at > self.idle_limit:
            self.close()
            self._backend = get_connection(fail_silently=False)
            self._backend.open()
            self._key = key
        try:
            self._backend.send_messages([email])
        except BaseException:
            self.close()
            raise
        self._used_at = time.monotonic()

    def close(self) -> None:
        backend, self._backend, self._key = self._backend, None, None
        if backend is not None:
            try:
                backend.close()
            except Exception:  # a broken connection is being dropped anyway
                logger.debug("outbox: closing the mail connection failed", exc_info=True)


mail_connection = MailConnection()


def _send_claimed(message: OutboxMessage, token: str, worker: str) -> SendResult:
    started_at = timezone.now()
    record = {"message": message, "token": token, "started_at": started_at, "worker": worker}
    if message.mailbox_disabled:
        _record(**record, outcome=DeliveryStatus.GIVEN_UP, error="mailbox disabled")
        return SendResult(Outcome.GIVEN_UP)
    try:
        email = email_render(message)
        message.subject = email.subject
        mail_connection.send(email)
    except Exception as exc:  # every failure is recorded and decided on below
        code = smtp_code_of(exc)
        error = f"{type(exc).__name__}: {exc}"
        permanent = code is not None and 500 <= code < 600
        if permanent or message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            _record(**record, outcome=DeliveryStatus.GIVEN_UP, error=error, smtp_code=code)
            return SendResult(Outcome.GIVEN_UP)
        delay = retry_delay(message.attempts)
        _record(
            **record, outcome=DeliveryStatus.FAILED, error=error, smtp_code=code, retry_in=delay
        )
        return SendResult(Outcome.RETRY, retry_in=delay)
    _record(**record, outcome=DeliveryStatus.SENT)
    return SendResult(Outcome.SENT)


def outbox_send_many(
    *, message_ids: list[int], worker: str = "", sweep: bool = False
) -> dict[int, SendResult]:
    """Send the given outbox messages that are due and held by nobody else, each once.

    With `sweep`, each claim is topped up with other pending messages (up to
    CLAIM_CHUNK in all), so a worker with a queue behind it sends in batches; their
    results are in the answer too. A batch that takes half its lease (a slow mail
    server) hands the rest back rather than risk another worker sending them too.
    """
    results = {pk: SendResult(Outcome.SKIPPED) for pk in message_ids}
    for start in range(0, len(message_ids), CLAIM_CHUNK):
        chunk = message_ids[start : start + CLAIM_CHUNK]
        token, messages = outbox_claim(chunk, sweep=CLAIM_CHUNK - len(chunk) if sweep else 0)
        deadline = time.monotonic() + settings.NOTIFY_SEND_LEASE_SECONDS / 2
        for index, message in enumerate(messages):
            if time.monotonic() > deadline:
                for pk in outbox_release(messages[index:], token):
                    results[pk] = SendResult(Outcome.RETRY, retry_in=0)
                break
            results[message.pk] = _send_claimed(message, token, worker)
    return results


def outbox_release(messages: list[OutboxMessage], token: str) -> list[int]:
    """Give back claimed messages that were not tried: pending again, the attempt not counted."""
    pks = [m.pk for m in messages]
    OutboxMessage.objects.filter(pk__in=pks, claim_token=token).update(
        status=DeliveryStatus.PENDING, claimed_until=None, attempts=F("attempts") - 1
    )
    return pks


def outbox_send(*, message_id: int, worker: str = "") -> SendResult:
    """Send one outbox message if it is due and nobody else holds it."""
    return outbox_send_many(message_ids=[message_id], worker=worker)[message_id]


def outbox_redispatch(*, limit: int = 1000) -> int:
    """Hand over again what is still unsent long after it should have gone; returns how many."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFY_REDISPATCH_AFTER_SECONDS)
    stale = Q(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lte=cutoff
    ) | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
    ids = list(
        OutboxMessage.objects.filter(stale)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(ids), 100):
        outbox_dispatch(ids[start : start + 100])
    return len(ids)
