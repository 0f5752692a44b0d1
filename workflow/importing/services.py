"""Write a parsed report as drafted measures and result reports, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from workflow import thai
from workflow.importing.errors import ReportImportError
from workflow.importing.parser import ParsedMeasure, ParsedReport, report_parse
from workflow.importing.readers import Source
from workflow.models import (
    Division,
    FiscalYear,
    Measure,
    MeasureMethod,
    Organization,
    Recommendation,
    ReportingRound,
    ResultItem,
    ResultReport,
    SpacingProposal,
    name_problem,
)
from workflow.services import spacing_proposals_accept, spacing_proposals_create
from workflow.text import TEXT_MAX_LENGTH

# What a division cell may add after the name: `สำนักปลัด อบต.` is สำนักปลัด.
_ORGANIZATION_SUFFIXES = ("องค์การบริหารส่วนตำบล", "อบต.", "อบต", "ทต.", "ทม.", "ทน.", "เทศบาล")


@dataclass
class ImportResult:
    report: ParsedReport
    measures: list[Measure]
    result_reports: list[ResultReport]
    reporting_round: ReportingRound | None
    created_divisions: list[Division] = field(default_factory=list)
    spacing_proposals: list[SpacingProposal] = field(default_factory=list)
    spacing_repaired: int = 0

    @property
    def methods_count(self) -> int:
        return sum(len(m.methods) for m in self.report.measures)

    @property
    def results_count(self) -> int:
        return sum(len(m.results) for m in self.report.measures)

    @property
    def recommendations_count(self) -> int:
        return sum(len(m.recommendations) for m in self.report.measures)

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        text = (
            f"{len(self.measures)} measures, {self.methods_count} methods, "
            f"{len(self.result_reports)} result reports with {self.results_count} results "
            f"and {self.recommendations_count} recommendations"
        )
        if self.reporting_round:
            text += f" (round: {self.reporting_round.name})"
        if self.spacing_proposals:
            text += f"; {len(self.spacing_proposals)} texts with line-wrap spaces"
            text += (
                f" (repaired: {self.spacing_repaired})"
                if self.spacing_repaired
                else " (proposals to review)"
            )
        if self.created_divisions:
            text += "; new divisions: " + ", ".join(d.name for d in self.created_divisions)
        return text


def report_import(
    *,
    source: Source,
    organization: Organization,
    fiscal_year: FiscalYear | int,
    reporting_round: ReportingRound | None = None,
    create_missing_divisions: bool = False,
    actor=None,
    source_name: str | None = None,
    repair_spaces: bool = False,
) -> ImportResult:
    """Import a measures report as drafted items; a file with any error imports nothing.

    Each text is stored as the file has it, with a proposal beside it without the PDF's
    line-wrap spaces; `repair_spaces` accepts them all at once in the name of `actor`.
    """
    report = report_parse(source, source_name=source_name)
    if not isinstance(fiscal_year, FiscalYear):
        fiscal_year = _fiscal_year(fiscal_year)
    reason = f"imported from {report.source_name}"
    if repair_spaces and actor is None:
        raise ReportImportError(
            "การแก้ไขช่องว่างจากการตัดบรรทัดต้องระบุผู้ยอมรับการแก้ไข (คณะทำงาน)",
            "repairing the line-wrap spaces needs the person who accepts it "
            "(a working group member)",
        )

    def error(reason_th: str, reason_en: str, line: int | None) -> ReportImportError:
        return ReportImportError(reason_th, reason_en, line=line, unit=report.unit)

    with transaction.atomic():
        # One import at a time per organization: the number check below then holds.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        _check_lengths(report, error)
        _check_numbers_free(report, organization, fiscal_year, error)
        _check_periods(report, fiscal_year, error)
        round_ = None
        if report.has_results:
            round_ = _round(organization, fiscal_year, reporting_round)
        matcher = _DivisionMatcher(organization, create_missing_divisions, actor, reason)
        measures, reports, proposals = [], [], []
        for parsed in report.measures:
            refs = _division_refs(parsed)
            divisions = [matcher.resolve(name, line, error) for name, line in refs]
            measure, result_report = _measure_write(
                parsed, organization, fiscal_year, round_, divisions, actor, reason
            )
            measures.append(measure)
            if result_report:
                reports.append(result_report)
            proposals += _spacing_proposals_write(
                parsed, measure, result_report, matcher.names(), actor, reason
            )
        repaired = _spacing_accept_all(proposals, actor) if repair_spaces else 0
        if report.introduction:
            _introduction_write(report.introduction, organization, fiscal_year, actor, reason)
    return ImportResult(
        report=report,
        measures=measures,
        result_reports=reports,
        reporting_round=round_,
        created_divisions=matcher.created,
        spacing_proposals=proposals,
        spacing_repaired=repaired,
    )


def _spacing_proposals_write(parsed, measure, result_report, keep, actor, reason):
    Part = SpacingProposal.Part
    proposals = spacing_proposals_create(
        measure=measure,
        texts={Part.TITLE: [parsed.title], Part.METHOD: parsed.methods},
        keep=keep, actor=actor, reason=reason,
    )  # fmt: skip
    if result_report is not None:
        proposals += spacing_proposals_create(
            measure=measure,
            result_report=result_report,
            texts={Part.RESULT: parsed.results, Part.RECOMMENDATION: parsed.recommendations},
            keep=keep, actor=actor, reason=reason,
        )  # fmt: skip
    return proposals


def _spacing_accept_all(proposals, actor) -> int:
    """`--repair-spaces`: a person accepts every proposal, recorded as their edit."""
    from approvals.exceptions import WorkflowError

    try:
        outcome = spacing_proposals_accept(actor=actor, proposals=proposals)
    except WorkflowError as error:
        raise ReportImportError(error.message_th, error.message_en) from error
    if outcome.refused:
        error = outcome.refusal
        raise ReportImportError(error.message_th, error.message_en) from error
    return outcome.accepted


def _introduction_write(text, organization, fiscal_year, actor, reason) -> None:
    """The file's opening paragraph becomes the year's draft, unless the year has one already;
    like the imported measures it reaches the public once approved and published."""
    from workflow.models import ReportIntroduction

    if ReportIntroduction.objects.filter(
        organization=organization, fiscal_year=fiscal_year
    ).exists():
        return
    introduction = ReportIntroduction(
        organization=organization, fiscal_year=fiscal_year, text=text, updated_by=actor,
        created_by=actor,
    )  # fmt: skip
    _stamped(introduction, actor, reason).save()


def _measure_write(parsed, organization, fiscal_year, round_, divisions, actor, reason):
    """One drafted measure, and its drafted result report when the file has results."""
    measure = Measure(
        organization=organization,
        fiscal_year=fiscal_year,
        number=parsed.number,
        title=parsed.title,
        period_start=parsed.period_start,
        period_end=parsed.period_end,
        created_by=actor,
    )
    _stamped(measure, actor, reason).save()
    measure.divisions.set(_unique(divisions))
    _save_lines(MeasureMethod, "measure", measure, parsed.methods, actor, reason)
    if not (parsed.results or parsed.recommendations):
        return measure, None
    report = ResultReport(measure=measure, reporting_round=round_, created_by=actor)
    _stamped(report, actor, reason).save()
    _save_lines(ResultItem, "report", report, parsed.results, actor, reason)
    _save_lines(Recommendation, "report", report, parsed.recommendations, actor, reason)
    return measure, report


def _fiscal_year(year: int) -> FiscalYear:
    try:
        return FiscalYear.objects.get(year=year)
    except FiscalYear.DoesNotExist:
        raise ReportImportError(
            f"ไม่มีปีงบประมาณ พ.ศ. {year} ในระบบ", f"fiscal year {year} does not exist"
        ) from None


def _check_numbers_free(report, organization, fiscal_year, error) -> None:
    taken = set(
        Measure.objects.filter(
            organization=organization,
            fiscal_year=fiscal_year,
            number__in=[m.number for m in report.measures],
        ).values_list("number", flat=True)
    )
    for parsed in report.measures:
        if parsed.number in taken:
            raise error(
                f"มาตรการข้อ {parsed.number} มีอยู่แล้วในปีงบประมาณ {fiscal_year.year} "
                "ของหน่วยงานนี้ (นำเข้าซ้ำ?)",
                f"measure {parsed.number} already exists in fiscal year {fiscal_year.year} "
                "of this organization (imported twice?)",
                parsed.line,
            )


def _check_periods(report, fiscal_year, error) -> None:
    for parsed in report.measures:
        if not (
            fiscal_year.contains(parsed.period_start) and fiscal_year.contains(parsed.period_end)
        ):
            bounds = thai.format_period(fiscal_year.starts_on, fiscal_year.ends_on, digits="arabic")
            shown = thai.format_period(parsed.period_start, parsed.period_end, digits="arabic")
            raise error(
                f"ระยะเวลา {shown} ของมาตรการข้อ {parsed.number} อยู่นอกปีงบประมาณ "
                f"{fiscal_year.year} ({bounds})",
                f"the period {shown} of measure {parsed.number} lies outside fiscal year "
                f"{fiscal_year.year} ({bounds})",
                parsed.period_line or parsed.line,
            )


def _check_lengths(report, error) -> None:
    """The same limit as the pages and the API (workflow.text) for every text of a measure."""
    for parsed in report.measures:
        texts = [parsed.title, *parsed.methods, *parsed.results, *parsed.recommendations]
        longest = max(map(len, texts), default=0)
        if longest > TEXT_MAX_LENGTH:
            raise error(
                f"ข้อความของมาตรการข้อ {parsed.number} ยาว {longest:,} ตัวอักษร "
                f"เกินกำหนด {TEXT_MAX_LENGTH:,} ตัวอักษร",
                f"a text of measure {parsed.number} is {longest:,} characters long, "
                f"more than the {TEXT_MAX_LENGTH:,} allowed",
                parsed.line,
            )


def _round(organization, fiscal_year, reporting_round) -> ReportingRound:
    """The given round, else the year's only round, else the one due last."""
    if reporting_round is not None:
        if (reporting_round.organization_id, reporting_round.fiscal_year_id) != (
            organization.pk,
            fiscal_year.pk,
        ):
            raise ReportImportError(
                f"รอบการรายงาน '{reporting_round.name}' ไม่ใช่ของหน่วยงานนี้ในปีงบประมาณ "
                f"{fiscal_year.year}",
                f"the reporting round '{reporting_round.name}' does not belong to this "
                f"organization's fiscal year {fiscal_year.year}",
            )
        return reporting_round
    round_ = (
        ReportingRound.objects.filter(organization=organization, fiscal_year=fiscal_year)
        .order_by("-due_on", "-pk")
        .first()
    )
    if round_ is None:
        raise ReportImportError(
            f"ไฟล์มีผลการดำเนินการ แต่ปีงบประมาณ {fiscal_year.year} ของหน่วยงานนี้ยังไม่มี"
            "รอบการรายงาน: สร้างรอบการรายงานก่อน",
            f"the file has results but fiscal year {fiscal_year.year} has no reporting round "
            "for this organization: create one first",
        )
    return round_


