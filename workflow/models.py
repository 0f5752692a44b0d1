"""The ITA plan of one agency: its divisions, fiscal years, measures and result reports."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, ProtectedError, Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from audit.history import AuditedHistory
from workflow import thai


class State(models.TextChoices):
    DRAFTED = "drafted", _("Drafted")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class Action(models.TextChoices):
    """The transitions of DESIGN.md; `return` is a keyword, hence the method name."""

    SUBMIT = "submit", _("Submit")
    WITHDRAW = "withdraw", _("Withdraw")
    REVIEW = "review", _("Review")
    RETURN = "return", _("Return")
    APPROVE = "approve", _("Approve")
    PUBLISH = "publish", _("Publish")
    REVISE = "revise", _("Revise")

    @property
    def method_name(self) -> str:
        return "return_to_drafted" if self is Action.RETURN else self.value


class Organization(models.Model):
    """One agency (tenant): an อบต., a เทศบาล or another public body."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(
        _("short name"), max_length=100, blank=True, help_text=_("e.g. อบต.เขาทอง")
    )
    slug = models.SlugField(_("address name"), max_length=100, unique=True)
    province = models.CharField(_("province"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    chief_executive_title = models.CharField(
        _("title of the chief executive"), max_length=200, blank=True,
        help_text=_("As signed on the published report, e.g. นายกเทศมนตรีตำบลเขาทอง; "
                    "empty: นายก followed by the organization's name."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # `thai.search_key` of the name and of the short name, kept by save(): the public index
    # searches 7,850 agencies by it (trigram-indexed on PostgreSQL, migration 0011) instead
    # of computing the key of every name at each search. Derived, so not in history.
    name_search_key = models.TextField(editable=False, blank=True, default="")
    # When its first Publication was made (Publication.save): the public index lists the
    # organizations that have published by this column instead of probing the publications
    # of all 7,850 (a broad search's count took 17 ms). Derived, so not in history.
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = AuditedHistory(excluded_fields=["name_search_key", "first_published_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        # a province's page of the public index: its agencies in name order, 50 at a time
        indexes = [models.Index(fields=["province", "name"], name="organization_province")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from workflow.thai import search_key

        self.name_search_key = f"{search_key(self.name)} {search_key(self.short_name)}"
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "short_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_search_key"}
        super().save(*args, **kwargs)

    @property
    def chief_executive_position(self) -> str:
        """นายกองค์การบริหารส่วนตำบลเขาทอง: the position under the signature."""
        return self.chief_executive_title or f"นายก{self.name}"


def name_problem(name: str):
    """Why `name` cannot name a division or a round, or None.

    A name begins with a letter or a digit and holds no control characters: one that
    begins with `=`, `+`, `-` or `@` is a formula to a spreadsheet (issue 12, hole 3).
    """
    if name and not name[0].isalnum():
        return _("A name must begin with a letter or a digit.")
    if any(not character.isprintable() for character in name):
        return _("A name cannot hold tabs, line breaks or other control characters.")
    return None


class NamedMixin:
    """clean() of a model whose `name` is shown in the report and its spreadsheets."""

    def clean(self):
        super().clean()
        problem = name_problem(thai.normalize_text(self.name or "").strip())
        if problem:
            raise ValidationError({"name": problem})


class Division(NamedMixin, models.Model):
    """A กอง or สำนัก of one organization."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="divisions",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=200)
    match_key = models.CharField(max_length=200, editable=False, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["organization", "name"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="division_unique_name"),
            models.UniqueConstraint(
                fields=["organization", "match_key"], name="division_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = thai.normalize_text(self.name)
        self.match_key = self.key_for(self.name)
        super().save(*args, **kwargs)

    @staticmethod
    def key_for(name: str) -> str:
        """What two spellings of one division share: no spaces, no hyphens, NFC."""
        return "".join(thai.normalize_text(name).replace("-", "").split())


class FiscalYear(models.Model):
    """ปีงบประมาณ: 1 Oct – 30 Sep, named by its BE year."""

    year = models.PositiveSmallIntegerField(_("fiscal year (BE)"), unique=True)
    starts_on = models.DateField(_("starts on"), editable=False)
    ends_on = models.DateField(_("ends on"), editable=False)
    history = AuditedHistory()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2500) & Q(year__lte=2700), name="fiscal_year_is_be"
            ),
        ]

    def __str__(self) -> str:
        return f"ปีงบประมาณ พ.ศ. {thai.to_thai_digits(self.year)}"

    def save(self, *args, **kwargs):
        self.starts_on, self.ends_on = thai.fiscal_year_bounds(self.year)
        super().save(*args, **kwargs)

    def contains(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class ReportingRound(NamedMixin, models.Model):
    """One reporting round of an organization's fiscal year (e.g. รอบ 6 เดือน)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("organization"),
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("fiscal year")
    )
    name = models.CharField(_("name"), max_length=100)
    months = models.PositiveSmallIntegerField(_("months covered"), default=12)
    due_on = models.DateField(_("due on"))
    history = AuditedHistory()

    class Meta:
        ordering = ["organization", "fiscal_year", "due_on"]
        verbose_name = _("reporting round")
        verbose_name_plural = _("reporting rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "fiscal_year", "name"], name="round_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1) & Q(months__lte=12), name="round_months_1_to_12"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fiscal_year.year})"


class WorkflowItem(models.Model):
    """What measures and result reports share: the five states and their transitions.

    The transition methods only move the state; the permission checks, the
    locking, the history and the notifications live in approvals.services.
    """

    state = FSMField(
        _("state"), default=State.DRAFTED, choices=State.choices, protected=True, db_index=True
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised by every change; stale edits are refused.")
    )
    revision = models.PositiveIntegerField(
        _("revision"), default=1, help_text=_("Raised each time a published item is revised.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("submitted by"),
    )  # fmt: skip
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("reviewed by"),
        help_text=_("The working group member who reviewed it; they do not approve it."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        # A protected FSMField refuses the re-assignment clean_fields makes; the state
        # is never user input anyway.
        super().clean_fields(exclude={*(exclude or ()), "state"})

    @transition(field=state, source=State.DRAFTED, target=State.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.DRAFTED)
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.REVIEWED)
    def review(self) -> None:
        pass

    @transition(field=state, source=[State.SUBMITTED, State.REVIEWED], target=State.DRAFTED)
    def return_to_drafted(self) -> None:
        pass

    @transition(field=state, source=State.REVIEWED, target=State.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=State.APPROVED, target=State.PUBLISHED)
    def publish(self) -> None:
        pass

    @transition(field=state, source=State.PUBLISHED, target=State.DRAFTED)
    def revise(self) -> None:
        self.revision += 1


class Measure(WorkflowItem):
    """มาตรการ/แนวทาง: one numbered item of an organization's plan for a fiscal year."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="measures",
        verbose_name=_("organization"),
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="measures", verbose_name=_("fiscal year")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.TextField(_("measure / approach"))
    divisions = models.ManyToManyField(
        Division, related_name="measures", verbose_name=_("responsible divisions")
    )
    indicators = models.ManyToManyField(
        "workflow.Indicator", related_name="measures", blank=True,
        verbose_name=_("ITA indicators addressed"),
    )  # fmt: skip
    carried_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_to",
        verbose_name=_("carried over from"),
    )  # fmt: skip
    period_start = models.DateField(_("period starts"), help_text=_("First day of the month."))
    period_end = models.DateField(_("period ends"), help_text=_("First day of the month."))
    history = AuditedHistory(children=True)  # divisions: in the children snapshot

    class Meta:
        ordering = ["organization", "fiscal_year", "number"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "fiscal_year", "number"], name="measure_unique_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="measure_number_positive"),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="measure_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{thai.to_thai_digits(self.number)}. {self.title[:80]}"

    @property
    def period_display(self) -> str:
        return thai.format_period(self.period_start, self.period_end)

    def clean(self) -> None:
        errors = {}
        if self.period_start and self.period_end and self.fiscal_year_id:
            fy = self.fiscal_year
            for field in ("period_start", "period_end"):
                day = getattr(self, field)
                if not fy.contains(day):
                    errors[field] = _(
                        "The period must lie inside fiscal year %(year)s (%(start)s – %(end)s)."
                    ) % {
                        "year": fy.year,
                        "start": thai.format_month(fy.starts_on),
                        "end": thai.format_month(fy.ends_on),
                    }
            if self.period_start > self.period_end:
                errors["period_end"] = _("The period ends before it starts.")
        if errors:
            raise ValidationError(errors)


class OrderedText(models.Model):
    """One numbered line (๑., ๒., …) of a list kept in order."""

    position = models.PositiveSmallIntegerField(_("position"))
    text = models.TextField(_("text"))

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{thai.to_thai_digits(self.position)}. {self.text[:80]}"


class MeasureMethod(OrderedText):
    """วิธีการดำเนินการ: one step of how a measure is carried out."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="methods", verbose_name=_("measure")
    )
    history = AuditedHistory()

    class Meta(OrderedText.Meta):
        verbose_name = _("method")
        verbose_name_plural = _("methods")
        constraints = [
            models.UniqueConstraint(fields=["measure", "position"], name="method_unique_position"),
        ]


class ResultReport(WorkflowItem):
    """ผลการดำเนินการ: what was done for one measure in one reporting round."""

    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="result_reports", verbose_name=_("measure")
    )
    reporting_round = models.ForeignKey(
        ReportingRound, on_delete=models.PROTECT, related_name="result_reports",
        verbose_name=_("reporting round"),
    )  # fmt: skip
    history = AuditedHistory(children=True)

    class Meta:
        ordering = ["reporting_round", "measure__number"]
        verbose_name = _("result report")
        verbose_name_plural = _("result reports")
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "reporting_round"], name="result_report_one_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} — {self.reporting_round.name}"

    @property
    def organization(self) -> Organization:
        return self.measure.organization

    @property
    def organization_id(self) -> int:
        return self.measure.organization_id

    def clean(self) -> None:
        if self.measure_id and self.reporting_round_id:
            measure, round_ = self.measure, self.reporting_round
            if (measure.organization_id, measure.fiscal_year_id) != (
                round_.organization_id,
                round_.fiscal_year_id,
            ):
                raise ValidationError(
                    {"reporting_round": _("The round belongs to another organization or year.")}
                )


class ResultItem(OrderedText):
    """One numbered line of ผลการดำเนินการ."""

    report = models.ForeignKey(
        ResultReport,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("result report"),
    )
    history = AuditedHistory()

    class Meta(OrderedText.Meta):
        verbose_name = _("result item")
        verbose_name_plural = _("result items")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"], name="result_item_unique_position"
            ),
        ]


