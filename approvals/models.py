"""Who may act in an organization: memberships with roles, and delegations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.history import AuditedHistory
from workflow.models import Division, Organization


class Role(models.TextChoices):
    DIVISION_HEAD = "division_head", _("Division head")
    WORKING_GROUP = "working_group", _("Working group member")
    CHIEF_EXECUTIVE = "chief_executive", _("Chief executive")
    PUBLISHER = "publisher", _("Publisher")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Organization admin")


class Membership(models.Model):
    """One role a person holds in one organization (a person may hold several)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships",
        verbose_name=_("person"),
    )  # fmt: skip
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships",
        verbose_name=_("organization"),
    )  # fmt: skip
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    divisions = models.ManyToManyField(
        Division, blank=True, related_name="memberships", verbose_name=_("divisions"),
        help_text=_("For division heads: the divisions whose items they draft and submit."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = AuditedHistory(children=True, m2m_fields=[divisions])

    class Meta:
        ordering = ["organization", "user__username", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


class Position(models.Model):
    """ตำแหน่ง: what a person is called in one organization, e.g. ผู้อำนวยการกองคลัง.

    One per person per organization, not per role: a person holding two roles in one
    agency holds one position there, and may hold another in a second agency.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="positions",
        verbose_name=_("person"),
    )  # fmt: skip
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="positions",
        verbose_name=_("organization"),
    )  # fmt: skip
    title = models.CharField(
        _("official position"), max_length=200,
        help_text=_("The official position, as written in the organization's orders."),
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["organization", "user__first_name"]
        verbose_name = _("official position")
        verbose_name_plural = _("official positions")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="position_one_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.title} · {self.organization}"


class DelegationQuerySet(models.QuerySet):
    def in_force(self, at=None):
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at, revoked_at__isnull=True)


class Delegation(models.Model):
    """ปฏิบัติราชการแทน: a deputy acts as chief executive between two moments."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="delegations",
        verbose_name=_("organization"),
    )  # fmt: skip
    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given",
        verbose_name=_("chief executive"),
    )  # fmt: skip
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received",
        verbose_name=_("deputy"),
    )  # fmt: skip
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.TextField(_("reason / order"), blank=True)
    deputy_position = models.CharField(
        _("position of the deputy"), max_length=200, blank=True,
        help_text=_("As signed on the published report, e.g. รองนายกองค์การบริหารส่วนตำบลเขาทอง."),
    )  # fmt: skip
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = AuditedHistory()

    objects = DelegationQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "-starts_at"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="delegation_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=F("deputy")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.deputy}"


class PublicationScheduleQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(done_at__isnull=True, cancelled_at__isnull=True)

    def due(self, at=None):
        return self.pending().filter(publish_at__lte=at or timezone.now())


class PublicationSchedule(models.Model):
    """A publisher's order to publish an approved item at a set moment (run by Celery beat)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="publication_schedules",
        verbose_name=_("organization"),
    )  # fmt: skip
    measure = models.ForeignKey(
        "workflow.Measure", on_delete=models.PROTECT, related_name="publication_schedules",
        verbose_name=_("measure"),
    )  # fmt: skip
    result_report = models.ForeignKey(
        "workflow.ResultReport", on_delete=models.PROTECT, null=True, blank=True,
        related_name="publication_schedules", verbose_name=_("result report"),
    )  # fmt: skip
    publish_at = models.DateTimeField(_("publish at"), db_index=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("scheduled by"),
    )  # fmt: skip
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    log = models.ForeignKey(
        "audit.TransitionLog", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("transition"),
    )  # fmt: skip
    error_code = models.CharField(
        _("error"), max_length=50, blank=True,
        help_text=_("Why the publication could not be carried out, if it could not."),
    )  # fmt: skip
    history = AuditedHistory()

    objects = PublicationScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["publish_at", "pk"]
        verbose_name = _("publication schedule")
        verbose_name_plural = _("publication schedules")

    def __str__(self) -> str:
        return f"{self.item} @ {self.publish_at:%Y-%m-%d %H:%M}"

    @property
    def item(self):
        return self.result_report if self.result_report_id else self.measure


# Notifications: the in-app inbox, the e-mail outbox and what each person chose.


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("E-mail each notification")
    DIGEST = "digest", _("One daily digest e-mail")
    NONE = "none", _("No e-mail (inbox only)")


class NotificationKind(models.TextChoices):
    TRANSITION = "transition", _("Transition")
    REMINDER = "reminder", _("Reminder")
    DIGEST = "digest", _("Digest")
    GRANT = "grant", _("Role or delegation")
    INVITATION = "invitation", _("Invitation")


class NotificationPreference(models.Model):
    """How one person wants to be told; the inbox always fills whatever they choose."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference",
        verbose_name=_("person"),
    )  # fmt: skip
    email_mode = models.CharField(
        _("e-mail"), max_length=20, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedHistory()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_email_mode_display()}"