class _DivisionMatcher:
    """Finds a division by name as reports spell it; creates it only when asked to."""

    def __init__(self, organization, create_missing, actor, reason):
        self.organization = organization
        self.create_missing = create_missing
        self.actor = actor
        self.reason = reason
        self.created: list[Division] = []
        suffixes = [*_ORGANIZATION_SUFFIXES, organization.short_name, organization.name]
        self.suffix_keys = sorted(
            {Division.key_for(s) for s in suffixes if s}, key=len, reverse=True
        )
        divisions = list(organization.divisions.all())
        # Exact keys win over keys without a suffix (a เทศบาล may have สำนักปลัดเทศบาล).
        self.by_key = {self._bare_key(d.match_key): d for d in divisions}
        self.by_key.update({d.match_key: d for d in divisions})

    def names(self) -> list[str]:
        """The official names of the divisions known so far: their spaces stay."""
        return sorted({d.name for d in self.by_key.values()})

    def resolve(self, name: str, line: int, error) -> Division:
        key = Division.key_for(name)
        for candidate in (key, self._bare_key(key)):
            if candidate in self.by_key:
                return self.by_key[candidate]
        if not self.create_missing:
            known = ", ".join(sorted({d.name for d in self.by_key.values()})) or "-"
            raise error(
                f"ไม่รู้จักหน่วยงาน '{name}' (หน่วยงานที่มี: {known})",
                f"unknown division '{name}' (known: {known})",
                line,
            )
        if name_problem(self._bare_name(name)):
            raise error(
                f"ชื่อหน่วยงาน '{name}' ใช้ไม่ได้: ต้องขึ้นต้นด้วยตัวอักษรหรือตัวเลข",
                f"the division name '{name}' is not a name: it must begin with a letter or a digit",
                line,
            )
        division = _stamped(
            Division(organization=self.organization, name=self._bare_name(name)),
            self.actor,
            self.reason,
        )
        division.save()
        self.by_key[division.match_key] = division
        self.created.append(division)
        return division

    def _bare_key(self, key: str) -> str:
        for suffix in self.suffix_keys:
            if key.endswith(suffix) and len(key) > len(suffix):
                return key[: -len(suffix)]
        return key

    def _bare_name(self, name: str) -> str:
        """The name without a trailing `อบต.` or the organization's name."""
        words = name.split()
        while len(words) > 1 and Division.key_for(words[-1]) in self.suffix_keys:
            words.pop()
        return " ".join(words)


def _division_refs(parsed: ParsedMeasure) -> list[tuple[str, int]]:
    lines = parsed.division_lines or [parsed.line] * len(parsed.division_names)
    return list(zip(parsed.division_names, lines, strict=True))


def _unique(divisions: list[Division]) -> list[Division]:
    return list({d.pk: d for d in divisions}.values())


def _stamped(instance, actor, reason):
    """Who and why for the history row simple-history writes on save."""
    instance._history_user = actor
    instance._change_reason = reason
    return instance


def _save_lines(model, parent_field, parent, texts, actor, reason) -> None:
    for position, text in enumerate(texts, start=1):
        row = model(**{parent_field: parent}, position=position, text=text)
        _stamped(row, actor, reason).save()
