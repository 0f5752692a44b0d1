"""Writes on the plan itself: edits, divisions, publications.

The importer lives in workflow.importing; transitions in approvals.services.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zipfile

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow import thai
from workflow.models import (
    Division,
    Evidence,
    FiscalYear,
    Measure,
    MeasureMethod,
    Organization,
    Publication,
    Recommendation,
    ReportingRound,
    ReportIntroduction,
    ResultItem,
    ResultReport,
)

MAX_LIST_LENGTH = 200


def measure_snapshot(measure: Measure) -> dict:
    """A measure as the public report shows it, frozen."""
    return {
        "number": measure.number,
        "title": measure.title,
        "methods": [m.text for m in measure.methods.order_by("position")],
        "divisions": [d.name for d in measure.divisions.order_by("name")],
        "period_start": measure.period_start.isoformat(),
        "period_end": measure.period_end.isoformat(),
    }


def result_report_snapshot(report: ResultReport) -> dict:
    return {
        "round": report.reporting_round.name,
        "round_id": report.reporting_round_id,
        "items": [i.text for i in report.items.order_by("position")],
        "recommendations": [r.text for r in report.recommendations.order_by("position")],
        "evidence": [
            {"id": e.pk, "title": e.title, "content_type": e.content_type, "size": e.size}
            for e in report.evidence.order_by("uploaded_at", "pk")
        ],
    }


def publication_create(*, item: Measure | ResultReport, published_by) -> Publication:
    """Freeze what is published now; the public pages read only these rows.

    The opening paragraph in force is frozen with it, and the chain head and length at
    this moment are recorded for the document's verification code. The report's files
    are made after commit (workflow.tasks.report_files_make).
    """
    from audit.chain import GENESIS_HASH, chain_key
    from audit.models import ChainHead, TransitionLog

    is_report = isinstance(item, ResultReport)
    measure = item.measure if is_report else item
    approval = (
        TransitionLog.objects.filter(
            measure=measure, result_report=item if is_report else None, action="approve"
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    head = ChainHead.objects.filter(key=chain_key(measure.organization_id)).first()
    introduction = (
        ReportIntroduction.objects.filter(
            organization_id=measure.organization_id, fiscal_year_id=measure.fiscal_year_id
        )
        .values_list("text", flat=True)
        .first()
    )
    content = result_report_snapshot(item) if is_report else measure_snapshot(item)
    content["introduction"] = introduction or ""
    publication = Publication.objects.create(
        organization_id=measure.organization_id,
        fiscal_year_id=measure.fiscal_year_id,
        measure=measure,
        result_report=item if is_report else None,
        revision=item.revision,
        content=content,
        approval=approval,
        approved_by=approval.actor if approval else None,
        approved_at=approval.created_at if approval else None,
        published_by=published_by,
        published_at=timezone.now(),
        chain_head=head.hash if head else GENESIS_HASH,
        chain_seq=head.seq if head else 0,
    )
    transaction.on_commit(lambda: _report_files_enqueue(publication.pk))
    return publication


def _report_files_enqueue(publication_id: int) -> None:
    from workflow.documents import current_links_drop
    from workflow.tasks import report_files_make

    slug, year = Publication.objects.values_list("organization__slug", "fiscal_year__year").get(
        pk=publication_id
    )
    current_links_drop(organization_slug=slug, year=year)
    try:
        report_files_make.delay(publication_id)
    except Exception:  # broker down: the first request renders the files instead
        import logging

        logging.getLogger(__name__).warning(
            "report files of publication %s not enqueued", publication_id, exc_info=True
        )


# --- edits of measures and result reports ----------------------------------------------
# Each takes the actor, checks the permission in approvals.permissions, and refuses a
# stale expected_version; each raises approvals.exceptions errors.


def _errors_add(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(str(message))


def _texts_checked(errors: dict, field: str, texts, *, required: bool) -> list[str] | None:
    if texts is None:
        return None
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        _errors_add(errors, field, _("Give a list of texts."))
        return None
    cleaned = [thai.normalize_text(t).strip() for t in texts]
    if any(not t for t in cleaned):
        _errors_add(errors, field, _("An entry of the list is empty."))
    if required and not cleaned:
        _errors_add(errors, field, _("Give at least one entry."))
    if len(cleaned) > MAX_LIST_LENGTH:
        _errors_add(errors, field, _("The list is too long."))
    return cleaned


def _ordered_texts_replace(model, owner_field: str, owner, texts: list[str], actor) -> None:
    """Make the numbered lines of `owner` read `texts`, touching only lines that change."""
    existing = {row.position: row for row in model.objects.filter(**{owner_field: owner})}
    for position, text in enumerate(texts, start=1):
        row = existing.pop(position, None)
        if row is None:
            row = model(**{owner_field: owner}, position=position, text=text)
        elif row.text == text:
            continue
        row.text = text
        row._history_user = actor
        row.save()
    for row in existing.values():
        row._history_user = actor
        row.delete()


def _measure_fields_check(
    errors: dict, *, organization_id, fiscal_year, number, title, period_start, period_end,
    exclude_pk=None,
) -> None:  # fmt: skip
    if number is not None:
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 32767:
            _errors_add(errors, "number", _("The number must be a whole number from 1."))
        elif (
            Measure.objects.filter(
                organization_id=organization_id, fiscal_year=fiscal_year, number=number
            )
            .exclude(pk=exclude_pk)
            .exists()
        ):
            _errors_add(errors, "number", _("Another measure of this year has this number."))
    if title is not None and not thai.normalize_text(str(title)).strip():
        _errors_add(errors, "title", _("The title is empty."))
    for field, day in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            _errors_add(errors, field, _("Give a date."))
        elif not fiscal_year.contains(day):
            _errors_add(errors, field, _("The period must lie inside the fiscal year."))
    if (
        isinstance(period_start, dt.date)
        and isinstance(period_end, dt.date)
        and period_start > period_end
    ):
        _errors_add(errors, "period_end", _("The period ends before it starts."))


def _division_ids_valid(errors: dict, organization_id: int, division_ids) -> list[int] | None:
    if division_ids is None:
        return None
    if isinstance(division_ids, str) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in division_ids
    ):
        _errors_add(errors, "division_ids", _("Give a list of division ids."))
        return None
    ids = sorted(set(division_ids))
    if not ids:
        _errors_add(errors, "division_ids", _("Name at least one responsible division."))
        return ids
    found = set(
        Division.objects.filter(
            organization_id=organization_id, is_active=True, pk__in=ids
        ).values_list("pk", flat=True)
    )
    if found != set(ids):
        _errors_add(errors, "division_ids", _("Unknown division for this organization."))
    return ids


def _raise_if(errors: dict) -> None:
    from approvals.exceptions import ValidationFailed

    if errors:
        raise ValidationFailed(errors)


def _locked(model, item, actor):
    from approvals import permissions

    queryset = model.objects.select_for_update(of=("self",))
    if model is ResultReport:
        queryset = queryset.select_related("measure", "measure__fiscal_year")
    else:
        queryset = queryset.select_related("fiscal_year")
    locked = permissions.with_facts(queryset, actor).get(pk=item.pk)
    permissions.remember_facts(locked, actor, permissions.facts_from(locked))
    return locked


def _version_check(item, expected_version) -> None:
    from approvals.exceptions import StaleVersion

    if expected_version is None or item.version != expected_version:
        raise StaleVersion()


def measure_create(
    *,
    organization: Organization,
    fiscal_year: FiscalYear,
    actor,
    number: int,
    title: str,
    methods: list[str],
    division_ids: list[int],
    period_start: dt.date,
    period_end: dt.date,
) -> Measure:
    """Draft a new measure (working group, or a division head for their own divisions)."""
    from approvals import permissions

    errors: dict = {}
    ids = _division_ids_valid(errors, organization.pk, division_ids)
    permissions.authorize_measure_create(actor, organization.pk, ids or [])
    methods = _texts_checked(errors, "methods", methods, required=True)
    _measure_fields_check(
        errors, organization_id=organization.pk, fiscal_year=fiscal_year, number=number,
        title=title, period_start=period_start, period_end=period_end,
    )  # fmt: skip
    _raise_if(errors)
    with transaction.atomic():
        measure = Measure(
            organization=organization,
            fiscal_year=fiscal_year,
            number=number,
            title=thai.normalize_text(title).strip(),
            period_start=period_start,
            period_end=period_end,
            created_by=actor,
        )
        measure._history_user = actor
        measure.save()
        measure.divisions.set(ids)
        _ordered_texts_replace(MeasureMethod, "measure", measure, methods, actor)
    return measure


def measure_update(
    *,
    measure: Measure,
    actor,
    expected_version: int,
    title: str | None = None,
    number: int | None = None,
    methods: list[str] | None = None,
    division_ids: list[int] | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Measure:
    """Change a drafted measure; fields left None stay as they are."""
    from approvals import permissions
    from approvals.models import Role

    with transaction.atomic():
        locked = _locked(Measure, measure, actor)
        facts = permissions.facts_for(actor, locked)
        if not facts.is_member:
            from approvals.exceptions import NotPermitted

            raise NotPermitted()
        authority = permissions.authorize_edit(actor, locked, "measure", facts)
        _version_check(locked, expected_version)
        errors: dict = {}
        ids = _division_ids_valid(errors, locked.organization_id, division_ids)
        if (
            ids
            and authority.role == Role.DIVISION_HEAD
            and not set(ids) & permissions.division_ids_of(actor, locked.organization_id)
        ):
            _errors_add(errors, "division_ids", _("Keep at least one of your own divisions."))
        methods = _texts_checked(errors, "methods", methods, required=True)
        _measure_fields_check(
            errors, organization_id=locked.organization_id, fiscal_year=locked.fiscal_year,
            number=number, title=title,
            period_start=locked.period_start if period_start is None else period_start,
            period_end=locked.period_end if period_end is None else period_end,
            exclude_pk=locked.pk,
        )  # fmt: skip
        _raise_if(errors)
        if title is not None:
            locked.title = thai.normalize_text(title).strip()
        if number is not None:
            locked.number = number
        if period_start is not None:
            locked.period_start = period_start
        if period_end is not None:
            locked.period_end = period_end
        locked.version += 1
        locked._history_user = actor
        locked._change_reason = "edit"
        locked.save()
        if ids is not None and set(ids) != {d.pk for d in locked.divisions.all()}:
            locked.divisions.set(ids)
        if methods is not None:
            _ordered_texts_replace(MeasureMethod, "measure", locked, methods, actor)
    return locked


def result_report_create(
    *,
    measure: Measure,
    reporting_round: ReportingRound,
    actor,
    items: list[str],
    recommendations: list[str] = (),
) -> ResultReport:
    """Draft what a responsible division did for a measure in a round (its division heads).

    Recommendations given at creation are accepted only from working group members.
    """
    from approvals import permissions
    from approvals.exceptions import NotPermitted
    from approvals.models import Role

    facts = permissions.facts_for(actor, measure)
    if not facts.heads_division:
        raise NotPermitted()
    recommendations = list(recommendations or ())
    if recommendations and not facts.has(Role.WORKING_GROUP):
        raise NotPermitted()
    errors: dict = {}
    items = _texts_checked(errors, "items", items, required=True)
    recommendations = _texts_checked(errors, "recommendations", recommendations, required=False)
    if (reporting_round.organization_id, reporting_round.fiscal_year_id) != (
        measure.organization_id,
        measure.fiscal_year_id,
    ):
        _errors_add(
            errors, "reporting_round", _("The round belongs to another organization or year.")
        )
    elif ResultReport.objects.filter(measure=measure, reporting_round=reporting_round).exists():
        _errors_add(
            errors, "reporting_round", _("This measure already has a report for this round.")
        )
    _raise_if(errors)
    with transaction.atomic():
        report = ResultReport(measure=measure, reporting_round=reporting_round, created_by=actor)
        report._history_user = actor
        report.save()
        _ordered_texts_replace(ResultItem, "report", report, items, actor)
        _ordered_texts_replace(Recommendation, "report", report, recommendations or [], actor)
    return report


def result_report_update(
    *,
    report: ResultReport,
    actor,
    expected_version: int,
    items: list[str] | None = None,
    recommendations: list[str] | None = None,
) -> ResultReport:
    """Change a report's result items (its division heads, while drafted) or the working
    group's recommendations (while submitted)."""
    from approvals import permissions
    from approvals.exceptions import NotPermitted

    with transaction.atomic():
        locked = _locked(ResultReport, report, actor)
        facts = permissions.facts_for(actor, locked)
        if not facts.is_member:
            raise NotPermitted()
        # A part sent unchanged (e.g. in a PUT of the whole report) is not an edit of it.
        if items is not None and list(items) == [i.text for i in locked.items.all()]:
            items = None
        if recommendations is not None and list(recommendations) == [
            r.text for r in locked.recommendations.all()
        ]:
            recommendations = None
        if items is not None:
            permissions.authorize_edit(actor, locked, "items", facts)
        if recommendations is not None:
            permissions.authorize_edit(actor, locked, "recommendations", facts)
        _version_check(locked, expected_version)
        errors: dict = {}
        items = _texts_checked(errors, "items", items, required=True)
        recommendations = _texts_checked(errors, "recommendations", recommendations, required=False)
        _raise_if(errors)
        locked.version += 1
        locked._history_user = actor
        locked._change_reason = "edit"
        locked.save(update_fields=["version", "updated_at"])
        if items is not None:
            _ordered_texts_replace(ResultItem, "report", locked, items, actor)
        if recommendations is not None:
            _ordered_texts_replace(Recommendation, "report", locked, recommendations, actor)
    return locked


