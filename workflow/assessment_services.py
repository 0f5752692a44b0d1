"""Writes of the yearly ITA cycle: last year's result, its analysis, a new year from the last.

The analysis's transitions go through approvals.services.transition_perform like a
measure's; everything here checks its permission in approvals.permissions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.context import acting_as
from workflow import thai
from workflow.assessment import (
    Analysis,
    AnalysisIssue,
    AnalysisPublication,
    AssessmentScheme,
    Indicator,
    IndicatorScore,
    ItaResult,
)
from workflow.models import FiscalYear, Measure, MeasureMethod, Organization, ReportingRound


def _raise(errors: dict) -> None:
    from approvals.exceptions import ValidationFailed

    if errors:
        raise ValidationFailed({k: [str(m) for m in v] for k, v in errors.items()})


def _working_group_check(actor, organization_id: int) -> None:
    from approvals import permissions
    from approvals.exceptions import NotPermitted
    from approvals.models import Role

    if Role.WORKING_GROUP not in permissions.roles_of(actor, organization_id):
        raise NotPermitted()


def _score(value, errors: dict, field_name: str) -> Decimal | None:
    """A score from 0 to 100 with at most two decimals; Thai digits are read too."""
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.setdefault(field_name, []).append(_("Give a score."))
        return None
    try:
        number = Decimal(thai.to_arabic_digits(str(value)).strip().replace(",", ""))
    except InvalidOperation:
        errors.setdefault(field_name, []).append(_("The score must be a number from 0 to 100."))
        return None
    if not number.is_finite() or not Decimal("0") <= number <= Decimal("100"):
        errors.setdefault(field_name, []).append(_("The score must be a number from 0 to 100."))
        return None
    if number != number.quantize(Decimal("0.01")):
        errors.setdefault(field_name, []).append(_("Give the score with at most two decimals."))
        return None
    return number.quantize(Decimal("0.01"))


def _text(value) -> str:
    """Typed text as stored: each line normalised, empty lines dropped, no NUL (which
    PostgreSQL refuses)."""
    lines = str(value or "").replace("\x00", "").splitlines()
    return "\n".join(line for line in map(thai.normalize_text, lines) if line)


def scheme_for(year: int) -> AssessmentScheme:
    from approvals.exceptions import ValidationFailed

    scheme = (
        AssessmentScheme.objects.prefetch_related("bands", "indicators").filter(year=year).first()
    )
    if scheme is None:
        raise ValidationFailed(
            {"year": [str(_("There is no ITA assessment scheme for this year."))]}
        )
    return scheme


# --- last year's ITA result ----------------------------------------------------------------


def ita_result_save(
    *, organization: Organization, year: int, score, indicator_scores: dict, actor
) -> ItaResult:
    """Record (or correct) the ITA score the organization received for `year`.

    `indicator_scores` maps indicator numbers to scores; every indicator of that year's
    scheme needs one. The level is read from the scheme's bands, never typed in.
    """
    _working_group_check(actor, organization.pk)
    scheme = scheme_for(year)
    errors: dict = {}
    total = _score(score, errors, "score")
    indicators = {i.number: i for i in scheme.indicators.all()}
    given = {}
    for key, value in (indicator_scores or {}).items():
        try:
            number = int(thai.to_arabic_digits(str(key)))
        except ValueError:
            number = None
        if number not in indicators:
            errors.setdefault("indicators", []).append(
                _("Indicator %(number)s is not part of this year's assessment.") % {"number": key}
            )
            continue
        checked = _score(value, errors, f"indicator_{number}")
        if checked is not None:
            given[number] = checked
    missing = sorted(set(indicators) - set(given))
    if missing and not any(k.startswith("indicator_") for k in errors):
        errors.setdefault("indicators", []).append(
            _("Give the score of every indicator (missing: %(numbers)s).")
            % {"numbers": ", ".join(str(n) for n in missing)}
        )
    _raise(errors)
    with transaction.atomic(), acting_as(user=actor):
        result = (
            ItaResult.objects.select_for_update()
            .filter(organization=organization, scheme=scheme)
            .first()
        ) or ItaResult(organization=organization, scheme=scheme)
        result.score = total
        result.level = scheme.level_for(total)
        result._history_user = actor
        result.save()
        existing = {s.indicator.number: s for s in result.scores.select_related("indicator")}
        for number, value in given.items():
            row = existing.get(number) or IndicatorScore(
                result=result, indicator=indicators[number]
            )
            if row.pk and row.score == value:
                continue
            row.score = value
            row._history_user = actor
            row.save()
    return result


# --- the analysis -------------------------------------------------------------------------


def analysis_create(*, organization: Organization, fiscal_year: FiscalYear, actor) -> Analysis:
    """Start the analysis of the ITA result of the year before `fiscal_year` (working group)."""
    from approvals.exceptions import ValidationFailed

    _working_group_check(actor, organization.pk)
    result = ItaResult.objects.filter(
        organization=organization, scheme__year=fiscal_year.year - 1
    ).first()
    if result is None:
        raise ValidationFailed(
            {"result": [str(_("Enter the ITA result of the previous year first."))]}
        )
    with transaction.atomic():
        existing = Analysis.objects.filter(organization=organization, fiscal_year=fiscal_year)
        if existing.exists():
            return existing.get()
        analysis = Analysis(
            organization=organization,
            fiscal_year=fiscal_year,
            result=result,
            created_by=actor,
        )
        analysis._history_user = actor
        analysis.save()
    return analysis


def analysis_update(
    *, analysis: Analysis, actor, summary: str | None = None, issues: dict | None = None,
    expected_version: int | None = None,
) -> Analysis:  # fmt: skip
    """Change the summary and the issues per indicator of a drafted analysis.

    `issues` maps indicator numbers to text; an empty text removes that indicator's issues.
    """
    from approvals import permissions
    from approvals.exceptions import StaleVersion

    with transaction.atomic(), acting_as(user=actor):
        locked = Analysis.objects.select_for_update(of=("self",)).get(pk=analysis.pk)
        permissions.authorize_edit(actor, locked, "analysis")
        if expected_version is not None and locked.version != expected_version:
            raise StaleVersion()
        indicators = {i.number: i for i in locked.result.scheme.indicators.all()}
        errors: dict = {}
        cleaned = {}
        for key, text in (issues or {}).items():
            try:
                number = int(thai.to_arabic_digits(str(key)))
            except ValueError:
                number = None
            if number not in indicators:
                errors.setdefault("issues", []).append(
                    _("Indicator %(number)s is not part of this year's assessment.")
                    % {"number": key}
                )
                continue
            cleaned[number] = _text(text)
        _raise(errors)
        if summary is not None:
            locked.summary = _text(summary)
        locked.version += 1
        locked._history_user = actor
        locked.save()
        existing = {i.indicator.number: i for i in locked.issues.select_related("indicator")}
        for number, text in cleaned.items():
            row = existing.get(number)
            if not text:
                if row is not None:
                    row._history_user = actor
                    row.delete()
                continue
            if row is not None and row.text == text:
                continue
            row = row or AnalysisIssue(analysis=locked, indicator=indicators[number])
            row.text = text
            row._history_user = actor
            row.save()
    return locked


def analysis_publication_create(*, analysis: Analysis, published_by) -> AnalysisPublication:
    """Freeze the analysis as published now; the public pages read only these rows."""
    from audit.chain import head_for
    from audit.models import TransitionLog
    from workflow import assessment_selectors

    approval = (
        TransitionLog.objects.filter(analysis_id=analysis.pk, action="approve")
        .order_by("-created_at", "-id")
        .first()
    )
    from workflow.documents import report_files_refresh

    # the PDF and XLSX show the published analysis too: the stored ones are made again
    transaction.on_commit(
        lambda: report_files_refresh(
            organization_id=analysis.organization_id, fiscal_year_id=analysis.fiscal_year_id
        )
    )
    return AnalysisPublication.objects.create(
        organization_id=analysis.organization_id,
        fiscal_year_id=analysis.fiscal_year_id,
        analysis=analysis,
        revision=analysis.revision,
        content=assessment_selectors.analysis_snapshot(analysis),
        approved_by=approval.actor if approval else None,
        approved_at=approval.created_at if approval else None,
        published_by=published_by,
        published_at=timezone.now(),
        chain_head=head_for(analysis.organization_id),
    )


def measure_indicators_set(*, measure: Measure, actor, indicator_ids) -> Measure:
    """Name the ITA indicators a drafted measure addresses (of its fiscal year's scheme)."""
    from approvals import permissions

    ids = sorted({int(i) for i in indicator_ids or ()})
    with transaction.atomic(), acting_as(user=actor):
        locked = Measure.objects.select_for_update(of=("self",)).get(pk=measure.pk)
        permissions.authorize_edit(actor, locked, "measure")
        allowed = set(
            Indicator.objects.filter(scheme__year=locked.fiscal_year.year, pk__in=ids).values_list(
                "pk", flat=True
            )
        )
        if allowed != set(ids):
            _raise({"indicator_ids": [_("Unknown indicator for this fiscal year.")]})
        if set(locked.indicators.values_list("pk", flat=True)) != allowed:
            locked.version += 1
            locked._history_user = actor
            locked.save(update_fields=["version", "updated_at"])
            locked.indicators.set(ids)
    return locked


# --- a new year from the last -------------------------------------------------------------


@dataclass
class YearOpened:
    fiscal_year: FiscalYear
    created: list = field(default_factory=list)
    already_carried: list = field(default_factory=list)
    rounds_created: list = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} measure(s) carried into {self.fiscal_year.year}, "
            f"{len(self.already_carried)} already there, "
            f"{len(self.rounds_created)} reporting round(s) created"
        )


