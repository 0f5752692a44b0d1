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
