"""The yearly ITA cycle: the NACC's assessment scheme as data, an agency's ITA result and
its analysis (a workflow item like a measure), and the analysis as published.

Imported at the end of workflow.models, so these are models of the workflow app.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from audit.history import AuditedHistory
from workflow import thai
from workflow.models import FiscalYear, Organization, PublishedCopy, WorkflowItem

__all__ = [
    "Analysis",
    "AnalysisIssue",
    "AnalysisPublication",
    "AssessmentScheme",
    "AssessmentTool",
    "Indicator",
    "IndicatorScore",
    "ItaResult",
    "LevelBand",
    "OitItem",
    "OitPurpose",
]

SCORE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def score_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2, validators=SCORE_VALIDATORS, **kwargs
    )


class AssessmentScheme(models.Model):
    """One year's ITA as the NACC's manual defines it: tools, indicators, levels, OIT items."""

    year = models.PositiveSmallIntegerField(
        _("fiscal year assessed (BE)"),
        unique=True,
        validators=[MinValueValidator(2500), MaxValueValidator(2700)],
    )
    title = models.CharField(_("title"), max_length=300)
    pass_mark = score_field(_("pass mark"), default=Decimal("85"))
    oit_opens_on = models.DateField(_("OIT answering opens on"), null=True, blank=True)
    oit_closes_on = models.DateField(_("OIT answering closes on"), null=True, blank=True)
    to_check = models.BooleanField(
        _("to be checked"),
        default=False,
        help_text=_("Copied from the previous year: check it against this year's NACC manual."),
    )
    note = models.TextField(_("note"), blank=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("ITA assessment scheme")
        verbose_name_plural = _("ITA assessment schemes")
        constraints = [
            models.CheckConstraint(
                condition=Q(oit_opens_on__lte=F("oit_closes_on"))
                | Q(oit_opens_on__isnull=True)
                | Q(oit_closes_on__isnull=True),
                name="scheme_oit_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"ITA {thai.to_thai_digits(self.year)}"

    def level_for(self, score: Decimal | None) -> str:
        """The level band (AA … F) a total score falls in; empty when none matches."""
        if score is None:
            return ""
        for band in self.bands.all():
            if band.min_score <= score <= band.max_score:
                return band.level
        return ""

    def oit_item(self, purpose: str) -> OitItem | None:
        return next((i for i in self.oit_items.all() if i.purpose == purpose), None)


class AssessmentTool(models.Model):
    """A tool of the assessment: IIT, EIT or OIT."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="tools", verbose_name=_("scheme")
    )
    code = models.CharField(_("code"), max_length=10)
    position = models.PositiveSmallIntegerField(_("position"))
    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    history = AuditedHistory()

    class Meta:
        ordering = ["scheme", "position"]
        verbose_name = _("assessment tool")
        verbose_name_plural = _("assessment tools")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="tool_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_th}"


