"""What every history row records beyond simple-history's own columns.

Models declare `history = AuditedHistory()` (or `AuditedHistory(children=True)` for
measures and result reports); this module knows nothing of the workflow models, so
workflow.models and approvals.models can import it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class HistoryBase(models.Model):
    """Columns added to every historical table: the system actor, the client IP, the tenant."""

    system_actor = models.CharField(
        _("system process"), max_length=100, blank=True,
        help_text=_("Set when no person acted: the importer, a command, a scheduled task."),
    )  # fmt: skip
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    history_organization_id = models.BigIntegerField(
        _("organization"), null=True, blank=True, editable=False,
        help_text=_("The organization whose audit chain holds this row; empty for global rows."),
    )  # fmt: skip

    class Meta:
        abstract = True


class ChildrenHistoryBase(HistoryBase):
    """A measure or result report version carries its ordered children and divisions."""

    history_children = models.JSONField(_("children at this version"), default=dict, blank=True)

    class Meta:
        abstract = True


class AuditedHistory(HistoricalRecords):
    """simple-history with the audit columns and the indexes the auditor's queries use."""

    def __init__(self, *args, children: bool = False, **kwargs):
        kwargs.setdefault("bases", [ChildrenHistoryBase if children else HistoryBase])
        super().__init__(*args, **kwargs)

    def copy_fields(self, model):
        """The tracked fields without the model's own indexes.

        The audit's queries use the indexes in `get_meta_options`; the model's (state,
        foreign keys) would only slow down every version written.
        """
        fields = super().copy_fields(model)
        for field in fields.values():
            field.db_index = False
        return fields

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if self.cls is sender:
            sender.audited_history = self  # lets audit.recording write a parent version
            # the historical model, without building a manager class on each access
            self.history_model = vars(sender)[self.manager_name].model

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        name = f"h{model._meta.model_name[:14]}"
        meta["indexes"] = (
            # one item's timeline, and "as of" lookups per item
            models.Index(fields=["id", "history_date"], name=f"{name}_item_dt"),
            # per-organization scans (as-of report, unchained-row check)
            models.Index(fields=["history_organization_id", "history_date"], name=f"{name}_org_dt"),
        )
        return meta
