"""Reads of the yearly ITA cycle: an analysis as shown (and frozen when published), the
indicators left without a measure, the published analysis and its chart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q

from workflow.assessment import (
    Analysis,
    AnalysisPublication,
    AssessmentScheme,
    ItaResult,
    OitItem,
)
from workflow.models import FiscalYear, Measure, Organization


def _scores(result: ItaResult | None) -> dict[int, Decimal]:
    if result is None:
        return {}
    return {s.indicator.number: s.score for s in result.scores.select_related("indicator")}


def analysis_snapshot(analysis: Analysis) -> dict:
    """The analysis as the public sees it: the result, per indicator its score, the year
    before's, the issues and the measures of this year that answer it."""
    result = analysis.result
    scheme = AssessmentScheme.objects.prefetch_related("tools__indicators", "bands").get(
        pk=result.scheme_id
    )
    previous = (
        ItaResult.objects.filter(
            organization_id=analysis.organization_id, scheme__year=scheme.year - 1
        )
        .select_related("scheme")
        .first()
    )
    scores, previous_scores = _scores(result), _scores(previous)
    issues = {i.indicator.number: i.text for i in analysis.issues.select_related("indicator")}
    answering: dict[int, list[dict]] = {}
    measures = (
        Measure.objects.filter(
            organization_id=analysis.organization_id, fiscal_year_id=analysis.fiscal_year_id
        )
        .prefetch_related("indicators")
        .order_by("number")
    )
    for measure in measures:
        for number in sorted({i.number for i in measure.indicators.all()}):
            answering.setdefault(number, []).append(
                {"number": measure.number, "title": measure.title}
            )
    tools = []
    for tool in scheme.tools.all():
        rows = []
        for indicator in tool.indicators.all():
            score = scores.get(indicator.number)
            rows.append(
                {
                    "number": indicator.number,
                    "name_th": indicator.name_th,
                    "name_en": indicator.name_en,
                    "score": str(score) if score is not None else None,
                    "previous_score": (
                        str(previous_scores[indicator.number])
                        if indicator.number in previous_scores
                        else None
                    ),
                    "below_pass": score is not None and score < scheme.pass_mark,
                    "issues": issues.get(indicator.number, ""),
                    "measures": answering.get(indicator.number, []),
                }
            )
        tools.append(
            {"code": tool.code, "name_th": tool.name_th, "name_en": tool.name_en, "rows": rows}
        )
    fiscal_year = FiscalYear.objects.get(pk=analysis.fiscal_year_id)
    return {
        "fiscal_year": fiscal_year.year,
        "year_assessed": scheme.year,
        "score": str(result.score),
        "level": result.level,
        "pass_mark": str(scheme.pass_mark),
        "previous": (
            {
                "year": previous.scheme.year,
                "score": str(previous.score),
                "level": previous.level,
            }
            if previous
            else None
        ),
        "summary": analysis.summary,
        "tools": tools,
    }


def indicators_unanswered(snapshot: dict) -> list[dict]:
    """Indicators scored below the pass mark that no measure of the year answers."""
    return [
        row
        for tool in snapshot["tools"]
        for row in tool["rows"]
        if row["below_pass"] and not row["measures"]
    ]


def analyses_of(*, user) -> list[Analysis]:
    """The analyses of the organizations the person belongs to, newest year first."""
    from workflow.selectors import organization_ids_of

    return list(
        Analysis.objects.filter(organization_id__in=organization_ids_of(user))
        .select_related("organization", "fiscal_year", "result__scheme")
        .order_by("organization__name", "-fiscal_year__year")
    )


def ita_results_of(*, organization: Organization) -> list[ItaResult]:
    return list(
        ItaResult.objects.filter(organization=organization)
        .select_related("scheme")
        .prefetch_related("scores__indicator")
        .order_by("-scheme__year")
    )


# --- the public side ----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    value: str
    label_x: float


@dataclass(frozen=True)
class ChartRow:
    number: int
    name_th: str
    name_en: str
    label_y: float
    current: Bar | None
    previous: Bar | None


@dataclass(frozen=True)
class Chart:
    """Horizontal bars per indicator, this assessment against the one before, in SVG units."""

    width: int
    height: int
    plot_x: int
    plot_width: int
    pass_x: float
    rows: list[ChartRow]


CHART_WIDTH, PLOT_X, PLOT_RIGHT, ROW_HEIGHT, TOP = 320, 6, 46, 50, 30


