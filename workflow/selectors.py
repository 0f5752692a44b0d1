"""Reads of the plan, with their joins applied so no page's query count grows with its rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.db.models import Count
from django.http import Http404
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
class Signature:
    """The signature block under the report: who approved it, in which capacity, when."""

    name: str
    position: str
    on_behalf_of: str  # "ปฏิบัติราชการแทน นายก…" when a deputy approved under a delegation
    approved_at: dt.datetime | None

    @property
    def approved_on(self) -> str:
        """`๑๕ ตุลาคม ๒๕๖๔`, the day in Thailand's time zone."""
        return thai.format_date(_local(self.approved_at))


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    from django.utils import timezone

    return timezone.localtime(moment) if moment and timezone.is_aware(moment) else moment


def verification_code(chain_head: str) -> str:
    """The first 12 hex digits of a chain head, grouped: `3F2A-91C0-7B4D`."""
    digits = chain_head[:12].upper()
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def signature_of(publication: Publication | None) -> Signature | None:
    """The signature block of a publication's approval (its TransitionLog)."""
    if publication is None or publication.approved_by_id is None:
        return None
    organization = publication.organization
    chief = organization.chief_executive_position
    delegation = publication.approval.delegation if publication.approval else None
    if delegation is not None:
        position = delegation.deputy_position
        on_behalf_of = f"ปฏิบัติราชการแทน {chief}"
    else:
        position, on_behalf_of = chief, ""
    return Signature(
        name=person_name(publication.approved_by),
        position=position,
        on_behalf_of=on_behalf_of,
        approved_at=publication.approved_at,
    )


@dataclass(frozen=True)
class PublicReport:
    organization: Organization
    fiscal_year: FiscalYear
    rows: list[PublicRow]
    chain_head: str
    last_published_at: dt.datetime | None
    last_publication_id: int | None = None
    introduction: str = ""
    signature: Signature | None = None
    columns: tuple[str, ...] = REPORT_COLUMNS

    @property
    def title(self) -> str:
        return f"{self.title_lines[0]} {self.title_lines[1]}"

    @property
    def title_lines(self) -> tuple[str, str]:
        """The heading on two lines, as the paper report sets it."""
        return (
            "รายงานผลการดำเนินการมาตรการส่งเสริมคุณธรรมและความโปร่งใส",
            f"ของ{self.organization.name} "
            f"ประจำปีงบประมาณ พ.ศ. {thai.to_thai_digits(self.fiscal_year.year)}",
        )

    @property
    def verification_code(self) -> str:
        return verification_code(self.chain_head)

    @property
    def published_on(self) -> str:
        return thai.format_date(_local(self.last_published_at))

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


def public_report(
    organization: Organization,
    fiscal_year: FiscalYear,
    *,
    at: dt.datetime | None = None,
    up_to_publication_id: int | None = None,
    measure_id: int | None = None,
) -> list[PublicMeasure]:
    """What the public sees of a year's plan: per measure, its latest Publication and the
    latest Publication of each of its result reports, in measure-number order.

    Only Publication rows are read, so a revision in progress changes nothing here
    until it is published in turn; with `at`, what the public saw at that moment;
    `up_to_publication_id` gives the report as that publication left it.
    Two queries whatever the number of measures.
    """
    publications = (
        Publication.objects.filter(organization=organization, fiscal_year=fiscal_year)
        .select_related("approved_by", "published_by", "approval__delegation")
        .order_by("-published_at", "-pk")
    )
    if at is not None:
        publications = publications.filter(published_at__lte=at)
    if up_to_publication_id is not None:
        publications = publications.filter(pk__lte=up_to_publication_id)
    if measure_id is not None:
        publications = publications.filter(measure_id=measure_id)
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


