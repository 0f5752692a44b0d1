"""The staff pages: thin views over the selectors and the services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import permissions
from approvals.exceptions import NotPermitted, ValidationFailed
from approvals.models import Role
from approvals.services import transition_perform
from workflow import selectors, services
from workflow.forms import EvidenceForm, MeasureForm, ResultReportCreateForm, texts_from
from workflow.models import (
    Action,
    Evidence,
    FiscalYear,
    Measure,
    Organization,
    ResultReport,
    State,
)
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


@login_required
def home(request):
    return render(request, "workflow/home.html", selectors.waiting_for(request.user))


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
    extra = {"introduction_years": selectors.introduction_years(user=request.user)}
    return _list(
        request, "workflow/measure_list.html", "workflow/_measure_rows.html", queryset, extra
    )


@login_required
def result_report_list(request):
    queryset = selectors.result_report_list(user=request.user, filters=_filters(request))
    return _list(
        request, "workflow/result_report_list.html", "workflow/_report_rows.html", queryset, {}
    )


def _detail(request, kind: str, item, template: str, extra: dict):
    from audit.access import may_audit

    return render(
        request,
        template,
        {
            "item": item,
            "kind": kind,
            "audit_kind": "measures" if kind == "measure" else "reports",
            "may_audit": may_audit(request.user, item.organization_id),
            "actions": permissions.actions_available(request.user, item),
            "timeline": selectors.item_timeline(item),
            **extra,
        },
    )


@login_required
def measure_detail(request, pk: int):
    measure = _item_of(request.user, "measure", pk)
    extra = {
        "may_edit": permissions.may_edit(request.user, measure, "measure"),
        "may_add_report": permissions.facts_for(request.user, measure).heads_division,
        "methods": list(measure.methods.all()),
        "divisions": list(measure.divisions.all()),
        "reports": list(measure.result_reports.select_related("reporting_round")),
    }
    return _detail(request, "measure", measure, "workflow/measure_detail.html", extra)


@login_required
def result_report_detail(request, pk: int):
    report = _item_of(request.user, "report", pk)
    extra = {
        "may_edit": permissions.may_edit(request.user, report, "items")
        or permissions.may_edit(request.user, report, "recommendations"),
        "evidence_form": EvidenceForm()
        if permissions.may_edit(request.user, report, "evidence")
        else None,
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
    return redirect(f"workflow:{'measure' if kind == 'measure' else 'result-report'}-detail", pk=pk)


@login_required
def evidence_download(request, pk: int):
    evidence = get_object_or_404(
        Evidence.objects.select_related("report__measure"),
        pk=pk,
        report__measure__organization_id__in=selectors.organization_ids_of(request.user),
    )
    return evidence_response(evidence)


def _with_service_errors(form, error: ValidationFailed) -> None:
    """Put the service's field errors on the form; lists (methods, items …) go on top."""
    for field, errors in error.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


def _measure_fields(form: MeasureForm, methods: list[str]) -> dict:
    start, end = form.period()
    return {
        "number": form.cleaned_data["number"],
        "title": form.cleaned_data["title"],
        "methods": methods,
        "division_ids": [d.pk for d in form.cleaned_data["divisions"]],
        "period_start": start,
        "period_end": end,
    }


def _organization_for_new_measure(user):
    org_ids = selectors.organization_ids_of(user)
    if not org_ids:
        raise Http404
    return get_object_or_404(Organization, pk=org_ids[0])


@login_required
@handles_workflow_errors
def measure_create(request):
    organization = _organization_for_new_measure(request.user)
    form = MeasureForm(request.POST or None, organization=organization, creating=True)
    methods = texts_from(request.POST, "methods") if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.measure_create(
                organization=organization,
                fiscal_year=form.cleaned_data["fiscal_year"],
                actor=request.user,
                **_measure_fields(form, methods),
            )
        except ValidationFailed as error:
            _with_service_errors(form, error)
        else:
            messages.success(request, _("The measure was drafted."))
            return redirect("workflow:measure-detail", pk=measure.pk)
    return render(
        request, "workflow/measure_form.html", {"form": form, "methods": methods, "item": None}
    )


