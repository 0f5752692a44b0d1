"""Page forms: they read and check what a person typed; the services decide and write."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from workflow import thai
from workflow.models import Division, FiscalYear, ReportingRound

MONTH_CHOICES = [(n, name) for n, name in enumerate(thai.MONTH_NAMES, start=1)]


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
        super().__init__(*args, **kwargs)
        self.fields["divisions"].queryset = Division.objects.filter(
            organization=organization, is_active=True
        )
        if creating:
            self.fields["fiscal_year"].required = True
        else:
            del self.fields["fiscal_year"]

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