def public_report_document(
    *,
    organization_slug: str,
    year: int,
    at: dt.datetime | None = None,
    up_to_publication_id: int | None = None,
) -> PublicReport:
    """The published report of an organization's fiscal year as the public pages show it
    (with `at`: as they showed it then).

    Built from `public_report` (Publication rows only): each measure as last published,
    with its last published result reports. Five queries, whatever the size. The opening
    paragraph is the one last published (by `at`); the signature is that of the newest
    approval among the publications shown.
    """
    organization = get_object_or_404(Organization, slug=organization_slug)
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    return report_document(
        organization, fiscal_year, at=at, up_to_publication_id=up_to_publication_id
    )


def report_document(
    organization: Organization, fiscal_year: FiscalYear, *, at=None, up_to_publication_id=None
) -> PublicReport:
    """`public_report_document` for an organization and fiscal year already read."""
    measures = public_report(
        organization, fiscal_year, at=at, up_to_publication_id=up_to_publication_id
    )
    return public_report_built(organization, fiscal_year, measures, at=at)


def public_report_built(
    organization, fiscal_year, measures: list[PublicMeasure], *, at: dt.datetime | None = None
) -> PublicReport:
    """The public document of `public_report`'s rows (read `at` that moment)."""
    rows, newest, approved = [], None, None
    for public in measures:
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
            candidate.organization = organization
            if newest is None or (candidate.published_at, candidate.pk) > (
                newest.published_at,
                newest.pk,
            ):
                newest = candidate
            if candidate.approved_at and (
                approved is None or candidate.approved_at > approved.approved_at
            ):
                approved = candidate
    return PublicReport(
        organization=organization,
        fiscal_year=fiscal_year,
        rows=rows,
        chain_head=newest.chain_head if newest else "",
        last_published_at=newest.published_at if newest else None,
        last_publication_id=newest.pk if newest else None,
        introduction=public_introduction(organization=organization, fiscal_year=fiscal_year, at=at),
        signature=signature_of(approved),
    )


def _unsaved_publication(item, content: dict) -> Publication:
    from django.utils import timezone

    from workflow.models import ResultReport

    is_report = isinstance(item, ResultReport)
    return Publication(
        measure_id=item.measure_id if is_report else item.pk,
        result_report_id=item.pk if is_report else None,
        revision=item.revision,
        content=content,
        published_at=timezone.now(),
    )


def item_preview(item) -> PublicReport:
    """The item's measure as one row of the public report once this version is published.

    Built by the public report's own code from the item's current content in place of its
    last publication; the rest of the row (the measure, or its other rounds' results) is what
    the public sees now, or for a measure never published, its current content, since it is
    published first.
    """
    from workflow.models import ResultReport
    from workflow.services import measure_snapshot, result_report_snapshot

    is_report = isinstance(item, ResultReport)
    measure = item.measure if is_report else item
    public = public_report(measure.organization, measure.fiscal_year, measure_id=measure.pk)
    row = public[0] if public else PublicMeasure(measure=None)
    if not is_report or row.measure is None:
        row.measure = _unsaved_publication(measure, measure_snapshot(measure))
    if is_report:
        others = [p for p in row.result_reports if p.result_report_id != item.pk]
        mine = _unsaved_publication(item, result_report_snapshot(item))
        row.result_reports = sorted(
            [*others, mine], key=lambda p: (p.content.get("round_id") or 0, p.pk or 0)
        )
    return public_report_built(measure.organization, measure.fiscal_year, [row])


def last_publication_of(item) -> Publication | None:
    """What the public sees of this item now, if anything."""
    from workflow.models import ResultReport

    if isinstance(item, ResultReport):
        publications = Publication.objects.filter(result_report=item)
    else:
        publications = Publication.objects.filter(measure=item, result_report__isnull=True)
    return publications.order_by("-published_at", "-pk").first()


def revision_changes(item):
    """For a revision of a published item, what it changes against the published version
    (audit.present's readable diff), or None when the item is no such revision."""
    from audit.present import published_changes
    from workflow.models import ResultReport, State
    from workflow.services import measure_snapshot, result_report_snapshot

    if item.revision < 2 or item.state == State.PUBLISHED:
        return None
    published = last_publication_of(item)
    if published is None:
        return None
    snapshot = result_report_snapshot if isinstance(item, ResultReport) else measure_snapshot
    return published_changes(type(item), published.content, snapshot(item))