@login_required
@handles_workflow_errors
def measure_edit(request, pk: int):
    measure = _item_of(request.user, "measure", pk)
    permissions.authorize_edit(request.user, measure, "measure")
    form = MeasureForm(
        request.POST or None,
        organization=measure.organization,
        creating=False,
        initial=MeasureForm.initial_for(measure),
    )
    if request.method == "POST":
        methods = texts_from(request.POST, "methods")
        if form.is_valid():
            try:
                services.measure_update(
                    measure=measure,
                    actor=request.user,
                    expected_version=_int_or_none(request.POST.get("version")),
                    **_measure_fields(form, methods),
                )
            except ValidationFailed as error:
                _with_service_errors(form, error)
            else:
                messages.success(request, _("The measure was saved."))
                return redirect("workflow:measure-detail", pk=measure.pk)
    else:
        methods = [m.text for m in measure.methods.all()]
    return render(
        request, "workflow/measure_form.html", {"form": form, "methods": methods, "item": measure}
    )


@login_required
@handles_workflow_errors
def result_report_create(request, measure_pk: int):
    measure = _item_of(request.user, "measure", measure_pk)
    form = ResultReportCreateForm(request.POST or None, measure=measure)
    items = texts_from(request.POST, "items") if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        try:
            report = services.result_report_create(
                measure=measure,
                reporting_round=form.cleaned_data["reporting_round"],
                actor=request.user,
                items=items,
            )
        except ValidationFailed as error:
            _with_service_errors(form, error)
        else:
            messages.success(request, _("The result report was drafted."))
            return redirect("workflow:result-report-detail", pk=report.pk)
    context = {"form": form, "measure": measure, "items": items, "item": None}
    return render(request, "workflow/result_report_form.html", context)


@login_required
@handles_workflow_errors
def result_report_edit(request, pk: int):
    report = _item_of(request.user, "report", pk)
    edits_items = permissions.may_edit(request.user, report, "items")
    edits_recommendations = permissions.may_edit(request.user, report, "recommendations")
    if not (edits_items or edits_recommendations):
        permissions.authorize_edit(request.user, report, "items")  # raises, explained
    form = forms.Form(request.POST or None)
    if request.method == "POST":
        items = texts_from(request.POST, "items")
        recommendations = texts_from(request.POST, "recommendations")
        try:
            services.result_report_update(
                report=report,
                actor=request.user,
                expected_version=_int_or_none(request.POST.get("version")),
                items=items if edits_items else None,
                recommendations=recommendations if edits_recommendations else None,
            )
        except ValidationFailed as error:
            _with_service_errors(form, error)
        else:
            messages.success(request, _("The result report was saved."))
            return redirect("workflow:result-report-detail", pk=report.pk)
    else:
        items = [i.text for i in report.items.all()]
        recommendations = [r.text for r in report.recommendations.all()]
    context = {
        "form": form,
        "item": report,
        "measure": report.measure,
        "items": items,
        "recommendations": recommendations,
        "edits_items": edits_items,
        "edits_recommendations": edits_recommendations,
    }
    return render(request, "workflow/result_report_form.html", context)


@login_required
@require_POST
@handles_workflow_errors
def evidence_add(request, pk: int):
    report = _item_of(request.user, "report", pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("workflow:result-report-detail", pk=pk)
    try:
        services.evidence_add(
            report=report,
            actor=request.user,
            uploaded_file=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
        )
    except ValidationFailed as error:
        for errors in error.fields.values():
            for message in errors:
                messages.error(request, message)
    else:
        messages.success(request, _("The file was attached."))
    return redirect("workflow:result-report-detail", pk=pk)


@login_required
@handles_workflow_errors
def introduction_edit(request, slug: str, year: int):
    """The opening paragraph of a year's report: the working group writes it."""
    organization = get_object_or_404(
        Organization, slug=slug, pk__in=selectors.organization_ids_of(request.user)
    )
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    introduction = selectors.report_introduction(organization=organization, fiscal_year=fiscal_year)
    may_edit = Role.WORKING_GROUP in permissions.roles_of(request.user, organization.pk)
    text = introduction.text if introduction else ""
    errors: list[str] = []
    if request.method == "POST":
        if not may_edit:
            raise NotPermitted()
        text = request.POST.get("text", "")
        try:
            services.report_introduction_update(
                organization=organization,
                fiscal_year=fiscal_year,
                actor=request.user,
                text=text,
                expected_version=_int_or_none(request.POST.get("version")),
            )
        except ValidationFailed as error:
            errors = [m for field_messages in error.fields.values() for m in field_messages]
        else:
            messages.success(
                request,
                _("The opening paragraph was saved. It is published with the next publication."),
            )
            return redirect("workflow:introduction-edit", slug=slug, year=year)
    context = {
        "organization": organization,
        "fiscal_year": fiscal_year,
        "introduction": introduction,
        "text": text,
        "errors": errors,
        "may_edit": may_edit,
        "published": selectors.published_introduction(
            organization=organization, fiscal_year=fiscal_year
        ),
    }
    return render(request, "workflow/introduction_form.html", context)