def analysis_chart(content: dict) -> Chart:
    """The chart of an analysis, laid out for a phone-wide view box (scores 0–100)."""
    plot_width = CHART_WIDTH - PLOT_X - PLOT_RIGHT

    def x_of(value: Decimal) -> float:
        return round(float(value) / 100 * plot_width, 1)

    def bar(value: str | None, y: float) -> Bar | None:
        if value is None:
            return None
        width = x_of(Decimal(value))
        return Bar(y=y, width=width, value=value, label_x=PLOT_X + width + 3)

    rows = []
    for index, row in enumerate(r for tool in content["tools"] for r in tool["rows"]):
        top = TOP + index * ROW_HEIGHT
        rows.append(
            ChartRow(
                number=row["number"],
                name_th=row["name_th"],
                name_en=row["name_en"],
                label_y=top + 13,
                current=bar(row["score"], top + 17),
                previous=bar(row["previous_score"], top + 31),
            )
        )
    return Chart(
        width=CHART_WIDTH,
        height=TOP + len(rows) * ROW_HEIGHT + 18,
        plot_x=PLOT_X,
        plot_width=plot_width,
        pass_x=PLOT_X + x_of(Decimal(content["pass_mark"])),
        rows=rows,
    )


@dataclass(frozen=True)
class PublicAnalysis:
    publication: AnalysisPublication
    content: dict
    chart: Chart

    @property
    def measures_by_number(self) -> list[tuple[int, str, list[int]]]:
        """Each measure named in the analysis, with the indicators it answers."""
        found: dict[int, tuple[str, set[int]]] = {}
        for tool in self.content["tools"]:
            for row in tool["rows"]:
                for measure in row["measures"]:
                    entry = found.setdefault(measure["number"], (measure["title"], set()))
                    entry[1].add(row["number"])
        return [(n, t, sorted(ns)) for n, (t, ns) in sorted(found.items())]


def public_analysis(*, organization: Organization, fiscal_year: FiscalYear):
    """The analysis of the year as last published, or None; reads published rows only."""
    if organization.pk is None or fiscal_year.pk is None:
        return None  # a document drawn from rows of no stored report (a layout test)
    publication = (
        AnalysisPublication.objects.filter(organization=organization, fiscal_year=fiscal_year)
        .select_related("approved_by")
        .order_by("-published_at", "-pk")
        .first()
    )
    if publication is None:
        return None
    return PublicAnalysis(
        publication=publication,
        content=publication.content,
        chart=analysis_chart(publication.content),
    )


def oit_items(*, fiscal_year: FiscalYear) -> list[OitItem]:
    """The OIT items of the year's assessment under which the report is answered.

    Cached (the public page reads them on every view; the operator changes them once a
    year): saving or deleting an item drops the year's entry in this process
    (workflow.assessment signals); other processes' copies expire within five minutes.
    """
    key = oit_items_cache_key(fiscal_year.year)
    items = cache.get(key)
    if items is None:
        items = list(OitItem.objects.filter(scheme__year=fiscal_year.year).order_by("code"))
        cache.set(key, items, timeout=300)
    return items


def oit_items_cache_key(year: int) -> str:
    return f"ita:oit-items:{year}"


# --- deadlines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """When a round's results are needed: its due date, or the close of the OIT answering
    window when that comes first and the round's period has ended by then."""

    day: object  # datetime.date
    oit_window: bool = False


def round_deadline(reporting_round, scheme: AssessmentScheme | None) -> Deadline:
    from workflow.thai import fiscal_year_bounds

    due = reporting_round.due_on
    if scheme is None or scheme.oit_closes_on is None:
        return Deadline(due)
    start, _end = fiscal_year_bounds(reporting_round.fiscal_year.year)
    month = start.month - 1 + reporting_round.months  # the first month after the period
    period_over = start.replace(year=start.year + month // 12, month=month % 12 + 1)
    if period_over <= scheme.oit_closes_on < due:
        return Deadline(scheme.oit_closes_on, oit_window=True)
    return Deadline(due)


def rounds_with_deadlines(days: list) -> list[tuple[object, Deadline]]:
    """The reporting rounds whose deadline falls on one of `days`, with that deadline."""
    from workflow.models import ReportingRound

    closing_years = list(
        AssessmentScheme.objects.filter(oit_closes_on__in=days).values_list("year", flat=True)
    )
    candidates = ReportingRound.objects.filter(
        Q(due_on__in=days) | Q(fiscal_year__year__in=closing_years)
    ).select_related("fiscal_year")
    schemes = {
        s.year: s
        for s in AssessmentScheme.objects.filter(year__in={r.fiscal_year.year for r in candidates})
    }
    found = []
    for reporting_round in candidates:
        deadline = round_deadline(reporting_round, schemes.get(reporting_round.fiscal_year.year))
        if deadline.day in days:
            found.append((reporting_round, deadline))
    return found