def newest_publication(
    *, organization_slug: str, year: int, with_file: str | None = None
) -> Publication:
    """The newest publication of an organization's fiscal year: it names the report's state.

    One query; 404 when nothing of that year is published. `with_file` ("pdf", "xlsx")
    adds the name and digest of the file stored for it, if made (`stored_file`,
    `stored_sha256`), in the same query.
    """
    publications = Publication.objects.filter(
        organization__slug=organization_slug, fiscal_year__year=year
    ).select_related("organization", "fiscal_year")
    if with_file:
        from django.db.models import OuterRef, Subquery

        from workflow.models import ReportFile

        files = ReportFile.objects.filter(publication=OuterRef("pk"), kind=with_file)
        publications = publications.annotate(
            stored_file=Subquery(files.values("file")[:1]),
            stored_sha256=Subquery(files.values("sha256")[:1]),
        )
    publication = publications.order_by("-published_at", "-pk").first()
    if publication is None:
        raise Http404
    return publication


def publication_of_report(*, organization_slug: str, year: int, publication_id: int) -> Publication:
    """One publication of an organization's fiscal year (404 for any other)."""
    return get_object_or_404(
        Publication.objects.select_related("organization", "fiscal_year"),
        pk=publication_id,
        organization__slug=organization_slug,
        fiscal_year__year=year,
    )


def report_verification(*, organization_slug: str, year: int, code: str = "") -> dict:
    """What the verification page shows: the publications with `code` and the newest one
    (`checked`: those whose chain check the page shows), and the year's publications."""
    newest = newest_publication(organization_slug=organization_slug, year=year)
    organization, fiscal_year = newest.organization, newest.fiscal_year
    matches = []
    if code:
        matches = publications_with_code(
            organization=organization, fiscal_year=fiscal_year, code=code
        )
    newest_matched = any(p.pk == newest.pk for p in matches)
    return {
        "report": PublicReport(organization, fiscal_year, [], newest.chain_head, None),
        "code": code,
        "matches": matches,
        "newest": newest,
        "newest_matched": newest_matched,
        "checked": matches if newest_matched else [newest, *matches],
        "publications": list(
            report_publications(organization=organization, fiscal_year=fiscal_year)
        ),
    }


def report_file(*, publication: Publication, kind: str):
    """The stored file of the report as `publication` left it, or None if not made yet."""
    from workflow.models import ReportFile

    return ReportFile.objects.filter(publication=publication, kind=kind).first()


def report_publications(*, organization: Organization, fiscal_year: FiscalYear):
    """The year's publications, newest first: each names one published state of the report."""
    return Publication.objects.filter(organization=organization, fiscal_year=fiscal_year).order_by(
        "-published_at", "-pk"
    )


def publications_with_code(*, organization: Organization, fiscal_year: FiscalYear, code: str):
    """The publications whose verification code is `code` (any grouping or case)."""
    digits = "".join(c for c in code.lower() if c in "0123456789abcdef")[:64]
    if len(digits) < 12:
        return []
    return list(
        report_publications(organization=organization, fiscal_year=fiscal_year).filter(
            chain_head__startswith=digits
        )
    )


def _published_organizations():
    return Organization.objects.filter(first_published_at__isnull=False)


def public_organizations(*, query: str = "", province: str = ""):
    """Organizations that have published something, for the public index, by name: rows
    of name, short name, slug and province.

    `query` matches the name or short name whatever the spaces typed or stored (Thai has
    none between words, and people type some), and ำ however it was encoded.
    """
    organizations = _published_organizations()
    if province:
        organizations = organizations.filter(province=province)
    if thai.search_key(query or ""):
        from workflow.search import organizations_matching

        organizations = organizations.filter(organizations_matching(query))
    return organizations.order_by("name").values("name", "short_name", "slug", "province")


PUBLIC_INDEX_CACHE_SECONDS = 300


def public_index_key() -> str:
    """Changes with every publication, in every process at once (one index probe)."""
    from django.db.models import Max

    return str(Publication.objects.aggregate(newest=Max("pk"))["newest"])


