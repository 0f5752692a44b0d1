"""The auditor's filters, shared by the pages and the API."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.selectors import LogFilter

MAX_ID = 2**63 - 1
# The log's days: wide enough for any record, narrow enough that the day after the last one
# (an inclusive `date_to` becomes the start of the next day) is still a date.
LOG_DAYS = [MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(9998, 12, 31))]


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class LogFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, validators=LOG_DAYS)
    date_to = forms.DateField(label=_("To (inclusive)"), required=False, validators=LOG_DAYS)
    person = forms.IntegerField(
        label=_("Person (id)"), required=False, min_value=1, max_value=MAX_ID
    )
    division = forms.IntegerField(
        label=_("Division (id)"), required=False, min_value=1, max_value=MAX_ID
    )
    measure = forms.IntegerField(
        label=_("Measure (id)"), required=False, min_value=1, max_value=MAX_ID
    )
    report = forms.IntegerField(
        label=_("Result report (id)"), required=False, min_value=1, max_value=MAX_ID
    )
    action = forms.CharField(label=_("Action"), required=False, max_length=20)
    after = forms.CharField(required=False, widget=forms.HiddenInput)
    limit = forms.IntegerField(required=False, min_value=1, max_value=500, widget=forms.HiddenInput)

    def log_filter(self, organization_id: int) -> LogFilter:
        data = self.cleaned_data
        date_to = data.get("date_to")
        return LogFilter(
            organization_id=organization_id,
            date_from=_day_start(data.get("date_from")),
            date_to=_day_start(date_to + dt.timedelta(days=1)) if date_to else None,
            actor_id=data.get("person"),
            division_id=data.get("division"),
            measure_id=data.get("measure"),
            result_report_id=data.get("report"),
            action=data.get("action") or None,
        )


class TimelineForm(forms.Form):
    """Which page of an item's timeline: `after` is the cursor of the older page."""

    after = forms.CharField(required=False, max_length=200)
    limit = forms.IntegerField(required=False, min_value=1, max_value=100)


class AsOfForm(forms.Form):
    at = forms.DateTimeField(label=_("As of"), required=False)
    year = forms.IntegerField(
        label=_("Fiscal year (BE)"), required=False, min_value=2500, max_value=2700
    )

    def clean_at(self):
        at = self.cleaned_data.get("at")
        for validator in LOG_DAYS if at else ():
            validator(at.date())
        return at

    def moment(self) -> dt.datetime:
        at = self.cleaned_data.get("at") or timezone.now()
        return timezone.make_aware(at) if timezone.is_naive(at) else at