class Indicator(models.Model):
    """ตัวชี้วัด: one numbered indicator of a year's assessment."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="indicators",
        verbose_name=_("scheme"),
    )  # fmt: skip
    tool = models.ForeignKey(
        AssessmentTool, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("tool")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    history = AuditedHistory()

    class Meta:
        ordering = ["scheme", "number"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="indicator_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{thai.to_thai_digits(self.number)}. {self.name_th}"


class LevelBand(models.Model):
    """A level (AA … F) and the range of total scores it covers."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="bands", verbose_name=_("scheme")
    )
    level = models.CharField(_("level"), max_length=4)
    min_score = score_field(_("lowest score"))
    max_score = score_field(_("highest score"))
    history = AuditedHistory()

    class Meta:
        ordering = ["scheme", "-min_score"]
        verbose_name = _("level band")
        verbose_name_plural = _("level bands")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "level"], name="band_unique_level"),
            models.CheckConstraint(
                condition=Q(min_score__lte=F("max_score")), name="band_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} ({self.min_score}–{self.max_score})"


class OitPurpose(models.TextChoices):
    MEASURES = "measures", _("Measures to promote integrity and transparency")
    RESULTS = "results", _("Results of the measures")


class OitItem(models.Model):
    """The OIT item code under which a published part is answered in the NACC's ITAS."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="oit_items",
        verbose_name=_("scheme"),
    )  # fmt: skip
    purpose = models.CharField(_("what is published"), max_length=20, choices=OitPurpose.choices)
    code = models.CharField(_("item code"), max_length=10, help_text=_("e.g. O42"))
    title_th = models.CharField(_("item title (Thai)"), max_length=300)
    history = AuditedHistory()

    class Meta:
        ordering = ["scheme", "code"]
        verbose_name = _("OIT item")
        verbose_name_plural = _("OIT items")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "purpose"], name="oit_item_unique_purpose"),
            models.UniqueConstraint(fields=["scheme", "code"], name="oit_item_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title_th}"


class ItaResult(models.Model):
    """The ITA score an organization received for one assessed year, indicator by indicator."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="ita_results",
        verbose_name=_("organization"),
    )  # fmt: skip
    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.PROTECT, related_name="results",
        verbose_name=_("assessment"),
    )  # fmt: skip
    score = score_field(_("total score"))
    level = models.CharField(_("level"), max_length=4, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedHistory(children=True)  # the indicator scores: in the snapshot

    class Meta:
        ordering = ["organization", "-scheme__year"]
        verbose_name = _("ITA result")
        verbose_name_plural = _("ITA results")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scheme"], name="ita_result_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ITA {thai.to_thai_digits(self.scheme.year)}: {self.score}"


class IndicatorScore(models.Model):
    """The score of one indicator in an organization's ITA result."""

    result = models.ForeignKey(
        ItaResult, on_delete=models.CASCADE, related_name="scores", verbose_name=_("ITA result")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="scores", verbose_name=_("indicator")
    )
    score = score_field(_("score"))
    history = AuditedHistory()

    class Meta:
        ordering = ["result", "indicator__number"]
        verbose_name = _("indicator score")
        verbose_name_plural = _("indicator scores")
        constraints = [
            models.UniqueConstraint(fields=["result", "indicator"], name="indicator_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.score}"


class Analysis(WorkflowItem):
    """การวิเคราะห์ผลการประเมิน ITA: what last year's result means for this year's measures.

    A workflow item like a measure: drafted by the working group, reviewed, approved by the
    chief executive, published; its transitions go through approvals.services.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="analyses",
        verbose_name=_("organization"),
    )  # fmt: skip
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="analyses",
        verbose_name=_("fiscal year of the measures"),
    )  # fmt: skip
    result = models.ForeignKey(
        ItaResult, on_delete=models.PROTECT, related_name="analyses",
        verbose_name=_("ITA result analysed"),
    )  # fmt: skip
    summary = models.TextField(
        _("summary"), blank=True, help_text=_("How the issues found become this year's measures.")
    )
    history = AuditedHistory(children=True)  # the issues per indicator: in the snapshot

    class Meta:
        ordering = ["organization", "-fiscal_year__year"]
        verbose_name = _("ITA result analysis")
        verbose_name_plural = _("ITA result analyses")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "fiscal_year"], name="analysis_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"การวิเคราะห์ผลการประเมิน ITA ปี {thai.to_thai_digits(self.result.scheme.year)}"
            f" ({self.organization.short_name or self.organization.name})"
        )


class AnalysisIssue(models.Model):
    """ประเด็นที่ต้องแก้ไข/ปรับปรุง: what must be fixed or improved for one indicator."""

    analysis = models.ForeignKey(
        Analysis, on_delete=models.CASCADE, related_name="issues", verbose_name=_("analysis")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="issues", verbose_name=_("indicator")
    )
    text = models.TextField(_("issues to fix or improve"))
    history = AuditedHistory()

    class Meta:
        ordering = ["analysis", "indicator__number"]
        verbose_name = _("issue to fix or improve")
        verbose_name_plural = _("issues to fix or improve")
        constraints = [
            models.UniqueConstraint(fields=["analysis", "indicator"], name="analysis_issue_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.text[:80]}"


class AnalysisPublication(PublishedCopy):
    """The analysis as the public sees it: a frozen copy made at each publication."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="analysis_publications",
        verbose_name=_("organization"),
    )  # fmt: skip
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="analysis_publications",
        verbose_name=_("fiscal year"),
    )  # fmt: skip
    analysis = models.ForeignKey(
        Analysis, on_delete=models.PROTECT, related_name="publications", verbose_name=_("analysis")
    )
    revision = models.PositiveIntegerField(_("revision"))
    content = models.JSONField(_("content as published"))

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("published analysis")
        verbose_name_plural = _("published analyses")
        indexes = [models.Index(fields=["organization", "fiscal_year", "published_at"])]

    def __str__(self) -> str:
        return f"{self.analysis} (r{self.revision})"


@receiver([post_save, post_delete], sender=OitItem, dispatch_uid="ita_oit_items_cache")
def oit_items_changed(sender, instance, **kwargs):
    """The public pages cache a year's OIT items (assessment_selectors.oit_items)."""
    from django.core.cache import cache

    from workflow.assessment_selectors import oit_items_cache_key

    cache.delete(oit_items_cache_key(instance.scheme.year))