def public_index_counts(key: str) -> tuple[int, list[tuple[str, int]]]:
    """How many organizations have published, in all and per province (`public_provinces`).

    Both read every organization (bench/national.py: they made the index 2× slower at 1,000
    organizations than at one), so they are kept per `public_index_key`: a publication
    changes the key at once in every process; a province edited in the admin shows within
    PUBLIC_INDEX_CACHE_SECONDS.
    """
    from django.core.cache import cache

    counts = cache.get(f"public-index-counts:{key}")
    if counts is None:
        counts = (_published_organizations().count(), public_provinces())
        cache.set(f"public-index-counts:{key}", counts, PUBLIC_INDEX_CACHE_SECONDS)
    return counts


def public_provinces() -> list[tuple[str, int]]:
    """The provinces with published organizations, and how many, in Thai alphabetical order."""
    rows = (
        _published_organizations()
        .exclude(province="")
        .values("province")
        .annotate(count=Count("pk"))
        .order_by("province")
    )
    return [(row["province"], row["count"]) for row in rows]


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


def report_introduction(*, organization: Organization, fiscal_year: FiscalYear):
    """The opening paragraph being written for a year's report, or None."""
    from workflow.models import ReportIntroduction

    return ReportIntroduction.objects.filter(
        organization=organization, fiscal_year=fiscal_year
    ).first()


def public_introduction(
    *, organization: Organization, fiscal_year: FiscalYear, at: dt.datetime | None = None
) -> str:
    """The opening paragraph the public sees (saw `at` that moment): the newest published."""
    from workflow.models import IntroductionPublication

    if organization.pk is None or fiscal_year.pk is None:
        return ""  # a document drawn from rows of no stored report (a layout test)
    publications = IntroductionPublication.objects.filter(
        organization=organization, fiscal_year=fiscal_year
    )
    if at is not None:
        publications = publications.filter(published_at__lte=at)
    text = publications.order_by("-published_at", "-pk").values_list("text", flat=True).first()
    return text or ""


def year_introductions(*, user, year: int):
    """The opening paragraphs of a fiscal year in the person's organizations, for the year page."""
    from workflow.models import ReportIntroduction

    return (
        ReportIntroduction.objects.filter(
            organization_id__in=organization_ids_of(user), fiscal_year__year=year
        )
        .select_related("organization", "fiscal_year")
        .order_by("organization__name")
    )


def introduction_years(*, user) -> list[tuple[Organization, int]]:
    """(organization, BE year) pairs whose opening paragraph the person may write."""
    from approvals.models import Membership, Role

    org_ids = Membership.objects.filter(
        user=user, is_active=True, role=Role.WORKING_GROUP
    ).values_list("organization_id", flat=True)
    pairs = (
        FiscalYear.objects.filter(measures__organization_id__in=org_ids)
        .values_list("measures__organization_id", "year")
        .distinct()
        .order_by("-year")
    )
    organizations = Organization.objects.in_bulk({org_id for org_id, _year in pairs})
    return [(organizations[org_id], year) for org_id, year in pairs]


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
    from workflow import search

    conditions = {
        f"{to_measure}fiscal_year__year": filters.year,
        "state": filters.state,
        f"{to_measure}divisions": filters.division,
    }
    if to_measure:
        conditions["reporting_round_id"] = filters.round
    queryset = queryset.filter(**{k: v for k, v in conditions.items() if v})
    if thai.search_key(filters.q):
        if to_measure:
            queryset = queryset.filter(search.result_reports_matching(filters.q))
            queryset = queryset.prefetch_related("items", "recommendations", "measure__methods")
        else:
            queryset = queryset.filter(search.measures_matching(filters.q))
            queryset = queryset.prefetch_related(
                "methods", "result_reports__items", "result_reports__recommendations"
            )
    return queryset.distinct()


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


@dataclass(frozen=True)
class SpacingLine:
    proposal: object
    label: str
    number: int | None  # the line's number in its list; None for the title
    segments: list[tuple[str, str]]


