"""Writes on the plan itself: edits, divisions, publications.

The importer lives in workflow.importing; transitions in approvals.services.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow import thai, wording
from workflow.models import (
    Division,
    Evidence,
    FiscalYear,
    IntroductionPublication,
    Measure,
    MeasureMethod,
    Organization,
    Publication,
    PublicationVerification,
    Recommendation,
    ReportingRound,
    ReportIntroduction,
    ResultItem,
    ResultReport,
    SpacingProposal,
    name_problem,
)
from workflow.text import text_problem

MAX_LIST_LENGTH = 200
EDIT_REASON = "edit"
SPACING_REASON = wording.SPACING_REASON


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

    The chain head and length at this moment are recorded for the document's verification
    code (the opening paragraph has publications of its own: IntroductionPublication).
    The report's files are made after commit (workflow.tasks.report_files_make).
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
    content = result_report_snapshot(item) if is_report else measure_snapshot(item)
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
    transaction.on_commit(lambda: _publication_verification_enqueue(publication.pk, newest=True))
    return publication


def introduction_publication_create(
    *, introduction: ReportIntroduction, published_by
) -> IntroductionPublication:
    """Freeze the opening paragraph as published now; the public pages read only these rows.

    The stored PDF and XLSX show it too, so they are made again after commit.
    """
    from audit.chain import head_for
    from audit.models import TransitionLog
    from workflow.documents import report_files_refresh

    approval = (
        TransitionLog.objects.filter(introduction_id=introduction.pk, action="approve")
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    transaction.on_commit(
        lambda: report_files_refresh(
            organization_id=introduction.organization_id,
            fiscal_year_id=introduction.fiscal_year_id,
        )
    )
    return IntroductionPublication.objects.create(
        organization_id=introduction.organization_id,
        fiscal_year_id=introduction.fiscal_year_id,
        introduction=introduction,
        revision=introduction.revision or 1,
        text=introduction.text,
        approved_by=approval.actor if approval else None,
        approved_at=approval.created_at if approval else None,
        published_by=published_by,
        published_at=timezone.now(),
        chain_head=head_for(introduction.organization_id),
    )


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


# --- the public check of a publication's audit chain ---------------------------------------
# The verification page shows the stored check (PublicationVerification); the walk of the
# chain runs in the worker: once after the publication commits, then again when a visitor
# finds the stored check older than PUBLIC_VERIFY_REFRESH_SECONDS.


def publication_verification_refresh(
    *, publication_id: int, newest: bool = False
) -> PublicationVerification | None:
    """Check the organization's chain up to the link the publication recorded; store the result.

    Idempotent: the publication's one row is overwritten (an upsert, so two checks at
    once cannot collide) and its refresh request cleared. `newest`: only if no later
    publication of the year exists by then (a batch published item after item walks the
    chain once, for its last publication; an earlier one is checked when first visited).
    """
    from audit import chain

    publication = (
        Publication.objects.filter(pk=publication_id)
        .only("organization_id", "fiscal_year_id", "chain_seq", "chain_head", "published_at")
        .first()
    )
    if publication is None:
        return None
    if newest and (
        Publication.objects.filter(
            organization_id=publication.organization_id,
            fiscal_year_id=publication.fiscal_year_id,
        )
        .filter(
            Q(published_at__gt=publication.published_at)
            | Q(published_at=publication.published_at, pk__gt=publication.pk)
        )
        .exists()
    ):
        return None
    checked_at = timezone.now()
    if publication.chain_seq is None:  # published before lengths were recorded
        result = chain.Verification(False, 0, 0, "", None, "no chain length recorded")
    else:
        result = chain.verify(publication.organization_id, up_to=publication.chain_seq)
        if result.ok and result.head_hash != publication.chain_head:
            result = chain.Verification(
                False, result.entries_checked, result.head_seq, result.head_hash,
                publication.chain_seq, "the chain does not end at the recorded head",
            )  # fmt: skip
    verification = PublicationVerification(
        publication=publication,
        checked_at=checked_at,
        ok=result.ok,
        entries_checked=result.entries_checked,
        broken_seq=result.broken_seq,
        problem=result.problem,
        refresh_requested_at=None,
    )
    PublicationVerification.objects.bulk_create(
        [verification],
        update_conflicts=True,
        unique_fields=["publication"],
        update_fields=[
            "checked_at", "ok", "entries_checked", "broken_seq", "problem",
            "refresh_requested_at",
        ],
    )  # fmt: skip
    return verification


def publication_verification_request(*, publication_id: int) -> bool:
    """Ask the worker for a new check of a stale stored one; True if this call asked.

    One conditional UPDATE claims the request, so across all processes one visitor per
    interval enqueues it; a claim whose task was lost (broker down) runs out after the
    same interval and the next visitor asks again.
    """
    now = timezone.now()
    due = now - dt.timedelta(seconds=settings.PUBLIC_VERIFY_REFRESH_SECONDS)
    claimed = (
        PublicationVerification.objects.filter(publication_id=publication_id, checked_at__lt=due)
        .filter(Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=due))
        .update(refresh_requested_at=now)
    )
    if claimed:
        transaction.on_commit(lambda: _publication_verification_enqueue(publication_id))
    return bool(claimed)


def publication_verifications_current(*, publications: list[Publication]) -> None:
    """Give each publication its stored check as `publication.verification`, for the page.

    A publication with none stored yet (published before checks were stored, or its task
    not run yet) is checked now, once; a stale check is shown as it is while a new one is
    requested in the background.
    """
    stored = {
        v.publication_id: v
        for v in PublicationVerification.objects.filter(
            publication_id__in={p.pk for p in publications}
        )
    }
    asked = set()
    for publication in publications:
        verification = stored.get(publication.pk)
        if verification is None:
            verification = publication_verification_refresh(publication_id=publication.pk)
            stored[publication.pk] = verification
        elif verification.refresh_due and publication.pk not in asked:
            asked.add(publication.pk)
            publication_verification_request(publication_id=publication.pk)
        publication.verification = verification


def _publication_verification_enqueue(publication_id: int, *, newest: bool = False) -> None:
    from approvals.delivery import PUBLISH_RETRY_POLICY
    from workflow.tasks import publication_verification_refresh as refresh

    try:
        refresh.apply_async(
            (publication_id,), {"newest": newest}, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except Exception:  # broker down: the page shows the stored check; a later visit asks again
        import logging

        logging.getLogger(__name__).warning(
            "chain check of publication %s not enqueued", publication_id, exc_info=True
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
    problem = next(filter(None, map(text_problem, texts)), None)
    if problem:
        _errors_add(errors, field, problem)
        return None
    cleaned = [thai.normalize_text(t).strip() for t in texts]
    if any(not t for t in cleaned):
        _errors_add(errors, field, _("An entry of the list is empty."))
    if required and not cleaned:
        _errors_add(errors, field, _("Give at least one entry."))
    if len(cleaned) > MAX_LIST_LENGTH:
        _errors_add(errors, field, _("The list is too long."))
    return cleaned


def _ordered_texts_replace(
    model, owner_field: str, owner, texts: list[str], actor, reason: str = ""
) -> None:
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
        if reason:
            row._change_reason = reason
        row.save()
    for row in existing.values():
        row._history_user = actor
        if reason:
            row._change_reason = reason
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
    if title is not None and text_problem(str(title)):
        _errors_add(errors, "title", text_problem(str(title)))
    elif title is not None and not thai.normalize_text(str(title)).strip():
        _errors_add(errors, "title", _("The title is empty."))
    for field, day in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            _errors_add(errors, field, _("Give a date."))
        elif not fiscal_year.contains(day):
            message = _(
                "The period must lie inside fiscal year %(year)s (%(start)s – %(end)s)."
            ) % {
                "year": thai.to_thai_digits(fiscal_year.year),
                "start": thai.format_month(fiscal_year.starts_on),
                "end": thai.format_month(fiscal_year.ends_on),
            }
            _errors_add(errors, field, message)
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
    reason: str = EDIT_REASON,
) -> Measure:
    """Change a drafted measure; fields left None stay as they are; `reason` goes in the
    history."""
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
        fields = {
            "title": None if title is None else thai.normalize_text(title).strip(),
            "number": number,
            "period_start": period_start,
            "period_end": period_end,
        }
        fields = {k: v for k, v in fields.items() if v is not None and v != getattr(locked, k)}
        if ids is not None and set(ids) == {d.pk for d in locked.divisions.all()}:
            ids = None
        if methods == [m.text for m in locked.methods.order_by("position")]:
            methods = None
        if not fields and ids is None and methods is None:
            return locked  # nothing to record: no version, no history row
        for field, value in fields.items():
            setattr(locked, field, value)
        locked.version += 1
        locked._history_user = actor
        locked._change_reason = reason
        locked.save()
        if ids is not None:
            locked.divisions.set(ids)
        if methods is not None:
            _ordered_texts_replace(MeasureMethod, "measure", locked, methods, actor, reason)
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
    reason: str = EDIT_REASON,
) -> ResultReport:
    """Change a report's result items (its division heads, while drafted) or the working
    group's recommendations (while submitted).

    A change of spacing only (no letter changed) may also be made by the working group
    while the report is drafted: that is how the PDF's line-wrap spaces are repaired.
    """
    from approvals import permissions
    from approvals.exceptions import NotPermitted

    with transaction.atomic():
        locked = _locked(ResultReport, report, actor)
        facts = permissions.facts_for(actor, locked)
        if not facts.is_member:
            raise NotPermitted()
        # The permission first, whatever was sent: a part sent unchanged (e.g. in a PUT of
        # the whole report) needs no right of its own, but the person must be able to edit
        # some part of the report now.
        errors: dict = {}
        items = _texts_checked(errors, "items", items, required=True)
        recommendations = _texts_checked(errors, "recommendations", recommendations, required=False)
        if items == [i.text for i in locked.items.order_by("position")]:
            items = None
        if recommendations == [r.text for r in locked.recommendations.order_by("position")]:
            recommendations = None
        changed = [
            part
            for part, texts in (("items", items), ("recommendations", recommendations))
            if texts is not None or part in errors
        ]
        # a change of spacing only is the working group's repair of the PDF's line wraps
        respaced = (
            bool(changed)
            and not errors
            and _spacing_only(items, locked.items.all())
            and _spacing_only(recommendations, locked.recommendations.all())
        )
        if not (respaced and _may_respace(actor, locked, facts)):
            for part in changed:
                permissions.authorize_edit(actor, locked, part, facts)
        if not changed:
            permissions.authorize_edit_of(actor, locked, ("items", "recommendations"), facts)
        _version_check(locked, expected_version)
        _raise_if(errors)
        if not changed:
            return locked  # nothing to record: no version, no history row
        locked.version += 1
        locked._history_user = actor
        locked._change_reason = reason
        locked.save(update_fields=["version", "updated_at"])
        if items is not None:
            _ordered_texts_replace(ResultItem, "report", locked, items, actor, reason)
        if recommendations is not None:
            _ordered_texts_replace(Recommendation, "report", locked, recommendations, actor, reason)
    return locked


def _may_respace(actor, item, facts) -> bool:
    from approvals import permissions
    from approvals.exceptions import NotEditable, NotPermitted

    try:
        permissions.authorize_edit(actor, item, "spacing", facts)
    except (NotPermitted, NotEditable):
        return False
    return True


def _spacing_only(texts: list[str] | None, lines) -> bool:
    """Whether `texts` (None: unchanged) re-space the current lines without rewording them."""
    if texts is None:
        return True
    current = [line.text for line in lines]
    return len(texts) == len(current) and all(
        isinstance(new, str) and wording.spacing_only_change(old, new)
        for old, new in zip(current, texts, strict=True)
    )


@dataclass
class SpacingOutcome:
    """What accepting spacing proposals did, line by line."""

    accepted: int = 0
    outdated: int = 0  # the line was edited since the import: the proposal no longer applies
    refused: int = 0  # the item is no longer drafted, or not the person's to change
    refusal: Exception | None = None


def spacing_proposals_create(
    *,
    measure: Measure,
    result_report: ResultReport | None = None,
    texts: dict[str, list[str]],
    keep: list[str],
    actor=None,
    reason: str = "",
) -> list[SpacingProposal]:
    """For each imported line that has line-wrap spaces, the text without them, stored beside
    the line (which keeps the text as the document had it). `keep`: official names."""
    proposals = []
    for part, lines in texts.items():
        for position, found in enumerate(lines, start=1):
            proposed = wording.spacing_repair(found, keep=keep)
            if proposed == found:
                continue
            proposal = SpacingProposal(
                organization_id=measure.organization_id,
                measure=measure,
                result_report=result_report,
                part=part,
                position=position,
                found=found,
                proposed=proposed,
            )
            proposal._history_user = actor
            if reason:
                proposal._change_reason = reason
            proposal.save()
            proposals.append(proposal)
    return proposals


def _spacing_groups(proposals) -> dict[tuple[int, int | None], list[SpacingProposal]]:
    groups: dict[tuple[int, int | None], list[SpacingProposal]] = {}
    for proposal in proposals:
        groups.setdefault((proposal.measure_id, proposal.result_report_id), []).append(proposal)
    return groups


def spacing_proposals_accept(
    *, actor, proposals, texts: dict[int, str] | None = None
) -> SpacingOutcome:
    """Apply the proposals as ordinary edits of their items, with the history reason
    SPACING_REASON; one transaction per item.

    `texts` may re-space a proposal differently (by its id); a text that changes a
    letter is refused: rewording is an ordinary edit. Raises NotPermitted when the
    person may change none of the items.
    """
    from approvals.exceptions import NotEditable, NotPermitted, StaleVersion

    texts = texts or {}
    errors: dict = {}
    for proposal in proposals:
        chosen = texts.get(proposal.pk)
        if chosen is not None and not wording.spacing_only_change(proposal.found, chosen):
            _errors_add(
                errors,
                f"text-{proposal.pk}",
                _("Only spaces may change here; edit the item itself to change its words."),
            )
    _raise_if(errors)
    outcome = SpacingOutcome()
    for (measure_id, report_id), group in _spacing_groups(proposals).items():
        try:
            with transaction.atomic():
                accepted, outdated = _spacing_item_accept(
                    actor, measure_id, report_id, [p.pk for p in group], texts
                )
        except (NotPermitted, NotEditable, StaleVersion) as refusal:
            outcome.refused += len(group)
            outcome.refusal = outcome.refusal or refusal
            continue
        outcome.accepted += accepted
        outcome.outdated += outdated
    nothing_done = not (outcome.accepted or outcome.outdated)
    if outcome.refused and nothing_done and isinstance(outcome.refusal, NotPermitted):
        raise outcome.refusal
    return outcome


def _spacing_item_accept(actor, measure_id, report_id, ids, texts) -> tuple[int, int]:
    Part, Status = SpacingProposal.Part, SpacingProposal.Status
    pending = list(
        SpacingProposal.objects.select_for_update()
        .filter(pk__in=ids, status=Status.PENDING)
        .order_by("pk")
    )
    if report_id is None:
        item = Measure.objects.get(pk=measure_id)
        lines = {Part.TITLE: [item.title], Part.METHOD: [m.text for m in item.methods.all()]}
    else:
        item = ResultReport.objects.select_related("measure").get(pk=report_id)
        lines = {
            Part.RESULT: [i.text for i in item.items.all()],
            Part.RECOMMENDATION: [r.text for r in item.recommendations.all()],
        }
    original = {part: list(values) for part, values in lines.items()}
    decided: list[tuple[SpacingProposal, str]] = []
    for proposal in pending:
        values = lines.get(proposal.part, [])
        index = proposal.position - 1
        chosen = texts.get(proposal.pk, proposal.proposed)
        if 0 <= index < len(values) and values[index] == proposal.found:
            values[index] = chosen
            decided.append((proposal, Status.ACCEPTED))
        else:
            decided.append((proposal, Status.OUTDATED))
    if lines != original:
        if report_id is None:
            measure_update(
                measure=item, actor=actor, expected_version=item.version,
                title=lines[Part.TITLE][0], methods=lines[Part.METHOD], reason=SPACING_REASON,
            )  # fmt: skip
        else:
            result_report_update(
                report=item, actor=actor, expected_version=item.version,
                items=lines[Part.RESULT], recommendations=lines[Part.RECOMMENDATION],
                reason=SPACING_REASON,
            )  # fmt: skip
    else:
        from approvals import permissions

        permissions.authorize_edit(actor, item, "spacing")
    _spacing_decided(decided, actor, SPACING_REASON)
    accepted = sum(1 for _p, status in decided if status == Status.ACCEPTED)
    return accepted, len(decided) - accepted


def _spacing_decided(decided, actor, reason: str) -> None:
    now = timezone.now()
    for proposal, status in decided:
        proposal.status = status
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal._history_user = actor
        proposal._change_reason = reason
        proposal.save(update_fields=["status", "decided_by", "decided_at"])


def spacing_proposals_dismiss(*, actor, proposals) -> int:
    """Keep the imported text as it is: the proposals are closed, the items unchanged."""
    from approvals import permissions

    count = 0
    with transaction.atomic():
        for (measure_id, report_id), group in _spacing_groups(proposals).items():
            if report_id is None:
                item = Measure.objects.get(pk=measure_id)
            else:
                item = ResultReport.objects.select_related("measure").get(pk=report_id)
            permissions.authorize_edit(actor, item, "spacing")
            pending = SpacingProposal.objects.select_for_update().filter(
                pk__in=[p.pk for p in group], status=SpacingProposal.Status.PENDING
            )
            decided = [(p, SpacingProposal.Status.DISMISSED) for p in pending]
            _spacing_decided(decided, actor, "kept as imported")
            count += len(decided)
    return count


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


def _evidence_checked(*, uploaded_file, title: str) -> tuple[str, str, int]:
    """(title, content type, size) of an upload that may be evidence; else ValidationFailed."""
    errors: dict = {}
    title = thai.normalize_text(str(title or "")).strip()
    if not title:
        _errors_add(errors, "title", _("Give the file a title."))
    elif text_problem(title, max_length=300):
        _errors_add(errors, "title", text_problem(title, max_length=300))
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
    return title, content_type, size


def _report_for_evidence(report: ResultReport, actor) -> ResultReport:
    """The report locked, once its division head may change its evidence; its version
    raised first, so the evidence row completes that version's snapshot (audit.recording)."""
    from approvals import permissions
    from approvals.exceptions import NotPermitted

    locked = _locked(ResultReport, report, actor)
    facts = permissions.facts_for(actor, locked)
    if not facts.is_member:
        raise NotPermitted()
    permissions.authorize_edit(actor, locked, "evidence", facts)
    return locked


