"""The staff pages: thin views over the selectors and the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from approvals import permissions
from approvals.services import transition_perform
from workflow import selectors
from workflow.models import Action, Evidence, Measure, ResultReport, State
from workflow.uploads import evidence_response
from workflow.views.errors import handles_workflow_errors

PAGE_SIZE = 50
ITEM_MODELS = {"measure": Measure, "report": ResultReport}


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filters(request) -> selectors.ItemFilters:
    state = request.GET.get("state", "")
    return selectors.ItemFilters(
        year=_int_or_none(request.GET.get("year")),
        state=state if state in State.values else "",
        division=_int_or_none(request.GET.get("division")),
        round=_int_or_none(request.GET.get("round")),
        q=request.GET.get("q", "").strip()[:200],
    )


def _item_of(user, kind: str, pk: int):
    """The item if it belongs to one of the person's organizations, else 404."""
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise Http404
    org_field = "organization_id" if model is Measure else "measure__organization_id"
    queryset = model.objects.filter(**{f"{org_field}__in": selectors.organization_ids_of(user)})
    if model is ResultReport:
        queryset = queryset.select_related("measure__organization", "reporting_round")
    else:
        queryset = queryset.select_related("organization", "fiscal_year")
    return get_object_or_404(queryset, pk=pk)


def available_actions(user, item) -> list[Action]:
    """Only the actions this person may take on this item now."""
    return [
        action
        for action in Action
        if can_proceed(getattr(item, action.method_name))
        and permissions.transition_authority(user, item, action) is not None
    ]


@login_required
def home(request):
    return render(request, "workflow/home.html", {"waiting": selectors.waiting_for(request.user)})


def _list(request, template: str, rows_template: str, queryset, extra: dict):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": _filters(request),
        "states": State.choices,
        "query": request.GET.urlencode(),
        **selectors.filter_choices(user=request.user),
        **extra,
    }
    if request.htmx:  # the filters changed: only the rows
        return render(request, rows_template, context)
    return render(request, template, context)


@login_required
def measure_list(request):
    queryset = selectors.measure_list(user=request.user, filters=_filters(request))
    return _list(request, "workflow/measure_list.html", "workflow/_measure_rows.html", queryset, {})


@login_required
def result_report_list(request):
    queryset = selectors.result_report_list(user=request.user, filters=_filters(request))
    return _list(
        request, "workflow/result_report_list.html", "workflow/_report_rows.html", queryset, {}
    )


def _detail(request, kind: str, item, template: str, extra: dict):
    return render(
        request,
        template,
        {
            "item": item,
            "kind": kind,
            "actions": available_actions(request.user, item),
            "timeline": selectors.item_timeline(item),
            **extra,
        },
    )


@login_required
def measure_detail(request, pk: int):
    measure = _item_of(request.user, "measure", pk)
    extra = {
        "methods": list(measure.methods.all()),
        "divisions": list(measure.divisions.all()),
        "reports": list(measure.result_reports.select_related("reporting_round")),
    }
    return _detail(request, "measure", measure, "workflow/measure_detail.html", extra)


@login_required
def result_report_detail(request, pk: int):
    report = _item_of(request.user, "report", pk)
    extra = {
        "items": list(report.items.all()),
        "recommendations": list(report.recommendations.all()),
        "evidence": list(report.evidence.all()),
    }
    return _detail(request, "report", report, "workflow/result_report_detail.html", extra)


@login_required
@require_POST
@handles_workflow_errors
def transition(request, kind: str, pk: int):
    """Take one action on an item; `version` is the version the person saw."""
    item = _item_of(request.user, kind, pk)
    action = request.POST.get("action", "")
    if action not in Action.values:
        raise Http404
    transition_perform(
        item=item,
        action=action,
        actor=request.user,
        comment=request.POST.get("comment", ""),
        expected_version=_int_or_none(request.POST.get("version")),
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    messages.success(request, _("Done: %(action)s.") % {"action": Action(action).label})
    return redirect(f"workflow:{'measure' if kind == 'measure' else 'report'}-detail", pk=pk)


@login_required
def evidence_download(request, pk: int):
    evidence = get_object_or_404(
        Evidence.objects.select_related("report__measure"),
        pk=pk,
        report__measure__organization_id__in=selectors.organization_ids_of(request.user),
    )
    return evidence_response(evidence)