@dataclass
class SpacingItem:
    """One imported item's spacing proposals, for the working group's review page."""

    measure: object
    result_report: object | None
    lines: list[SpacingLine]
    may_accept: bool
    title: str = ""  # the measure's title as it would read once repaired

    @property
    def key(self) -> str:
        return f"r{self.result_report.pk}" if self.result_report else f"m{self.measure.pk}"


def spacing_review(*, user, year: int | None = None) -> list[SpacingItem]:
    """The pending spacing proposals a person may see, per item, with their diffs."""
    from approvals import permissions
    from workflow import wording
    from workflow.models import SpacingProposal

    queryset = (
        SpacingProposal.objects.filter(
            organization_id__in=organization_ids_of(user),
            status=SpacingProposal.Status.PENDING,
        )
        .select_related(
            "measure__organization", "measure__fiscal_year", "result_report__reporting_round"
        )
        .order_by("organization_id", "measure__fiscal_year__year", "measure__number", "pk")
    )
    if year is not None:
        queryset = queryset.filter(measure__fiscal_year__year=year)
    items: dict[tuple, SpacingItem] = {}
    titles: dict[int, str] = {}
    for proposal in queryset:
        key = (proposal.measure_id, proposal.result_report_id)
        if key not in items:
            item = proposal.result_report or proposal.measure
            items[key] = SpacingItem(
                measure=proposal.measure,
                result_report=proposal.result_report,
                lines=[],
                may_accept=permissions.may_edit(user, item, "spacing"),
            )
        is_title = proposal.part == SpacingProposal.Part.TITLE
        if is_title:
            titles[proposal.measure_id] = proposal.proposed
        items[key].lines.append(
            SpacingLine(
                proposal,
                str(proposal.get_part_display()),
                None if is_title else proposal.position,
                wording.spacing_diff(proposal.found, proposal.proposed),
            )
        )
    for item in items.values():
        item.title = titles.get(item.measure.pk, item.measure.title)
    # A measure's own lines first, then its result report's.
    return sorted(
        items.values(),
        key=lambda i: (i.measure.organization_id, i.measure.fiscal_year.year, i.measure.number,
                       i.result_report is not None),
    )  # fmt: skip


def spacing_waiting(*, user) -> int:
    """How many imported texts wait for a spacing check, for those who may decide."""
    from approvals.models import Role
    from workflow.models import SpacingProposal

    if not _roles_held(user) & {Role.WORKING_GROUP, Role.DIVISION_HEAD}:
        return 0
    return SpacingProposal.objects.filter(
        organization_id__in=organization_ids_of(user), status=SpacingProposal.Status.PENDING
    ).count()


def spacing_years(*, user) -> list[int]:
    """The fiscal years that have spacing proposals waiting, newest first."""
    from workflow.models import SpacingProposal

    return list(
        SpacingProposal.objects.filter(
            organization_id__in=organization_ids_of(user),
            status=SpacingProposal.Status.PENDING,
        )
        .values_list("measure__fiscal_year__year", flat=True)
        .distinct()
        .order_by("-measure__fiscal_year__year")
    )


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
    reason: str = ""  # why an edit was made, when it says more than "edited"


def _edit_reason(reason: str) -> str:
    from django.utils.translation import gettext

    from workflow import wording

    if reason == wording.SPACING_REASON:
        return gettext("Spaces from the PDF's line wraps repaired")
    return ""