def _report_version_raise(locked: ResultReport, actor) -> None:
    locked.version += 1
    locked._history_user = actor
    locked._change_reason = "evidence"
    locked.save(update_fields=["version", "updated_at"])


def _evidence_file_save(evidence: Evidence, uploaded_file, content_type: str) -> None:
    extension = EVIDENCE_CONTENT_TYPES[content_type]
    evidence.file.save(f"{uuid.uuid4().hex}.{extension}", uploaded_file, save=False)


def evidence_add(*, report: ResultReport, actor, uploaded_file, title: str) -> Evidence:
    """Attach a file to a drafted report (its division heads); PDF, JPEG, PNG, DOCX, XLSX."""
    with transaction.atomic():
        locked = _report_for_evidence(report, actor)
        title, content_type, size = _evidence_checked(uploaded_file=uploaded_file, title=title)
        evidence = Evidence(
            report=locked,
            title=title,
            content_type=content_type,
            size=size,
            uploaded_by=actor,
        )
        _evidence_file_save(evidence, uploaded_file, content_type)
        _report_version_raise(locked, actor)
        evidence._history_user = actor
        evidence.save()
    return evidence


def evidence_replace(
    *, evidence: Evidence, actor, uploaded_file, title: str | None = None
) -> Evidence:
    """Put a corrected file in place of a wrong one while the report is drafted.

    The row stays (its history shows the old file and the new); the old file is kept
    on disk for the audit trail.
    """
    with transaction.atomic():
        locked = _report_for_evidence(evidence.report, actor)
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk, report=locked)
        title, content_type, size = _evidence_checked(
            uploaded_file=uploaded_file, title=evidence.title if title is None else title
        )
        evidence.title, evidence.content_type, evidence.size = title, content_type, size
        evidence.uploaded_by = actor
        _evidence_file_save(evidence, uploaded_file, content_type)
        _report_version_raise(locked, actor)
        evidence._history_user = actor
        evidence._change_reason = "replaced"
        evidence.save()
    return evidence


