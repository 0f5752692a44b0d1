"""Page forms: they read and check what a person typed; the services decide and write."""

from __future__ import annotations

import calendar
import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from workflow import thai
from workflow.models import Division, FiscalYear, ReportingRound

# The months in the order of the fiscal year: ต.ค. … ก.ย.
FISCAL_MONTHS = (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)
MONTH_CHOICES = [(n, thai.MONTH_NAMES[n - 1]) for n in FISCAL_MONTHS]


def month_choices() -> list[tuple[int, str]]:
    """The months in fiscal order, named in the page's language."""
    if (get_language() or "th").startswith("en"):
        return [(n, calendar.month_name[n]) for n in FISCAL_MONTHS]
    return MONTH_CHOICES


def _localised_digits(value: int) -> str:
    english = (get_language() or "th").startswith("en")
    return str(value) if english else thai.to_thai_digits(value)


def texts_from(data, name: str) -> list[str]:
    """The non-empty lines of an ordered list field (`methods`, `items`, …), in order."""
    return [text.strip() for text in data.getlist(name) if text.strip()]


class MeasureForm(forms.Form):
    fiscal_year = forms.ModelChoiceField(
        label=_("Fiscal year"), queryset=FiscalYear.objects.all(), required=False
    )
    number = forms.IntegerField(label=_("No."), min_value=1, max_value=999)
    title = forms.CharField(label=_("Measure / approach"), widget=forms.Textarea(attrs={"rows": 3}))
    divisions = forms.ModelMultipleChoiceField(
        label=_("Responsible divisions"),
        queryset=Division.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    start_month = forms.TypedChoiceField(label=_("From month"), choices=MONTH_CHOICES, coerce=int)
    start_year = forms.IntegerField(label=_("year (BE)"), min_value=2500, max_value=2700)
    end_month = forms.TypedChoiceField(label=_("To month"), choices=MONTH_CHOICES, coerce=int)
    end_year = forms.IntegerField(label=_("year (BE)"), min_value=2500, max_value=2700)

    def __init__(self, *args, organization, creating: bool, **kwargs):
        if creating:
            kwargs.setdefault("initial", self.initial_for_year(organization))
        super().__init__(*args, **kwargs)
        self.fields["divisions"].queryset = Division.objects.filter(
            organization=organization, is_active=True
        )
        self.fields["start_month"].choices = month_choices()
        self.fields["end_month"].choices = month_choices()
        if creating:
            self.fields["fiscal_year"].required = True
            self.fields["fiscal_year"].empty_label = None if self.initial else "–"
        else:
            del self.fields["fiscal_year"]

    @staticmethod
    def initial_for_year(organization) -> dict:
        """A new measure's defaults: the current (or latest) fiscal year, all of it."""
        years = list(FiscalYear.objects.filter(rounds__organization=organization).distinct())
        years = years or list(FiscalYear.objects.all())
        if not years:
            return {}
        current = thai.fiscal_year_of(timezone.localdate())
        year = next((y for y in years if y.year == current), max(years, key=lambda y: y.year))
        return {
            "fiscal_year": year,
            "start_month": 10,
            "start_year": year.year - 1,
            "end_month": 9,
            "end_year": year.year,
        }

    @staticmethod
    def initial_for(measure) -> dict:
        return {
            "number": measure.number,
            "title": measure.title,
            "divisions": list(measure.divisions.all()),
            "start_month": measure.period_start.month,
            "start_year": thai.be_year(measure.period_start.year),
            "end_month": measure.period_end.month,
            "end_year": thai.be_year(measure.period_end.year),
        }

    def period(self) -> tuple[dt.date, dt.date]:
        data = self.cleaned_data
        return (
            dt.date(thai.ce_year(data["start_year"]), data["start_month"], 1),
            dt.date(thai.ce_year(data["end_year"]), data["end_month"], 1),
        )


class ResultReportCreateForm(forms.Form):
    reporting_round = forms.ModelChoiceField(
        label=_("Reporting round"), queryset=ReportingRound.objects.none()
    )

    def __init__(self, *args, measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_round"].queryset = ReportingRound.objects.filter(
            organization_id=measure.organization_id, fiscal_year_id=measure.fiscal_year_id
        ).exclude(result_reports__measure=measure)


class EvidenceForm(forms.Form):
    title = forms.CharField(label=_("Title of the file"), max_length=300)
    file = forms.FileField(label=_("File (PDF, JPEG, PNG, DOCX, XLSX)"))

    @staticmethod
    def limits() -> dict:
        """What the page says beside the field: the kinds of file and the largest size."""
        from django.conf import settings

        return {
            "kinds": "PDF, JPEG, PNG, DOCX, XLSX",
            "max_mb": settings.EVIDENCE_MAX_BYTES // 2**20,
        }


class PublicationScheduleForm(forms.Form):
    """A moment of publication as Thai officials write it: day, month, BE year, time."""

    day = forms.TypedChoiceField(label=_("Day"), coerce=int)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int)
    year = forms.IntegerField(label=_("year (BE)"), min_value=2500, max_value=2700)
    hour = forms.TypedChoiceField(label=_("Hour (24-hour clock)"), coerce=int)
    minute = forms.TypedChoiceField(label=_("Minute"), coerce=int)

    def __init__(self, *args, **kwargs):
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        kwargs.setdefault(
            "initial",
            {
                "day": tomorrow.day,
                "month": tomorrow.month,
                "year": thai.be_year(tomorrow.year),
                "hour": 9,
                "minute": 0,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [(d, _localised_digits(d)) for d in range(1, 32)]
        self.fields["month"].choices = month_choices()
        self.fields["hour"].choices = [(h, _localised_digits(f"{h:02}")) for h in range(24)]
        self.fields["minute"].choices = [(m, _localised_digits(f"{m:02}")) for m in range(0, 60, 5)]

    def clean(self):
        data = super().clean()
        if {"day", "month", "year", "hour", "minute"} - set(data):
            return data
        try:
            day = dt.date(thai.ce_year(data["year"]), data["month"], data["day"])
        except ValueError:
            self.add_error("day", _("That month has no such day."))
            return data
        moment = timezone.make_aware(
            dt.datetime.combine(day, dt.time(data["hour"], data["minute"]))
        )
        if moment <= timezone.now():
            self.add_error("hour", _("The moment of publication must lie in the future."))
        data["publish_at"] = moment
        return data
