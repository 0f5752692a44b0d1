"""The auditor's pages: chain status and log, an item's timeline, the report as of a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from approvals.exceptions import ValidationFailed
from audit import present, selectors
from audit.access import audited_organization
from audit.forms import AsOfForm, LogFilterForm, TimelineForm
from audit.models import ChainVerification
from workflow import selectors as workflow_selectors
from workflow.models import FiscalYear, Measure, ReportingRound, ReportIntroduction, ResultReport

ITEM_KINDS = {"measures": Measure, "reports": ResultReport, "introductions": ReportIntroduction}
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def item_model(kind: str, pk: int | None = None):
    if pk is not None and not 0 < pk < 2**63:
        raise Http404
    try:
        return ITEM_KINDS[kind]
    except KeyError as error:
        raise Http404 from error


# ---- the chain's status and "verify now" ----------------------------------------------------


@login_required
@require_POST
def verify_now(request, slug):
    """Run the chain check of this organization as a Celery task (in-process without Redis)."""
    from audit.tasks import audit_verify_organization

    organization = audited_organization(request.user, slug)
    since = timezone.now()
    try:
        audit_verify_organization.delay(organization.pk, request.user.pk)
    except Exception:  # the broker is down: say so, lose nothing
        messages.error(request, _("The check could not be started now; try again shortly."))
        if request.htmx:
            return render(
                request, "audit/_chain.html",
                {"organization": organization, "chain": present.chain_view(organization.pk),
                 "failed": True},
            )  # fmt: skip
        return redirect("audit:home", slug)
    if request.htmx:
        return chain_fragment(request, organization, since)
    messages.info(request, _("The check has started; its result appears below when it is done."))
    return redirect("audit:home", slug)


def chain_fragment(request, organization, since: dt.datetime | None):
    """The status box; while a check asked for at `since` has not finished, it polls."""
    waiting = (
        since is not None
        and not ChainVerification.objects.filter(
            organization_id=organization.pk, started_at__gte=since
        ).exists()
    )
    return render(
        request,
        "audit/_chain.html",
        {"organization": organization, "chain": present.chain_view(organization.pk),
         "waiting": waiting, "since": since.isoformat() if since else ""},
    )  # fmt: skip


@login_required
@require_GET
def chain_status(request, slug):
    organization = audited_organization(request.user, slug)
    try:
        since = dt.datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = None
    return chain_fragment(request, organization, since)


# ---- the log --------------------------------------------------------------------------------


@login_required
def audit_home(request, slug):
    organization = audited_organization(request.user, slug)
    form = LogFilterForm(request.GET, organization=organization)  # no filter: whole log
    rows, next_cursor = [], None
    if form.is_valid():
        rows, next_cursor = selectors.organization_log(
            form.log_filter(organization.pk),
            after=form.cleaned_data.get("after") or None,
            limit=form.cleaned_data.get("limit") or 50,
        )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "audit/home.html",
        {
            "organization": organization,
            "chain": present.chain_view(organization.pk),
            "form": form,
            "active_filters": form.active_filters(),
            "rows": present.log_items(rows, organization_id=organization.pk),
            "next_cursor": next_cursor,
            "query": query.urlencode(),
        },
    )


# ---- an item's timeline ---------------------------------------------------------------------


def timeline_page(organization, kind: str, pk: int, params):
    """The entries and older-page cursor asked for by `params` (`after`, `limit`), or 400/404."""
    model = item_model(kind, pk)
    form = TimelineForm(params)
    if not form.is_valid():
        return form, None, None
    entries, next_cursor = selectors.item_timeline(
        organization_id=organization.pk,
        item=model,
        pk=pk,
        after=form.cleaned_data["after"] or None,
        limit=form.cleaned_data["limit"] or selectors.TIMELINE_PAGE,
    )
    if not entries:
        raise Http404
    return form, entries, next_cursor


@login_required
def item_timeline(request, slug, kind, pk):
    organization = audited_organization(request.user, slug)
    form, entries, next_cursor = timeline_page(organization, kind, pk, request.GET)
    if entries is None:
        return JsonResponse(ValidationFailed(form.errors).as_dict(), status=400)
    model = item_model(kind)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "audit/timeline.html",
        {"organization": organization, "entries": entries, "kind": kind, "pk": pk,
         "items": present.timeline_items(model, pk, entries),
         "heading": present.item_heading(model, entries[0].row),
         "next_cursor": next_cursor, "query": query.urlencode(),
         "is_first_page": not form.cleaned_data["after"]},
    )  # fmt: skip


# ---- the report as of a date ----------------------------------------------------------------


@dataclass(frozen=True)
class PublishedVersion:
    item: str
    revision: str
    published_by: str
    published_at: str
    approved_by: str
    chain_head: str


@dataclass(frozen=True)
class WorkingItem:
    item: str
    title: str
    state: str
    version: str
    kind: str
    pk: int


def _acting_approvals(publications) -> dict[tuple, str]:
    """(measure, result report, approved at) → the chief executive a deputy approved for."""
    from audit.models import TransitionLog

    moments = {p.approved_at for p in publications if p.approved_at}
    if not moments:
        return {}
    logs = TransitionLog.objects.filter(
        action="approve", delegation__isnull=False, created_at__in=moments,
        measure_id__in={p.measure_id for p in publications},
    ).select_related("delegation__delegator")  # fmt: skip
    return {
        (log.measure_id, log.result_report_id, log.created_at): workflow_selectors.person_name(
            log.delegation.delegator
        )
        for log in logs
    }


def _published_versions(public) -> list[PublishedVersion]:
    versions = []
    publications = [pub for row in public for pub in (row.measure, *row.result_reports)]
    acting = _acting_approvals(publications)
    positions = present.Positions(
        publications[0].organization_id if publications else None,
        {u for pub in publications for u in (pub.published_by_id, pub.approved_by_id)},
    )
    for row in public:
        for pub in (row.measure, *row.result_reports):
            content = pub.content
            item = (
                present.report_label(row.measure.content["number"], content.get("round", ""))
                if pub.result_report_id else present.measure_label(content["number"])
            )  # fmt: skip
            versions.append(
                PublishedVersion(
                    item=item,
                    revision=present.number_text(pub.revision),
                    published_by=str(
                        present.person(
                            workflow_selectors.person_name(pub.published_by),
                            position=positions.at(pub.published_by_id, pub.published_at),
                        )
                    ),
                    published_at=present.when_text(pub.published_at),
                    approved_by=str(
                        present.person(
                            workflow_selectors.person_name(pub.approved_by),
                            delegator=acting.get(
                                (pub.measure_id, pub.result_report_id, pub.approved_at), ""
                            ),
                            position=positions.at(pub.approved_by_id, pub.approved_at),
                        )
                    ),
                    chain_head=pub.chain_head,
                )
            )
    return versions


def _unpublished(working: list[dict]) -> list[WorkingItem]:
    """What existed at that moment in another state than published (drafts, revisions …)."""
    names = present.Names()
    items = []
    for m in working:
        if m["state"] != "published":
            measure = present.measure_label(m["number"])
            items.append(WorkingItem(
                measure, m["title"], present.state_text(m["state"]),
                present.number_text(m["version"]), "measures", m["id"],
            ))  # fmt: skip
        for r in m["result_reports"]:
            if r["state"] != "published":
                round_name = names.get(ReportingRound, r["reporting_round_id"])
                items.append(WorkingItem(
                    present.report_label(m["number"], round_name), m["title"],
                    present.state_text(r["state"]), present.number_text(r["version"]),
                    "reports", r["id"],
                ))  # fmt: skip
    return items


@login_required
def report_as_of(request, slug):
    organization = audited_organization(request.user, slug)
    form = AsOfForm(request.GET or None, organization=organization)
    refused = form.is_bound and not form.is_valid()
    at = form.moment() if form.is_bound and not refused else timezone.now()
    year = (form.cleaned_data.get("year") if form.is_bound and not refused else None) or (
        FiscalYear.objects.filter(measures__organization=organization)
        .values_list("year", flat=True)
        .order_by("-year")
        .first()
    )
    context = {"organization": organization, "form": form, "at": present.when_text(at),
               "refused": refused, "fiscal_year": None}  # fmt: skip
    if year and not refused:
        fiscal_year = get_object_or_404(FiscalYear, year=year)
        public = workflow_selectors.public_report(organization, fiscal_year, at=at)
        working = selectors.report_as_of(
            organization_id=organization.pk, fiscal_year_id=fiscal_year.pk, at=at
        )["working"]
        context.update(
            fiscal_year=fiscal_year,
            year_text=present.number_text(fiscal_year.year),
            report=workflow_selectors.public_report_built(organization, fiscal_year, public, at=at),
            published=_published_versions(public),
            unpublished=_unpublished(working),
        )
    return render(request, "audit/as_of.html", context, status=400 if refused else 200)


# ---- exports --------------------------------------------------------------------------------


def export_response(request, organization, fmt: str):
    if fmt not in EXPORT_TYPES:
        raise Http404
    form = LogFilterForm(request.GET, organization=organization)
    if not form.is_valid():
        return JsonResponse(ValidationFailed(form.errors).as_dict(), status=400)
    response = StreamingHttpResponse(
        selectors.log_export(form.log_filter(organization.pk), fmt),
        content_type=EXPORT_TYPES[fmt],
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-log-{organization.slug}-{stamp}.{fmt}"'
    )
    return response


@login_required
def log_export(request, slug, fmt):
    return export_response(request, audited_organization(request.user, slug), fmt)