# What an evidence file may be, recognised by its first bytes (the name is not trusted).
EVIDENCE_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def evidence_content_type(uploaded_file) -> str | None:
    """The real type of an uploaded file from its content, or None if not an allowed one."""
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(uploaded_file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            uploaded_file.seek(0)
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def evidence_add(*, report: ResultReport, actor, uploaded_file, title: str) -> Evidence:
    """Attach a file to a drafted report (its division heads); PDF, JPEG, PNG, DOCX, XLSX."""
    from approvals import permissions
    from approvals.exceptions import NotPermitted

    with transaction.atomic():
        locked = _locked(ResultReport, report, actor)
        facts = permissions.facts_for(actor, locked)
        if not facts.is_member:
            raise NotPermitted()
        permissions.authorize_edit(actor, locked, "evidence", facts)
        errors: dict = {}
        title = thai.normalize_text(str(title or "")).strip()
        if not title:
            _errors_add(errors, "title", _("Give the file a title."))
        elif len(title) > 300:
            _errors_add(errors, "title", _("The title is too long."))
        size = getattr(uploaded_file, "size", None) or 0
        content_type = None
        if size <= 0:
            _errors_add(errors, "file", _("The file is empty."))
        elif size > settings.EVIDENCE_MAX_BYTES:
            _errors_add(errors, "file", _("The file is too large."))
        else:
            content_type = evidence_content_type(uploaded_file)
            if content_type is None:
                _errors_add(errors, "file", _("Only PDF, JPEG, PNG, DOCX and XLSX files."))
        _raise_if(errors)
        extension = EVIDENCE_CONTENT_TYPES[content_type]
        evidence = Evidence(
            report=locked,
            title=title,
            content_type=content_type,
            size=size,
            uploaded_by=actor,
        )
        evidence.file.save(f"{uuid.uuid4().hex}.{extension}", uploaded_file, save=False)
        # the report's version first: the evidence row then completes that version's
        # snapshot instead of writing a second version (audit.recording)
        locked.version += 1
        locked._history_user = actor
        locked._change_reason = "evidence"
        locked.save(update_fields=["version", "updated_at"])
        evidence._history_user = actor
        evidence.save()
    return evidence


# --- divisions (organization admins) ----------------------------------------------------


def division_create(*, organization: Organization, actor, name: str) -> Division:
    """Add a division (organization admins)."""
    from approvals import permissions

    permissions.authorize_admin(actor, organization.pk)
    name = thai.normalize_text(str(name or "")).strip()
    errors: dict = {}
    if not name or len(name) > 200:
        _errors_add(errors, "name", _("Give a name of at most 200 characters."))
    elif Division.objects.filter(
        organization=organization, match_key=Division.key_for(name)
    ).exists():
        _errors_add(errors, "name", _("This organization already has this division."))
    _raise_if(errors)
    division = Division(organization=organization, name=name)
    division._history_user = actor
    division.save()
    return division


def reporting_round_create(
    *, organization: Organization, actor, fiscal_year: int, name: str, months: int, due_on
) -> ReportingRound:
    """Open a reporting round of a fiscal year (organization admins), e.g. รอบ 6 เดือน."""
    from approvals import permissions

    permissions.authorize_admin(actor, organization.pk)
    name = thai.normalize_text(str(name or "")).strip()
    errors: dict = {}
    if not name or len(name) > 100:
        _errors_add(errors, "name", _("Give a name of at most 100 characters."))
    if not 1 <= int(months) <= 12:
        _errors_add(errors, "months", _("A round covers 1 to 12 months."))
    if not 2500 <= int(fiscal_year) <= 2700:
        _errors_add(errors, "fiscal_year", _("Give the fiscal year in the Buddhist Era."))
    _raise_if(errors)
    with transaction.atomic():
        year = FiscalYear.objects.get_or_create(year=fiscal_year)[0]
        if due_on < year.starts_on:
            _errors_add(errors, "due_on", _("The due date cannot come before the fiscal year."))
        if ReportingRound.objects.filter(
            organization=organization, fiscal_year=year, name=name
        ).exists():
            _errors_add(errors, "name", _("This fiscal year already has a round of this name."))
        _raise_if(errors)
        reporting_round = ReportingRound(
            organization=organization, fiscal_year=year, name=name, months=months, due_on=due_on
        )
        reporting_round._history_user = actor
        reporting_round.save()
    return reporting_round


def division_update(
    *, division: Division, actor, name: str | None = None, is_active: bool | None = None
) -> Division:
    """Rename a division or retire it (organization admins)."""
    from approvals import permissions

    permissions.authorize_admin(actor, division.organization_id)
    errors: dict = {}
    if name is not None:
        name = thai.normalize_text(str(name)).strip()
        if not name or len(name) > 200:
            _errors_add(errors, "name", _("Give a name of at most 200 characters."))
        elif (
            Division.objects.filter(
                organization_id=division.organization_id, match_key=Division.key_for(name)
            )
            .exclude(pk=division.pk)
            .exists()
        ):
            _errors_add(errors, "name", _("This organization already has this division."))
    _raise_if(errors)
    with transaction.atomic():
        division = Division.objects.select_for_update().get(pk=division.pk)
        if name is not None:
            division.name = name
        if is_active is not None:
            division.is_active = is_active
        division._history_user = actor
        division.save()
    return division


# --- the opening paragraph of the published report ---------------------------------------


def report_introduction_update(
    *,
    organization: Organization,
    fiscal_year: FiscalYear,
    actor,
    text: str,
    expected_version: int | None,
) -> ReportIntroduction:
    """Write the opening paragraph of the year's report (the working group).

    The public sees it from the next publication on, which freezes it; an edit of the
    one in force needs the version read (None for the first one).
    """
    from approvals import permissions
    from approvals.exceptions import NotPermitted, StaleVersion
    from approvals.models import Role

    if Role.WORKING_GROUP not in permissions.roles_of(actor, organization.pk):
        raise NotPermitted()
    errors: dict = {}
    text = " ".join(thai.normalize_text(str(text or "")).split())
    if not text:
        _errors_add(errors, "text", _("The opening paragraph is empty."))
    elif len(text) > 5000:
        _errors_add(errors, "text", _("The opening paragraph is too long."))
    _raise_if(errors)
    with transaction.atomic():
        introduction = (
            ReportIntroduction.objects.select_for_update()
            .filter(organization=organization, fiscal_year=fiscal_year)
            .first()
        )
        if introduction is None:
            if expected_version not in (None, 0):
                raise StaleVersion()
            introduction = ReportIntroduction(organization=organization, fiscal_year=fiscal_year)
        else:
            if expected_version != introduction.version:
                raise StaleVersion()
            if introduction.text == text:
                return introduction
            introduction.version += 1
        introduction.text = text
        introduction.updated_by = actor
        introduction._history_user = actor
        introduction._change_reason = "edit"
        introduction.save()
    return introduction