def item_timeline(item) -> list[TimelineEntry]:
    """Transitions (with their reasons) and edits of one item, newest first.

    An edit names the parts it changed as the auditor's timeline does (audit.present).
    """
    from audit import present
    from audit.models import TransitionLog
    from workflow.models import Action

    logs = TransitionLog.of_item(item)
    entries = [
        TimelineEntry(
            at=log.created_at,
            kind="transition",
            who=str(
                present.person(
                    person_name(log.actor),
                    system_actor=log.system_actor,
                    role=log.role,
                    delegator=person_name(log.delegation.delegator) if log.delegation else "",
                )
            ),
            what=str(Action(log.action).label) if log.action in Action.values else log.action,
            comment=log.comment,
            role=log.role,
        )
        for log in logs.select_related("actor", "delegation__delegator")
    ]
    actions = set(Action.values)
    records = list(item.history.select_related("history_user").order_by("history_date"))
    previous = None
    for record in records:
        reason = (record.history_change_reason or "").split(":", 1)[0]
        if reason not in actions:
            changes = ()
            if previous is not None and record.history_type == "~":
                parts = present.version_summary(
                    type(item), present.row_dict(previous), present.row_dict(record)
                )
                changes = tuple(str(p) for p in parts)
            comment = record.history_change_reason or ""
            entries.append(
                TimelineEntry(
                    at=record.history_date,
                    kind="edit",
                    who=person_name(record.history_user)
                    or present.system_text(record.system_actor),
                    what={"+": "created", "~": "edited", "-": "deleted"}[record.history_type],
                    reason=_edit_reason(comment),
                    comment="" if _edit_reason(comment) else present.reason_text(comment),
                    changes=changes,
                )
            )
        previous = record
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


# Counted by the program, not edited by people: not listed as what an edit changed.
BOOKKEEPING_FIELDS = ("version", "updated_at")


def _m2m_names(item) -> list[str]:
    return [f.name for f in item._meta.many_to_many]


# --- the year at a glance ------------------------------------------------------------------


@dataclass(frozen=True)
class GridCell:
    """One result report of a measure in one round, or its absence."""

    report_id: int | None
    state: str
    overdue: bool


@dataclass(frozen=True)
class GridRow:
    measure: object
    cells: list[GridCell]


@dataclass(frozen=True)
class StageCount:
    state: str
    label: str
    measures: int
    reports: int
    percent: int  # of all the year's items, for the bar


@dataclass(frozen=True)
class YearGrid:
    fiscal_year: FiscalYear
    rounds: list
    rows: list[GridRow]
    stages: list[StageCount]
    overdue_rounds: set


def year_grid(*, user, year: int, division: int | None = None) -> YearGrid:
    """Every measure of a fiscal year with its result report per round, as states.

    A round whose due date has passed marks each report not yet published there as
    overdue (a missing report too). Three queries, whatever the number of measures.
    """
    from workflow.models import Measure, ReportingRound, ResultReport, State

    fiscal_year = get_object_or_404(FiscalYear, year=year)
    org_ids = organization_ids_of(user)
    measures = (
        Measure.objects.filter(organization_id__in=org_ids, fiscal_year=fiscal_year)
        .prefetch_related("divisions")
        .order_by("organization__name", "number")
    )
    if division:
        measures = measures.filter(divisions=division)
    measures = list(measures)
    rounds = list(
        ReportingRound.objects.filter(
            organization_id__in=org_ids, fiscal_year=fiscal_year
        ).order_by("due_on", "name")
    )
    reports = {
        (r.measure_id, r.reporting_round_id): r
        for r in ResultReport.objects.filter(measure__in=measures).only(
            "id", "state", "measure_id", "reporting_round_id"
        )
    }
    today = dt.date.today()
    overdue_rounds = {r.pk for r in rounds if r.due_on < today}
    rows = []
    for measure in measures:
        cells = []
        for round_ in rounds:
            report = reports.get((measure.pk, round_.pk))
            state = report.state if report else ""
            cells.append(
                GridCell(
                    report_id=report.pk if report else None,
                    state=state,
                    overdue=round_.pk in overdue_rounds and state != State.PUBLISHED,
                )
            )
        rows.append(GridRow(measure=measure, cells=cells))
    total = len(measures) + len(reports) or 1
    stages = []
    for state, label in State.choices:
        m = sum(1 for x in measures if x.state == state)
        r = sum(1 for x in reports.values() if x.state == state)
        stages.append(StageCount(state, str(label), m, r, round(100 * (m + r) / total)))
    return YearGrid(fiscal_year, rounds, rows, stages, overdue_rounds)