def evidence_remove(*, evidence: Evidence, actor) -> None:
    """Take a wrong file off a drafted report; the history keeps the row, the disk the file."""
    with transaction.atomic():
        locked = _report_for_evidence(evidence.report, actor)
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk, report=locked)
        _report_version_raise(locked, actor)
        evidence._history_user = actor
        evidence._change_reason = "removed"
        evidence.delete()


# --- divisions (organization admins) ----------------------------------------------------


def division_create(*, organization: Organization, actor, name: str) -> Division:
    """Add a division (organization admins)."""
    from approvals import permissions

    permissions.authorize_admin(actor, organization.pk)
    name = thai.normalize_text(str(name or "")).strip()
    errors: dict = {}
    if not name or len(name) > 200:
        _errors_add(errors, "name", _("Give a name of at most 200 characters."))
    elif problem := name_problem(name):
        _errors_add(errors, "name", problem)
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
    elif problem := name_problem(name):
        _errors_add(errors, "name", problem)
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
    """Rename a division, or retire it (is_active=False) or bring it back (organization admins).

    A division is never deleted while anything refers to it: retiring it keeps it on the
    measures and memberships that name it, and the history records who retired it.
    """
    from approvals import permissions

    permissions.authorize_admin(actor, division.organization_id)
    errors: dict = {}
    if name is not None:
        name = thai.normalize_text(str(name)).strip()
        if not name or len(name) > 200:
            _errors_add(errors, "name", _("Give a name of at most 200 characters."))
        elif problem := name_problem(name):
            _errors_add(errors, "name", problem)
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
        reasons = []
        if name is not None and name != division.name:
            division.name = name
            reasons.append("rename")
        if is_active is not None and is_active != division.is_active:
            division.is_active = is_active
            reasons.append("restore" if is_active else "retire")
        if not reasons:
            return division  # nothing to record
        division._history_user = actor
        division._change_reason = ", ".join(reasons)
        division.save()
    return division


def division_is_referenced(division: Division) -> bool:
    """Whether a measure (published or not) or a membership names the division."""
    return division.measures.exists() or division.memberships.exists()


# --- the opening paragraph of the published report ---------------------------------------


def report_introduction_update(
    *,
    organization: Organization,
    fiscal_year: FiscalYear,
    actor,
    text: str,
    expected_version: int | None,
) -> ReportIntroduction:
    """Write the opening paragraph of the year's report (the working group, while drafted).

    It reaches the public only once approved and published in turn (approvals.services.
    transition_perform); an edit of an existing one needs the version read (None for the
    first one).
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
            introduction = ReportIntroduction(
                organization=organization, fiscal_year=fiscal_year, created_by=actor
            )
        else:
            permissions.authorize_edit(actor, introduction, "introduction")
            if expected_version != introduction.version:
                raise StaleVersion()
            if introduction.text == text:
                return introduction
            introduction.version += 1
        introduction.text = text
        introduction.updated_by = actor
        introduction._history_user = actor
        introduction._change_reason = EDIT_REASON
        introduction.save()
    return introduction
