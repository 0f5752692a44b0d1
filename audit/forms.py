"""The auditor's filters, shared by the pages and the API.

Dates are typed as officials write them (Buddhist Era, Thai digits or not); the API's ISO
forms are accepted too. People, divisions and items are chosen by name.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import present
from audit.selectors import LogFilter
from workflow import thai
from workflow.models import Action, Division, FiscalYear, Measure, ResultReport, State

MAX_ID = 2**63 - 1
# The log's days: wide enough for any record, narrow enough that the day after the last one
# (an inclusive `date_to` becomes the start of the next day) is still a date.
FIRST_DAY, LAST_DAY = dt.date(1957, 1, 1), dt.date(2157, 12, 31)  # BE 2500 to 2700


def log_day_in_range(day: dt.date) -> None:
    """A day the log can hold: BE 2500–2700 (a typo such as 9999 is refused, not searched)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(
            _("Choose a date between %(first)s and %(last)s."),
            code="out_of_range",
            params={"first": present.day_text(FIRST_DAY), "last": present.day_text(LAST_DAY)},
        )


LOG_DAYS = [log_day_in_range]
DATE_HELP = _("dd/mm/yyyy in the Buddhist Era, e.g. 01/12/2569")
DATETIME_HELP = _("dd/mm/yyyy hh:mm in the Buddhist Era, e.g. 01/12/2569 14:30")


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class ThaiDateTimeField(forms.Field):
    """A moment typed as `01/12/2569 14:30`, `1 ธ.ค. 2569` or ISO; a date alone is its end.

    "As of 1 Dec" means what was there when that day was over.
    """

    widget = forms.TextInput
    date_only = False
    default_error_messages = {
        "invalid": _("The date could not be read. Write it as %(form)s."),
        "christian_era": _("Write the year in the Buddhist Era (e.g. 2569), as %(form)s."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_text = DATE_HELP if self.date_only else DATETIME_HELP
        self.widget.attrs.update(
            {
                "data-be-date": "date" if self.date_only else "datetime",
                "placeholder": "วว/ดด/ปปปป" if self.date_only else "วว/ดด/ปปปป ชช:นน",
                "autocomplete": "off",
                "inputmode": "numeric",
            }
        )

    def prepare_value(self, value):
        """Shown back in the official's form (BE), whatever form it came in (ISO links)."""
        if isinstance(value, str) and value.strip():
            try:
                value = self.to_python(value)
            except forms.ValidationError:
                return value  # as typed, beside its error
        if isinstance(value, dt.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            text = f"{local:%d/%m}/{thai.be_year(local.year)}"
            if local.time() == dt.time.max:
                return text  # a whole day, as it was typed
            text += f" {local:%H:%M}"
            if local.second or local.microsecond:
                text += f":{local:%S}" + (f".{local:%f}" if local.microsecond else "")
            return text
        if isinstance(value, dt.date):
            return f"{value:%d/%m}/{thai.be_year(value.year)}"
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            moment, has_time = thai.parse_datetime(str(value))
        except thai.DateError as error:
            code = "christian_era" if "Buddhist" in str(error) else "invalid"
            raise forms.ValidationError(
                self.error_messages[code], code=code, params={"form": self.help_text}
            ) from error
        if self.date_only:
            return moment.date()
        if not has_time:
            moment = dt.datetime.combine(moment.date(), dt.time.max)
        return timezone.make_aware(moment)


class ThaiDateField(ThaiDateTimeField):
    date_only = True


def _choice(label, choices, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, required=False, coerce=int, empty_value=None,
        choices=[("", "—"), *choices],
        widget=forms.Select(attrs={"data-searchable": "1"}), **kwargs,
    )  # fmt: skip


def action_choices() -> list[tuple[str, str]]:
    return [(code, present.action_text(code)) for code in present.HISTORY_ACTIONS] + [
        (code, present.action_text(code)) for code in Action.values
    ]


def people_choices(organization_id: int) -> list[tuple[int, str]]:
    """Everyone who holds or held a role in the organization, or acted in it as deputy."""
    from approvals.models import Delegation, Membership

    roles: dict[int, list[str]] = {}
    for user_id, role in Membership.objects.filter(organization_id=organization_id).values_list(
        "user_id", "role"
    ):
        roles.setdefault(user_id, []).append(present.role_text(role))
    deputies = Delegation.objects.filter(organization_id=organization_id).values_list(
        "deputy_id", flat=True
    )
    ids = set(roles) | set(deputies)
    users = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .values_list("pk", "first_name", "last_name", "username")
    )
    positions = present.Positions(organization_id, ids)  # their position now, then the roles
    named = [
        (
            pk, present.full_name(first, last, username),
            ", ".join([p for p in [positions.at(pk)] if p] + sorted(roles.get(pk, []))),
        )
        for pk, first, last, username in users
    ]  # fmt: skip
    return [
        (pk, f"{name} ({role})" if role else name)
        for pk, name, role in sorted(named, key=lambda n: n[1])
    ]


def measure_choices(organization_id: int) -> list[tuple[int, str]]:
    measures = Measure.objects.filter(organization_id=organization_id).order_by(
        "-fiscal_year__year", "number"
    )
    return [
        (pk, f"{present.number_text(year)} · {present.measure_label(number)} {title[:60]}")
        for pk, year, number, title in measures.values_list(
            "pk", "fiscal_year__year", "number", "title"
        )
    ]


def report_choices(organization_id: int) -> list[tuple[int, str]]:
    reports = ResultReport.objects.filter(measure__organization_id=organization_id).order_by(
        "-measure__fiscal_year__year", "measure__number", "reporting_round__due_on"
    )
    return [
        (pk, f"{present.number_text(year)} · {present.report_label(number, round_name)}")
        for pk, year, number, round_name in reports.values_list(
            "pk", "measure__fiscal_year__year", "measure__number", "reporting_round__name"
        )
    ]


class LogFilterForm(forms.Form):
    date_from = ThaiDateField(label=_("From"), required=False, validators=LOG_DAYS)
    date_to = ThaiDateField(label=_("To (inclusive)"), required=False, validators=LOG_DAYS)
    person = _choice(_("Person"), [])
    division = _choice(_("Division"), [])
    measure = _choice(_("Measure"), [])
    report = _choice(_("Result report"), [])
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[])
    state = forms.ChoiceField(
        label=_("Moved to state"), required=False, choices=[("", "—"), *State.choices]
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)
    limit = forms.IntegerField(required=False, min_value=1, max_value=500, widget=forms.HiddenInput)

    FILTERS = ("date_from", "date_to", "person", "division", "measure", "report", "action", "state")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        org_id = organization.pk
        self.fields["person"].choices = [("", "—"), *people_choices(org_id)]
        divisions = Division.objects.filter(organization_id=org_id).order_by("name")
        self.fields["division"].choices = [("", "—"), *divisions.values_list("pk", "name")]
        self.fields["measure"].choices = [("", "—"), *measure_choices(org_id)]
        self.fields["report"].choices = [("", "—"), *report_choices(org_id)]
        self.fields["action"].choices = [("", "—"), *action_choices()]

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
            state=data.get("state") or None,
        )

    def active_filters(self) -> list[tuple[str, str, str]]:
        """(label, value as read, query without it): the filters shown and removable."""
        if not self.is_valid():
            return []
        active = []
        kept = {n: self.data.get(n) for n in self.FILTERS if self.data.get(n)}
        for name in self.FILTERS:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            field = self.fields[name]
            if isinstance(value, dt.date):
                text = present.day_text(value)
            else:
                text = str(dict(field.choices).get(value, value))
            rest = urlencode({n: v for n, v in kept.items() if n != name})
            active.append((str(field.label), text, rest))
        return active


class TimelineForm(forms.Form):
    """Which page of an item's timeline: `after` is the cursor of the older page."""

    after = forms.CharField(required=False, max_length=200)
    limit = forms.IntegerField(required=False, min_value=1, max_value=100)


class AsOfForm(forms.Form):
    at = ThaiDateTimeField(label=_("As of"), required=False)
    year = forms.TypedChoiceField(
        label=_("Fiscal year (BE)"), required=False, coerce=int, empty_value=None, choices=[]
    )

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        years = FiscalYear.objects.order_by("-year")
        if organization is not None:
            years = years.filter(measures__organization=organization).distinct()
        self.fields["year"].choices = [
            (year, present.number_text(year)) for year in years.values_list("year", flat=True)
        ]

    def clean_at(self):
        at = self.cleaned_data.get("at")
        for validator in LOG_DAYS if at else ():
            validator(at.date())
        return at

    def moment(self) -> dt.datetime:
        return self.cleaned_data.get("at") or timezone.now()
