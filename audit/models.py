"""The audit records: the transition log, the per-organization hash chain and its checks."""

from __future__ import annotations

import simple_history
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.history import AuditedHistory

GENESIS_HASH = "0" * 64


class TransitionLog(models.Model):
    """Who moved which item from which state to which, in which role, and why."""

    organization = models.ForeignKey(
        "workflow.Organization", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("organization"),
    )  # fmt: skip
    measure = models.ForeignKey(
        "workflow.Measure", on_delete=models.PROTECT, null=True, blank=True,
        related_name="transition_logs", verbose_name=_("measure"),
    )  # fmt: skip
    result_report = models.ForeignKey(
        "workflow.ResultReport", on_delete=models.PROTECT, null=True, blank=True,
        related_name="transition_logs", verbose_name=_("result report"),
    )  # fmt: skip
    analysis = models.ForeignKey(
        "workflow.Analysis", on_delete=models.PROTECT, null=True, blank=True,
        related_name="transition_logs", verbose_name=_("ITA result analysis"),
    )  # fmt: skip
    introduction = models.ForeignKey(
        "workflow.ReportIntroduction", on_delete=models.PROTECT, null=True, blank=True,
        related_name="transition_logs", verbose_name=_("opening paragraph"),
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

    @classmethod
    def of_item(cls, item) -> models.QuerySet:
        """The transitions of one workflow item, whatever its kind."""
        label = item._meta.model_name
        if label == "analysis":
            return cls.objects.filter(analysis_id=item.pk)
        if label == "reportintroduction":
            return cls.objects.filter(introduction_id=item.pk)
        if label == "resultreport":
            return cls.objects.filter(result_report_id=item.pk)
        return cls.objects.filter(measure_id=item.pk, result_report__isnull=True)

    @property
    def item(self):
        if self.analysis_id:
            return self.analysis
        if self.introduction_id:
            return self.introduction
        return self.result_report if self.result_report_id else self.measure


class ChainHead(models.Model):
    """The last link of one organization's chain (key 0: the global chain).

    Appending updates this row, so its row lock serializes appends per organization
    and nowhere else.
    """

    key = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The chain's latest ChainVerification, copied here when one is saved:
    # readiness and /metrics count broken chains in one row per chain, not in the
    # verifications, of which a national deployment adds thousands a night.
    verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    verified_ok = models.BooleanField(_("intact at the last verification"), null=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"{self.key}#{self.seq} {self.hash[:12]}"


class ChainEntry(models.Model):
    """One link of the hash chain, and the organization log's index row.

    `hash` = SHA-256 of `prev_hash` followed by the canonical JSON of this entry's
    columns and of the record it points to (see audit.chain.payload).
    """

    # no index of its own: chain_unique_seq and chain_org_log lead with it, and given this
    # one the planner would rather sort a whole log than read chain_org_log in order
    organization = models.ForeignKey(
        "workflow.Organization", on_delete=models.DO_NOTHING, db_constraint=False,
        null=True, blank=True, related_name="+", verbose_name=_("organization"),
        db_index=False,
    )  # fmt: skip
    seq = models.BigIntegerField(_("sequence number"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    record_model = models.CharField(_("record type"), max_length=100)
    record_pk = models.BigIntegerField(_("record id"))
    created_at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False,  # chain_actor_log leads with it
        null=True, blank=True, related_name="+", verbose_name=_("by"),
    )  # fmt: skip
    system_actor = models.CharField(_("system process"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=20)
    reason = models.TextField(_("reason"), blank=True)
    subject_model = models.CharField(_("item type"), max_length=100)
    subject_pk = models.BigIntegerField(_("item id"))
    measure = models.ForeignKey(
        "workflow.Measure", on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False,  # chain_measure_log leads with it
        null=True, blank=True, related_name="+", verbose_name=_("measure"),
    )  # fmt: skip
    result_report = models.ForeignKey(
        "workflow.ResultReport", on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False,  # chain_report_log: only the links that have one
        null=True, blank=True, related_name="+", verbose_name=_("result report"),
    )  # fmt: skip

    class Meta:
        ordering = ["organization", "seq"]
        verbose_name = _("audit chain entry")
        verbose_name_plural = _("audit chain entries")
        constraints = [
            models.UniqueConstraint(fields=["organization", "seq"], name="chain_unique_seq"),
            models.UniqueConstraint(
                fields=["seq"],
                condition=models.Q(organization__isnull=True),
                name="chain_unique_global_seq",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="chain_org_log"),
            models.Index(fields=["measure", "created_at"], name="chain_measure_log"),
            models.Index(fields=["actor", "created_at"], name="chain_actor_log"),
            models.Index(fields=["record_model", "record_pk"], name="chain_record"),
            models.Index(
                fields=["result_report", "created_at"],
                condition=models.Q(result_report__isnull=False),
                name="chain_report_log",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id or 'global'}#{self.seq} {self.hash[:12]}"


class ChainVerification(models.Model):
    """One run of audit_verify over one chain: how far it got and where it broke."""

    organization = models.ForeignKey(
        "workflow.Organization", on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", verbose_name=_("organization"),
    )  # fmt: skip
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    ok = models.BooleanField(_("intact"))
    # False: only the links after the head that the last passing verification checked
    full = models.BooleanField(_("whole chain checked"), default=True)
    entries_checked = models.BigIntegerField(_("entries checked"))
    head_seq = models.BigIntegerField(_("head sequence number"))
    head_hash = models.CharField(_("head hash"), max_length=64)
    broken_seq = models.BigIntegerField(_("first broken link"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("requested by"),
    )  # fmt: skip
    system_actor = models.CharField(
        _("system process"), max_length=100, blank=True,
        help_text=_("Set when no person asked: the nightly check, a command."),
    )  # fmt: skip

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        verbose_name = _("audit chain verification")
        verbose_name_plural = _("audit chain verifications")
        indexes = [models.Index(fields=["organization", "-started_at"], name="chain_verif_org")]

    def __str__(self) -> str:
        return f"{self.organization_id or 'global'} {'ok' if self.ok else 'BROKEN'}"

    def save(self, *args, **kwargs):
        """A new verification also leaves its outcome on its chain's head (ChainHead.verified_*),
        unless a later one is already there."""
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            key = self.organization_id or 0
            ChainHead.objects.bulk_create([ChainHead(key=key)], ignore_conflicts=True)
            newer = models.Q(verified_at__isnull=True) | models.Q(verified_at__lte=self.started_at)
            ChainHead.objects.filter(newer, key=key).update(
                verified_at=self.started_at, verified_ok=self.ok
            )


# Django users: who holds an account, whether it is active or staff, is audited too.
simple_history.register(
    get_user_model(),
    app="audit",
    records_class=AuditedHistory,
    excluded_fields=["password", "last_login"],
)