class Notification(models.Model):
    """One entry of a person's in-app inbox.

    Inbox and outbox rows are derived: only the services write them, with ids they have
    just read in the same transaction, and Django cascades their deletions. So their
    references carry no database constraint, whose check on each insert would lock the
    person's, the organization's and the item's rows.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
        db_constraint=False, related_name="notifications",
        verbose_name=_("person"), db_index=False,  # the two indexes below lead with it
    )  # fmt: skip
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, db_constraint=False, related_name="notifications",
        verbose_name=_("organization"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    action = models.CharField(_("action"), max_length=20, blank=True)
    measure = models.ForeignKey(
        "workflow.Measure", on_delete=models.CASCADE,
        db_constraint=False, null=True, blank=True, related_name="+",
        verbose_name=_("measure"),
    )  # fmt: skip
    result_report = models.ForeignKey(
        "workflow.ResultReport", on_delete=models.CASCADE,
        db_constraint=False, null=True, blank=True,
        related_name="+", verbose_name=_("result report"),
    )  # fmt: skip
    transition_log = models.ForeignKey(
        "audit.TransitionLog", on_delete=models.PROTECT, db_constraint=False, null=True, blank=True,
        related_name="notifications", verbose_name=_("transition"),
        db_index=False,  # never looked up this way; transition records are never deleted
    )  # fmt: skip
    title = models.CharField(_("title (Thai)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # unique (Meta); NULL, not "", for entries without a key: the constraint allows many
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    digest_pending = models.BooleanField(_("waiting for the daily digest"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"]),
            models.Index(fields=["user", "read_at"]),
            # the few entries waiting for a digest, not a boolean index over every entry
            models.Index(
                fields=["user"], condition=Q(digest_pending=True), name="notification_digest"
            ),
        ]
        # as constraints, not unique=True: PostgreSQL then keeps no second (LIKE) index
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="notification_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    GIVEN_UP = "given_up", _("Given up")


class OutboxMessage(models.Model):
    """One e-mail to one address, written in the transaction that caused it.

    The idempotency key makes every cause produce one message only; the status
    moves pending → sending (claimed by one worker) → sent, or failed → … → given_up.
    """

    idempotency_key = models.CharField(_("idempotency key"), max_length=200)  # unique: Meta
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    channel = models.CharField(_("channel"), max_length=20, default="email")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE,
        db_constraint=False, null=True, blank=True, related_name="+",
        verbose_name=_("organization"),
    )  # fmt: skip
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
        db_constraint=False, related_name="outbox_messages",
        verbose_name=_("recipient"),
    )  # fmt: skip
    to_address = models.EmailField(_("address"))
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE,
        db_constraint=False, null=True, blank=True, related_name="+",
        verbose_name=_("notification"),
    )  # fmt: skip
    transition_log = models.ForeignKey(
        "audit.TransitionLog", on_delete=models.PROTECT, db_constraint=False, null=True, blank=True,
        related_name="outbox_messages", verbose_name=_("transition"),
        db_index=False,  # never looked up this way; transition records are never deleted
    )  # fmt: skip
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    given_up_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="outbox_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} → {self.to_address} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at handing a message to the mail server, kept for the auditors."""

    message = models.ForeignKey(
        OutboxMessage, on_delete=models.CASCADE, related_name="delivery_attempts",
        verbose_name=_("message"),
    )  # fmt: skip
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=DeliveryStatus.choices)
    smtp_code = models.PositiveSmallIntegerField(_("SMTP code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)

    class Meta:
        ordering = ["message", "number", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number}: {self.outcome}"


class MailboxHealth(models.Model):
    """An address whose messages keep failing: counted, and disabled past a limit."""

    address = models.EmailField(_("address"), unique=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    total_failures = models.PositiveIntegerField(_("failures in all"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_failed_at = models.DateTimeField(_("last failed at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    disabled_at = models.DateTimeField(
        _("disabled at"), null=True, blank=True,
        help_text=_("No more e-mail is tried while set; clear it once the address is fixed."),
    )  # fmt: skip
    history = AuditedHistory()

    class Meta:
        ordering = ["-disabled_at", "-consecutive_failures", "address"]
        verbose_name = _("mailbox health")
        verbose_name_plural = _("mailbox health")

    def __str__(self) -> str:
        return f"{self.address} ({self.consecutive_failures})"
