"""Reads of the plan, with their joins applied so no page's query count grows with its rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.shortcuts import get_object_or_404

from workflow import thai
from workflow.models import Evidence, FiscalYear, Organization, Publication

# The six columns of the published report, spelled exactly as the seed report spells them;
# the importer reads CSV and XLSX files by these headers.
REPORT_COLUMNS = (
    "มาตรการ/แนวทาง",
    "วิธีการดำเนินการ",
    "ผู้รับผิดชอบ",
    "ระยะเวลาดำเนินการ",
    "ผลการดำเนินการ",
    "ข้อเสนอแนะ",
)


def numbered(lines: list[str]) -> list[str]:
    """`๑. …`, `๒. …`: the numbering of the published documents."""
    return [f"{thai.to_thai_digits(n)}. {text}" for n, text in enumerate(lines, start=1)]


def dashed(lines: list[str]) -> list[str]:
    """One name as it is; several as the seed lists them, `-สำนักปลัด`, `-กองคลัง`."""
    return list(lines) if len(lines) < 2 else [f"-{line}" for line in lines]


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class PublicEvidence:
    id: int
    title: str
    content_type: str
    size: int


@dataclass(frozen=True)
class PublicResult:
    """One published result report of a measure (one reporting round)."""

    round_name: str
    items: list[str]
    recommendations: list[str]
    evidence: list[PublicEvidence]
    approved_by: str
    approved_at: dt.datetime | None
    published_at: dt.datetime


@dataclass(frozen=True)
class PublicRow:
    """One measure of the published report, as its last publications froze it."""

    number: int
    title: str
    methods: list[str]
    divisions: list[str]
    period_start: dt.date
    period_end: dt.date
    approved_by: str
    approved_at: dt.datetime | None
    published_at: dt.datetime
    results: list[PublicResult] = field(default_factory=list)

    @property
    def period(self) -> str:
        return thai.format_period(self.period_start, self.period_end)

    def _by_round(self, attribute: str) -> list[str]:
        if len(self.results) == 1:
            return numbered(getattr(self.results[0], attribute))
        lines = []
        for result in self.results:
            if values := getattr(result, attribute):
                lines.append(f"{result.round_name}:")
                lines.extend(numbered(values))
        return lines

    def labelled_cells(self) -> list[tuple[str, list[str]]]:
        """(column header, lines) pairs: a phone shows each row as a card of labelled cells."""
        return list(zip(REPORT_COLUMNS, self.cells(), strict=True))

    def cells(self) -> list[list[str]]:
        """The six columns, each as its lines of text."""
        return [
            [f"{thai.to_thai_digits(self.number)}. {self.title}"],
            numbered(self.methods),
            dashed(self.divisions),
            [self.period],
            self._by_round("items"),
            self._by_round("recommendations"),
        ]


@dataclass(frozen=True)
class PublicReport:
    organization: Organization
    fiscal_year: FiscalYear
    rows: list[PublicRow]
    chain_head: str
    last_published_at: dt.datetime | None
    last_publication_id: int | None = None
    columns: tuple[str, ...] = REPORT_COLUMNS

    @property
    def title(self) -> str:
        return (
            "รายงานผลการดำเนินการมาตรการส่งเสริมคุณธรรมและความโปร่งใส "
            f"ของ{self.organization.name} "
            f"ประจำปีงบประมาณ พ.ศ. {thai.to_thai_digits(self.fiscal_year.year)}"
        )

    @property
    def filename(self) -> str:
        return f"{self.organization.slug}-{self.fiscal_year.year}-ita-measures"

    @property
    def evidence_files(self) -> list[tuple[int, PublicEvidence]]:
        return [(row.number, e) for row in self.rows for r in row.results for e in r.evidence]

    def table(self) -> list[list[str]]:
        """Rows of six cells, each cell its lines joined by new lines (CSV, XLSX)."""
        return [["\n".join(lines) for lines in row.cells()] for row in self.rows]


def _public_result(pub: Publication) -> PublicResult:
    content = pub.content
    return PublicResult(
        round_name=content.get("round", ""),
        items=list(content.get("items", [])),
        recommendations=list(content.get("recommendations", [])),
        evidence=[
            PublicEvidence(
                id=e["id"], title=e["title"], content_type=e["content_type"], size=e["size"]
            )
            for e in content.get("evidence", [])
        ],
        approved_by=person_name(pub.approved_by),
        approved_at=pub.approved_at,
        published_at=pub.published_at,
    )


@dataclass
class PublicMeasure:
    """One row of the public report: a measure as last published, and its results."""

    measure: Publication
    result_reports: list[Publication] = field(default_factory=list)


def public_report(organization: Organization, fiscal_year: FiscalYear) -> list[PublicMeasure]:
    """What the public sees of a year's plan: per measure, its latest Publication and the
    latest Publication of each of its result reports, in measure-number order.

    Only Publication rows are read, so a revision in progress changes nothing here
    until it is published in turn. Two queries whatever the number of measures.
    """
    publications = (
        Publication.objects.filter(organization=organization, fiscal_year=fiscal_year)
        .select_related("approved_by")
        .order_by("-published_at", "-pk")
    )
    latest_measure: dict[int, Publication] = {}
    latest_report: dict[int, Publication] = {}
    for publication in publications.filter(result_report__isnull=True):
        latest_measure.setdefault(publication.measure_id, publication)
    for publication in publications.filter(result_report__isnull=False):
        latest_report.setdefault(publication.result_report_id, publication)
    rows = {
        measure_id: PublicMeasure(measure=publication)
        for measure_id, publication in latest_measure.items()
    }
    for publication in sorted(
        latest_report.values(), key=lambda p: (p.content.get("round_id") or 0, p.pk)
    ):
        row = rows.get(publication.measure_id)
        if row is not None:
            row.result_reports.append(publication)
    return sorted(
        rows.values(), key=lambda r: (r.measure.content.get("number") or 0, r.measure.measure_id)
    )


def public_report_document(*, organization_slug: str, year: int) -> PublicReport:
    """The published report of an organization's fiscal year as the public pages show it.

    Built from `public_report` (Publication rows only): each measure as last published,
    with its last published result reports. Four queries, whatever the size.
    """
    organization = get_object_or_404(Organization, slug=organization_slug)
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    rows, newest = [], None
    for public in public_report(organization, fiscal_year):
        pub, content = public.measure, public.measure.content
        rows.append(
            PublicRow(
                number=content["number"],
                title=content["title"],
                methods=list(content.get("methods", [])),
                divisions=list(content.get("divisions", [])),
                period_start=dt.date.fromisoformat(content["period_start"]),
                period_end=dt.date.fromisoformat(content["period_end"]),
                approved_by=person_name(pub.approved_by),
                approved_at=pub.approved_at,
                published_at=pub.published_at,
                results=[_public_result(p) for p in public.result_reports],
            )
        )
        for candidate in (pub, *public.result_reports):
            if newest is None or (candidate.published_at, candidate.pk) > (
                newest.published_at,
                newest.pk,
            ):
                newest = candidate
    return PublicReport(
        organization=organization,
        fiscal_year=fiscal_year,
        rows=rows,
        chain_head=newest.chain_head if newest else "",
        last_published_at=newest.published_at if newest else None,
        last_publication_id=newest.pk if newest else None,
    )


def public_organizations() -> list[Organization]:
    """Organizations that have published something, for the public index."""
    return list(Organization.objects.filter(publications__isnull=False).distinct())


def public_years(*, organization_slug: str) -> tuple[Organization, list[int]]:
    """The fiscal years (BE) in which an organization has published something."""
    organization = get_object_or_404(Organization, slug=organization_slug)
    years = (
        Publication.objects.filter(organization=organization)
        .order_by("-fiscal_year__year")
        .values_list("fiscal_year__year", flat=True)
        .distinct()
    )
    return organization, list(years)


def public_evidence(*, evidence_id: int) -> Evidence | None:
    """An evidence file, if the last publication of its result report lists it."""
    evidence = Evidence.objects.select_related("report").filter(pk=evidence_id).first()
    if evidence is None:
        return None
    last = (
        Publication.objects.filter(result_report_id=evidence.report_id)
        .order_by("-published_at", "-id")
        .only("content")
        .first()
    )
    if last is None:
        return None
    listed = {e.get("id") for e in last.content.get("evidence", [])}
    return evidence if evidence.pk in listed else None


# --- staff pages ---------------------------------------------------------------------------


def organization_ids_of(user) -> list[int]:
    """The organizations a person works in: memberships, and delegations in force."""
    from approvals.models import Delegation, Membership

    if not user.is_authenticated:
        return []
    ids = set(
        Membership.objects.filter(user=user, is_active=True).values_list(
            "organization_id", flat=True
        )
    )
    ids |= set(Delegation.objects.in_force().filter(deputy=user).values_list(
        "organization_id", flat=True
    ))  # fmt: skip
    return sorted(ids)


@dataclass(frozen=True)
class ItemFilters:
    """The filters of the lists of measures and of result reports."""

    year: int | None = None
    state: str = ""
    division: int | None = None
    round: int | None = None
    q: str = ""


def _filtered(queryset, filters: ItemFilters, *, to_measure: str):
    """Apply the list filters; `to_measure` is the path from the listed model to its measure."""
    conditions = {
        f"{to_measure}fiscal_year__year": filters.year,
        "state": filters.state,
        f"{to_measure}divisions": filters.division,
        f"{to_measure}title__icontains": filters.q,
    }
    if to_measure:
        conditions["reporting_round_id"] = filters.round
    return queryset.filter(**{k: v for k, v in conditions.items() if v}).distinct()


def measure_list(*, user, filters: ItemFilters):
    from workflow.models import Measure

    queryset = (
        Measure.objects.filter(organization_id__in=organization_ids_of(user))
        .select_related("organization", "fiscal_year")
        .prefetch_related("divisions")
        .order_by("-fiscal_year__year", "organization__name", "number")
    )
    return _filtered(queryset, filters, to_measure="")


def result_report_list(*, user, filters: ItemFilters):
    from workflow.models import ResultReport

    queryset = (
        ResultReport.objects.filter(measure__organization_id__in=organization_ids_of(user))
        .select_related("measure__organization", "measure__fiscal_year", "reporting_round")
        .prefetch_related("measure__divisions")
        .order_by("-measure__fiscal_year__year", "reporting_round__due_on", "measure__number")
    )
    return _filtered(queryset, filters, to_measure="measure__")


def filter_choices(*, user) -> dict:
    """Years, divisions and rounds of the person's organizations, for the filter forms."""
    from workflow.models import Division, ReportingRound

    org_ids = organization_ids_of(user)
    return {
        "years": list(
            FiscalYear.objects.filter(measures__organization_id__in=org_ids)
            .distinct()
            .values_list("year", flat=True)
        ),
        "divisions": list(Division.objects.filter(organization_id__in=org_ids, is_active=True)),
        "rounds": list(
            ReportingRound.objects.filter(organization_id__in=org_ids).select_related("fiscal_year")
        ),
    }