class Recommendation(OrderedText):
    """ข้อเสนอแนะ: one recommendation of the working group on a result report."""

    report = models.ForeignKey(
        ResultReport, on_delete=models.CASCADE, related_name="recommendations",
        verbose_name=_("result report"),
    )  # fmt: skip
    history = AuditedHistory()

    class Meta(OrderedText.Meta):
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"], name="recommendation_unique_position"
            ),
        ]


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.report.measure.organization_id}/{instance.report_id}/{filename}"


class Evidence(models.Model):
    """A file that backs a result report: an order, minutes, photos."""

    report = models.ForeignKey(
        ResultReport,
        on_delete=models.CASCADE,
        related_name="evidence",
        verbose_name=_("result report"),
    )
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(_("file"), upload_to=evidence_upload_to)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("uploaded by"),
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["report", "uploaded_at"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.title


class PublishedCopy(models.Model):
    """What every frozen copy of a published item records: who approved and published it,
    when, and the audit chain's head at that moment."""

    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
        verbose_name=_("approved by"),
    )  # fmt: skip
    approved_at = models.DateTimeField(_("approved at"), null=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
        verbose_name=_("published by"),
    )  # fmt: skip
    published_at = models.DateTimeField(_("published at"), db_index=True)
    chain_head = models.CharField(_("audit chain head at publication"), max_length=64, blank=True)

    class Meta:
        abstract = True


