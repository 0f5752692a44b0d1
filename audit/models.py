"""The transition log: one append-only row per state change of a measure or result report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TransitionLog(models.Model):
    """Who moved which item from which state to which, in which role, and why."""

    organization = models.ForeignKey(
        "workflow.Organization", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("organization"),
    )  # fmt: skip
    measure = models.ForeignKey(
        "workflow.Measure", on_delete=models.PROTECT, related_name="transition_logs",
        verbose_name=_("measure"),
    )  # fmt: skip
    result_report = models.ForeignKey(
        "workflow.ResultReport", on_delete=models.PROTECT, null=True, blank=True,
        related_name="transition_logs", verbose_name=_("result report"),
    )  # fmt: skip
    action = models.CharField(_("action"), max_length=20)
    source_state = models.CharField(_("from state"), max_length=20)
    target_state = models.CharField(_("to state"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
        verbose_name=_("by"),
    )  # fmt: skip
    system_actor = models.CharField(
        _("system process"), max_length=100, blank=True,
        help_text=_("Set when no person acted, e.g. the scheduled publisher."),
    )  # fmt: skip
    role = models.CharField(_("role used"), max_length=32)
    delegation = models.ForeignKey(
        "approvals.Delegation", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("delegation used"),
    )  # fmt: skip
    comment = models.TextField(_("comment / reason"), blank=True)
    version = models.PositiveIntegerField(_("new version"))
    revision = models.PositiveIntegerField(_("revision"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("transition")
        verbose_name_plural = _("transition log")
        indexes = [models.Index(fields=["organization", "-created_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.action}: {self.source_state} → {self.target_state}"

    @property
    def item(self):
        return self.result_report if self.result_report_id else self.measure
