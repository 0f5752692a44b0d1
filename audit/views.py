"""The auditor's pages: chain status and log, an item's timeline, the report as of a date."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from approvals.exceptions import ValidationFailed
from audit import selectors
from audit.access import audited_organization
from audit.forms import AsOfForm, LogFilterForm, TimelineForm
from workflow.models import FiscalYear, Measure, ResultReport

ITEM_KINDS = {"measures": Measure, "reports": ResultReport}
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def item_model(kind: str, pk: int | None = None):
    if pk is not None and not 0 < pk < 2**63:
        raise Http404
    try:
        return ITEM_KINDS[kind]
    except KeyError as error:
        raise Http404 from error


@login_required
def audit_home(request, slug):
    organization = audited_organization(request.user, slug)
    form = LogFilterForm(request.GET)  # every filter is optional: no filter, whole log
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
            "chain": selectors.chain_status(organization.pk),
            "form": form,
            "rows": rows,
            "next_cursor": next_cursor,
            "query": query.urlencode(),
        },
    )


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
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "audit/timeline.html",
        {"organization": organization, "entries": entries, "kind": kind, "pk": pk,
         "newest": entries[0].row, "next_cursor": next_cursor, "query": query.urlencode(),
         "is_first_page": not form.cleaned_data["after"]},
    )  # fmt: skip


@login_required
def report_as_of(request, slug):
    organization = audited_organization(request.user, slug)
    form = AsOfForm(request.GET or None)
    at = form.moment() if form.is_valid() else timezone.now()
    year = (form.cleaned_data.get("year") if form.is_valid() else None) or (
        FiscalYear.objects.filter(measures__organization=organization)
        .values_list("year", flat=True)
        .order_by("-year")
        .first()
    )
    fiscal_year = get_object_or_404(FiscalYear, year=year) if year else None
    report = (
        selectors.report_as_of(
            organization_id=organization.pk, fiscal_year_id=fiscal_year.pk, at=at
        )
        if fiscal_year
        else {"at": at, "working": [], "published": []}
    )
    return render(
        request,
        "audit/as_of.html",
        {"organization": organization, "form": form, "report": report, "fiscal_year": fiscal_year},
    )


def export_response(request, organization, fmt: str):
    if fmt not in EXPORT_TYPES:
        raise Http404
    form = LogFilterForm(request.GET)
    if not form.is_valid():
        return JsonResponse(ValidationFailed(form.errors).as_dict(), status=400)
    response = StreamingHttpResponse(
        selectors.log_export(form.log_filter(organization.pk), fmt),
        content_type=EXPORT_TYPES[fmt],
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-log-{organization.slug}-{stamp}.{fmt}"'
    )
    return response


@login_required
def log_export(request, slug, fmt):
    return export_response(request, audited_organization(request.user, slug), fmt)