class Publication(PublishedCopy):
    """What the public sees: a frozen copy of one item as it was published.

    The working copy may be revised afterwards; the public pages read only
    these rows, so they keep showing the last published version.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="publications",
        verbose_name=_("organization"),
    )  # fmt: skip
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="publications",
        verbose_name=_("fiscal year"),
    )  # fmt: skip
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="publications", verbose_name=_("measure")
    )
    result_report = models.ForeignKey(
        ResultReport, on_delete=models.PROTECT, null=True, blank=True, related_name="publications",
        verbose_name=_("result report"),
    )  # fmt: skip
    revision = models.PositiveIntegerField(_("revision"))
    content = models.JSONField(_("content as published"))
    chain_seq = models.BigIntegerField(_("audit chain length at publication"), null=True)
    approval = models.ForeignKey(
        "audit.TransitionLog", on_delete=models.PROTECT, null=True, related_name="+",
        verbose_name=_("approval"),
    )  # fmt: skip

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        indexes = [models.Index(fields=["organization", "fiscal_year", "published_at"])]

    def __str__(self) -> str:
        item = f"{self.measure}" if self.result_report_id is None else f"{self.result_report}"
        return f"{item} (r{self.revision})"

    def save(self, *args, **kwargs):
        """The organization's first publication also marks it as published
        (Organization.first_published_at); publications are never deleted (PROTECT)."""
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            Organization.objects.filter(
                pk=self.organization_id, first_published_at__isnull=True
            ).update(first_published_at=self.published_at)


@receiver(pre_delete, sender=Division, dispatch_uid="division_kept_while_referenced")
def division_kept_while_referenced(sender, instance, **kwargs):
    """A division that a measure or a membership names is retired, never deleted: deleting
    it would silently take it off them, with no history row for either (issue 12, hole 6)."""
    from workflow.services import division_is_referenced

    if division_is_referenced(instance):
        raise ProtectedError(
            f"The division {instance} is named by measures or memberships: retire it instead.",
            {instance},
        )


class SpacingProposal(models.Model):
    """The text of an imported line with the PDF's line-wrap spaces removed, for a person
    to accept or dismiss; the line itself keeps the text as the document had it."""

    class Part(models.TextChoices):
        TITLE = "title", _("Measure / approach")
        METHOD = "method", _("Method")
        RESULT = "result", _("Result")
        RECOMMENDATION = "recommendation", _("Recommendation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Kept as imported")
        OUTDATED = "outdated", _("The text was changed since")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="spacing_proposals",
        verbose_name=_("measure"),
    )  # fmt: skip
    result_report = models.ForeignKey(
        ResultReport, on_delete=models.CASCADE, null=True, blank=True,
        related_name="spacing_proposals", verbose_name=_("result report"),
    )  # fmt: skip
    part = models.CharField(_("part"), max_length=20, choices=Part.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    found = models.TextField(_("text as imported"))
    proposed = models.TextField(_("proposed text"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["pk"]  # as written: title, methods, results, recommendations
        verbose_name = _("spacing proposal")
        verbose_name_plural = _("spacing proposals")
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.measure.number} {self.part} {self.position}"


# The yearly ITA cycle (schemes, results, analyses): its own module, models of this app.
from workflow.assessment import *  # noqa: E402, F403


class ReportIntroduction(WorkflowItem):
    """The opening paragraph of an organization's published report for one fiscal year.

    The text before the table in the paper report ("ตามที่ได้ดำเนินการวิเคราะห์ผลการ
    ประเมิน ITA …"). A workflow item like a measure, owned by the working group: it is
    the group that analyses the ITA result and drafts the measures, and the paragraph says
    what that work found; like an item's text, it is reviewed, approved by the chief
    executive and published, and the public reads only its IntroductionPublication rows.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="report_introductions",
        verbose_name=_("organization"),
    )  # fmt: skip
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="report_introductions",
        verbose_name=_("fiscal year"),
    )  # fmt: skip
    text = models.TextField(_("opening paragraph"))
    # Empty in the versions written before the paragraph was a workflow item, so that
    # their chain links still verify (audit.chain.LATE_COLUMNS).
    revision = models.PositiveIntegerField(
        _("revision"), default=1, null=True,
        help_text=_("Raised each time a published item is revised."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, null=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("updated by"),
    )  # fmt: skip
    history = AuditedHistory()

    class Meta:
        verbose_name = _("opening paragraph")
        verbose_name_plural = _("opening paragraphs")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "fiscal_year"], name="report_introduction_unique_year"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class IntroductionPublication(PublishedCopy):
    """The opening paragraph as the public sees it: a frozen copy made at each publication.

    The public page, the PDF and the XLSX show the newest one (as of a date: the newest
    published by then).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="introduction_publications",
        verbose_name=_("organization"),
    )  # fmt: skip
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="introduction_publications",
        verbose_name=_("fiscal year"),
    )  # fmt: skip
    introduction = models.ForeignKey(
        ReportIntroduction, on_delete=models.PROTECT, related_name="publications",
        verbose_name=_("opening paragraph"),
    )  # fmt: skip
    revision = models.PositiveIntegerField(_("revision"))
    text = models.TextField(_("text as published"))

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("published opening paragraph")
        verbose_name_plural = _("published opening paragraphs")
        indexes = [models.Index(fields=["organization", "fiscal_year", "published_at"])]

    def __str__(self) -> str:
        return f"{self.text[:60]} (r{self.revision})"


class ReportFile(models.Model):
    """A download of the published report (PDF or XLSX), made once per published state.

    `publication` is the newest publication the file shows; a later publication gets
    files of its own, and these stay, so each published state can be retrieved.
    """

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "XLSX"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="report_files",
        verbose_name=_("organization"),
    )  # fmt: skip
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="report_files",
        verbose_name=_("fiscal year"),
    )  # fmt: skip
    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="report_files",
        verbose_name=_("publication"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="reports/")
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        constraints = [
            models.UniqueConstraint(fields=["publication", "kind"], name="report_file_unique"),
        ]

    def __str__(self) -> str:
        return self.file.name


class PublicationVerification(models.Model):
    """The last check of the audit chain up to the link a publication recorded, for its
    public verification page.

    Derived data, made again from the chain at any time: no history, not chained.
    """

    publication = models.OneToOneField(
        Publication, on_delete=models.CASCADE, related_name="verification",
        verbose_name=_("publication"),
    )  # fmt: skip
    checked_at = models.DateTimeField(_("checked at"))
    ok = models.BooleanField(_("intact"))
    entries_checked = models.BigIntegerField(_("entries checked"))
    broken_seq = models.BigIntegerField(_("first broken link"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True)
    # Set by the one request that asked for a new check; others do not ask again meanwhile.
    refresh_requested_at = models.DateTimeField(_("new check requested at"), null=True, blank=True)

    class Meta:
        verbose_name = _("publication verification")
        verbose_name_plural = _("publication verifications")

    def __str__(self) -> str:
        result = "ok" if self.ok else "BROKEN"
        return f"publication {self.publication_id} {result} at {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def refresh_due(self) -> bool:
        """Older than PUBLIC_VERIFY_REFRESH_SECONDS: the page asks for a new check."""
        from django.utils import timezone

        age = timezone.now() - self.checked_at
        return age > dt.timedelta(seconds=settings.PUBLIC_VERIFY_REFRESH_SECONDS)