@dataclass(frozen=True)
class Waiting:
    """What waits for one role of a person: how many measures and reports, in which state."""

    role: str
    role_label: str
    state: str
    measures: int = 0
    reports: int = 0


def waiting_for(user) -> dict:
    """ "Waiting for me": counts per role held, and the items themselves (approvals' queue)."""
    from approvals.models import Role
    from approvals.selectors import QUEUE_STEPS, queue_for

    entries = queue_for(user)
    counts = {}
    for entry in entries:
        role = Role(entry["role"])
        row = counts.get(role) or Waiting(role.value, str(role.label), entry["state"])
        kind = "measures" if entry["kind"] == "measure" else "reports"
        counts[role] = replace(row, **{kind: getattr(row, kind) + 1})
    held = {Role(r) for r in _roles_held(user)}
    for role, (state, _actions) in QUEUE_STEPS.items():
        if role in held and role not in counts:
            counts[role] = Waiting(role.value, str(role.label), state.value)
    return {"waiting": list(counts.values()), "entries": entries}


def _roles_held(user) -> set[str]:
    from approvals.models import Membership

    return set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "transition" or "edit"
    who: str
    what: str
    comment: str = ""
    role: str = ""
    changes: tuple[str, ...] = ()


def item_timeline(item) -> list[TimelineEntry]:
    """Transitions (with their reasons) and edits of one item, newest first."""
    from audit.models import TransitionLog
    from workflow.models import Action, Measure

    if isinstance(item, Measure):
        logs = TransitionLog.objects.filter(measure=item, result_report__isnull=True)
    elif item._meta.model_name == "analysis":
        logs = TransitionLog.objects.filter(analysis_id=item.pk)
    else:
        logs = TransitionLog.objects.filter(result_report=item)
    entries = [
        TimelineEntry(
            at=log.created_at,
            kind="transition",
            who=person_name(log.actor) or log.system_actor,
            what=str(Action(log.action).label) if log.action in Action.values else log.action,
            comment=log.comment,
            role=log.role,
        )
        for log in logs.select_related("actor")
    ]
    actions = set(Action.values)
    records = list(item.history.select_related("history_user").order_by("history_date"))
    previous = None
    for record in records:
        reason = (record.history_change_reason or "").split(":", 1)[0]
        if reason not in actions:
            changes = ()
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(previous, excluded_fields=_m2m_names(item))
                fields = [item._meta.get_field(c.field) for c in delta.changes]
                changes = tuple(str(f.verbose_name) for f in fields)
            entries.append(
                TimelineEntry(
                    at=record.history_date,
                    kind="edit",
                    who=person_name(record.history_user),
                    what={"+": "created", "~": "edited", "-": "deleted"}[record.history_type],
                    comment=record.history_change_reason or "",
                    changes=changes,
                )
            )
        previous = record
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _m2m_names(item) -> list[str]:
    return [f.name for f in item._meta.many_to_many]