def _shifted(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def origin_reason(measure: Measure) -> str:
    return (
        f"คัดลอกจากมาตรการข้อ {thai.to_thai_digits(measure.number)}"
        f" ปีงบประมาณ {thai.to_thai_digits(measure.fiscal_year.year)}"
    )


def fiscal_year_open(
    *, organization: Organization, from_year: int, to_year: int, actor=None,
    measure_ids=None, system_actor: str = "",
) -> YearOpened:  # fmt: skip
    """Open fiscal year `to_year` from `from_year`: carry its measures over as drafts.

    Each chosen measure of `from_year` (all by default) becomes a drafted measure of
    `to_year` with its methods, divisions and indicators (matched by number in the new
    year's scheme), its period a year later, and its origin in its history; the reporting
    rounds come along with their due dates a year later. Nothing of `from_year` changes.
    Running it again copies nothing twice. `actor` None: a server command (`system_actor`).
    """
    from approvals.exceptions import ValidationFailed

    if actor is not None:
        _working_group_check(actor, organization.pk)
    if to_year != from_year + 1:
        raise ValidationFailed(
            {"to_year": [str(_("A new fiscal year is opened from the year just before it."))]}
        )
    source = FiscalYear.objects.filter(year=from_year).first()
    if source is None:
        raise ValidationFailed({"from_year": [str(_("This fiscal year does not exist."))]})
    measures = (
        Measure.objects.filter(organization=organization, fiscal_year=source)
        .select_related("fiscal_year")
        .prefetch_related("methods", "divisions", "indicators")
        .order_by("number")
    )
    if measure_ids is not None:
        wanted = {int(i) for i in measure_ids}
        if not wanted <= set(measures.values_list("pk", flat=True)):
            raise ValidationFailed(
                {"measure_ids": [str(_("Unknown measure of this organization and year."))]}
            )
        measures = measures.filter(pk__in=wanted)
    system = system_actor or ("" if actor is not None else "command:fiscal_year_open")
    with transaction.atomic(), acting_as(user=actor, system=system):
        target, _created = FiscalYear.objects.get_or_create(year=to_year)
        opened = YearOpened(fiscal_year=target)
        new_indicators = {i.number: i for i in Indicator.objects.filter(scheme__year=to_year)}
        carried = dict(
            Measure.objects.select_for_update()
            .filter(organization=organization, fiscal_year=target, carried_from__isnull=False)
            .values_list("carried_from_id", "pk")
        )
        taken = set(
            Measure.objects.filter(organization=organization, fiscal_year=target).values_list(
                "number", flat=True
            )
        )
        for measure in measures:
            if measure.pk in carried:
                opened.already_carried.append(measure)
                continue
            number = measure.number
            if number in taken:
                number = max(taken) + 1
            taken.add(number)
            copy = Measure(
                organization=organization,
                fiscal_year=target,
                number=number,
                title=measure.title,
                period_start=_shifted(measure.period_start, 1),
                period_end=_shifted(measure.period_end, 1),
                carried_from=measure,
                created_by=actor,
            )
            # every row written for the copy (the measure, its methods) names its origin
            with acting_as(reason=origin_reason(measure)):
                if actor is not None:
                    copy._history_user = actor
                copy.save()
                for method in measure.methods.all():
                    MeasureMethod.objects.create(
                        measure=copy, position=method.position, text=method.text
                    )
                copy.divisions.set([d.pk for d in measure.divisions.all() if d.is_active])
                copy.indicators.set(
                    [
                        new_indicators[i.number].pk
                        for i in measure.indicators.all()
                        if i.number in new_indicators
                    ]
                )
            opened.created.append(copy)
        names = set(
            ReportingRound.objects.filter(
                organization=organization, fiscal_year=target
            ).values_list("name", flat=True)
        )
        for round_ in ReportingRound.objects.filter(
            organization=organization, fiscal_year=source
        ).order_by("due_on"):
            if round_.name in names:
                continue
            new_round = ReportingRound(
                organization=organization,
                fiscal_year=target,
                name=round_.name,
                months=round_.months,
                due_on=_shifted(round_.due_on, 1),
            )
            if actor is not None:
                new_round._history_user = actor
            new_round.save()
            opened.rounds_created.append(new_round)
    return opened


_TOTAL_MARKS = ("รวม", "total", "ita")


def ita_result_import(
    *, organization: Organization, year: int, source, source_name: str | None = None, actor
) -> ItaResult:
    """Read an ITA result from a CSV or XLSX file and record it like the form does.

    One row per indicator: its number first ("1", "๑", "1. การปฏิบัติหน้าที่"), its score in
    the last filled cell; a row starting with "รวม" / "คะแนนรวม" / "Total" gives the total
    score. Other rows (headings) are skipped. A file with any error records nothing.
    """
    import re

    from workflow.importing.errors import ReportImportError
    from workflow.importing.readers import table_read

    table = table_read(source, source_name=source_name)  # CSV, XLSX or tab-separated text
    total, scores = None, {}
    for row in table.rows:
        cells = [thai.to_arabic_digits(thai.normalize_text(c)).strip() for c in row.cells]
        filled = [c for c in cells if c]
        if len(filled) < 2:
            continue
        head = filled[0].lower()
        number = re.match(r"^(?:ตัวชี้วัดที่\s*)?(\d{1,2})(?:[.\s]|$)", filled[0])
        if number is None and not any(mark in head for mark in _TOTAL_MARKS):
            continue
        value = filled[-1].replace(",", "")
        try:
            Decimal(value)
        except InvalidOperation:
            raise table.error(
                f"คะแนน {value!r} ไม่ใช่ตัวเลข", f"the score {value!r} is not a number", row.line
            ) from None
        if number is None:
            total = value
        elif int(number.group(1)) in scores:
            raise table.error(
                f"ตัวชี้วัดที่ {number.group(1)} ซ้ำ",
                f"indicator {number.group(1)} appears twice",
                row.line,
            )
        else:
            scores[int(number.group(1))] = value
    if total is None:
        raise ReportImportError(
            "ไม่พบแถวคะแนนรวม (แถวที่ขึ้นต้นด้วย “รวม” หรือ “คะแนนรวม”)",
            "no total row found (a row starting with “รวม”, “คะแนนรวม” or “Total”)",
        )
    return ita_result_save(
        organization=organization, year=year, score=total, indicator_scores=scores, actor=actor
    )
