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
from approvals import selectors as approval_selectors
from approvals.exceptions import (
    NotEditable,
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
    WorkflowError,
)
from approvals.models import PublicationSchedule, Role
from approvals.services import (
    publication_schedule,
    publication_schedule_cancel,
    result_report_publish_with_measure,
    transition_perform,
    transitions_perform_many,
)
from config.security import client_ip
from workflow import selectors, services
from workflow.forms import (
    EvidenceForm,
    MeasureForm,
    PublicationScheduleForm,
    ResultReportCreateForm,
    texts_from,
)
from workflow.models import (
    Action,
    Evidence,
    FiscalYear,
    Measure,
    Organization,
    ReportIntroduction,
    ResultReport,
    State,
)
from workflow.templatetags.thai import be_datetime
from workflow.uploads import evidence_response
from workflow.views.errors import back_address, handles_workflow_errors, workflow_error_message
from workflow.views.spacing import count_shown

PAGE_SIZE = 50
ITEM_MODELS = {"measure": Measure, "report": ResultReport, "introduction": ReportIntroduction}


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
    org_field = "measure__organization_id" if model is ResultReport else "organization_id"
    queryset = model.objects.filter(**{f"{org_field}__in": selectors.organization_ids_of(user)})
    if model is ResultReport:
        queryset = queryset.select_related("measure__organization", "reporting_round")
    else:
        queryset = queryset.select_related("organization", "fiscal_year")
    return get_object_or_404(queryset, pk=pk)


@login_required
def home(request):
    from audit.present import audit_overviews

    context = {**selectors.waiting_for(request.user), "audits": audit_overviews(request.user)}
    actions = {a for entry in context["entries"] for a in entry["actions"]}
    context["may_bulk_approve"] = "approve" in actions
    context["may_bulk_publish"] = "publish" in actions
    context["is_publisher"] = any(row.role == "publisher" for row in context["waiting"])
    context["is_admin"] = request.user.memberships.filter(role="admin", is_active=True).exists()
    context["years"] = selectors.filter_choices(user=request.user)["years"][:2]
    context["spacing_waiting"] = selectors.spacing_waiting(user=request.user)
    context["spacing_waiting_shown"] = count_shown(context["spacing_waiting"])
    return render(request, "workflow/home.html", context)


@login_required
def year_overview(request, year: int):
    """Every measure of a fiscal year and its reports per round, as a grid of states."""
    division = _int_or_none(request.GET.get("division"))
    context = {
        "grid": selectors.year_grid(user=request.user, year=year, division=division),
        "division": division,
        "divisions": selectors.filter_choices(user=request.user)["divisions"],
        "introductions": selectors.year_introductions(user=request.user, year=year),
    }
    return render(request, "workflow/year.html", context)


BULK_ACTIONS = (Action.APPROVE, Action.PUBLISH)


def _outcome_label(item) -> str:
    """The item named in the page's language and digits (the inbox's labels are Thai)."""
    from audit.present import measure_label, report_label

    if isinstance(item, ResultReport):
        measure = item.measure
        return f"{report_label(measure.number, item.reporting_round.name)} {measure.title}"
    return f"{measure_label(item.number)} {item.title}"


@login_required
@require_POST
def bulk_transition(request):
    """Approve or publish the items ticked on the home page, each on its own."""
    action = request.POST.get("action", "")
    if action not in {a.value for a in BULK_ACTIONS}:
        raise Http404
    picked = []
    for value in request.POST.getlist("items"):
        kind, _sep, rest = value.partition(":")
        pk, _sep, version = rest.partition(":")
        kind = "measure" if kind == "measure" else "report"
        if _int_or_none(pk) is None:
            continue
        try:
            picked.append((_item_of(request.user, kind, int(pk)), _int_or_none(version)))
        except Http404:
            continue
    if not picked:
        messages.error(request, _("Select at least one item."))
        return redirect("workflow:home")
    outcomes = transitions_perform_many(
        items=picked, action=action, actor=request.user, ip_address=client_ip(request)
    )
    rows = [
        {
            "done": outcome.done,
            "label": _outcome_label(outcome.item),
            "url": _detail_url(
                "report" if isinstance(outcome.item, ResultReport) else "measure", outcome.item.pk
            ),
            "reason": workflow_error_message(outcome.error) if outcome.error else "",
        }
        for outcome in outcomes
    ]
    context = {
        "action": Action(action),
        "outcomes": rows,
        "done_count": sum(row["done"] for row in rows),
    }
    return render(request, "workflow/bulk_result.html", context)


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


# The auditor's timeline of each kind of item (audit.views.ITEM_KINDS).
AUDIT_KINDS = {"measure": "measures", "report": "reports", "introduction": "introductions"}

# The weight of each action on the page: the step forward first and filled, the way
# back after it and outlined.
PRIMARY_ACTIONS = (Action.APPROVE, Action.REVIEW, Action.SUBMIT, Action.PUBLISH)
SECONDARY_ACTIONS = (Action.RETURN, Action.WITHDRAW, Action.REVISE)


def _ordered_actions(request, item) -> list[dict]:
    """The person's actions on the item, step forward first, each with who will be told."""
    available = permissions.actions_available(request.user, item)
    return [
        {
            "action": action,
            "primary": action in PRIMARY_ACTIONS,
            "told": approval_selectors.people_told(item, action.value, request.user),
        }
        for action in (*PRIMARY_ACTIONS, *SECONDARY_ACTIONS)
        if action in available
    ]


def _detail(request, kind: str, item, template: str, extra: dict, status: int = 200):
    from audit.access import may_audit

    actions = _ordered_actions(request, item)
    publishes = any(entry["action"] == Action.PUBLISH for entry in actions)
    if publishes and kind != "introduction":  # the paragraph is published at once
        extra.setdefault("schedule_form", PublicationScheduleForm())
        if kind == "report":
            extra["measure_first"] = approval_selectors.measure_unpublished(item)
    # the six-column row and its changes are a measure's or a report's; the opening
    # paragraph's own page already shows its text as the public will read it
    if kind in ("measure", "report") and permissions.may_preview(request.user, item):
        extra["preview"] = selectors.item_preview(item)
        extra["changes"] = selectors.revision_changes(item)
    return render(
        request,
        template,
        {
            "item": item,
            "kind": kind,
            "audit_kind": AUDIT_KINDS[kind],
            "may_audit": may_audit(request.user, item.organization_id),
            "actions": actions,
            "standing": approval_selectors.item_standing(item),
            "timeline": selectors.item_timeline(item),
            **extra,
        },
        status=status,
    )


def _measure_page(request, measure, extra: dict | None = None, status: int = 200):
    context = {
        "may_edit": permissions.may_edit(request.user, measure, "measure"),
        "may_add_report": permissions.facts_for(request.user, measure).heads_division,
        "methods": list(measure.methods.all()),
        "divisions": list(measure.divisions.all()),
        "reports": list(measure.result_reports.select_related("reporting_round")),
        **(extra or {}),
    }
    return _detail(request, "measure", measure, "workflow/measure_detail.html", context, status)


def _report_page(request, report, extra: dict | None = None, status: int = 200):
    may_attach = permissions.may_edit(request.user, report, "evidence")
    context = {
        "may_edit": permissions.may_edit(request.user, report, "items")
        or permissions.may_edit(request.user, report, "recommendations"),
        "may_attach": may_attach,
        "evidence_form": EvidenceForm() if may_attach else None,
        "items": list(report.items.all()),
        "recommendations": list(report.recommendations.all()),
        "evidence": list(report.evidence.all()),
        **(extra or {}),
    }
    return _detail(request, "report", report, "workflow/result_report_detail.html", context, status)


def _item_page(request, kind: str, item, extra: dict | None = None, status: int = 200):
    page = {"measure": _measure_page, "introduction": _introduction_page}.get(kind, _report_page)
    return page(request, item, extra, status)


def _item_redirect(kind: str, item):
    if kind == "introduction":
        return redirect(
            "workflow:introduction-edit", slug=item.organization.slug, year=item.fiscal_year.year
        )
    name = "measure" if kind == "measure" else "result-report"
    return redirect(f"workflow:{name}-detail", item.pk)


@login_required
def measure_detail(request, pk: int):
    return _measure_page(request, _item_of(request.user, "measure", pk))


@login_required
def result_report_detail(request, pk: int):
    return _report_page(request, _item_of(request.user, "report", pk))


def _conflict(request, item, error: WorkflowError) -> dict | None:
    """What changed meanwhile, and by whom, when an action met a newer version of the item."""
    if not isinstance(error, StaleVersion | TransitionNotAllowed | NotEditable):
        return None
    change = approval_selectors.item_last_change(item)
    user = change.get("user")
    return {
        "by_me": user is not None and user.pk == request.user.pk,
        "who": approval_selectors.person_label(user) if user is not None else "",
        "at": change.get("at"),
        "state": item.get_state_display(),
        "version": item.version,
        "may_overwrite": isinstance(error, StaleVersion),
    }


def _now_with(item) -> str:
    """The success message's second half: who has the item now."""
    if item.state == State.PUBLISHED:
        return _("It is now published for the public.")
    people = approval_selectors.people_for_step(item, item.state)
    if not people:
        return _("Nobody holds the next step yet; ask the organization admin.")
    return _("It is now with: %(people)s.") % {"people": ", ".join(people)}


@login_required
@require_POST
def transition(request, kind: str, pk: int):
    """Take one action on an item; `version` is the version the person saw.

    A refused action shows the item page again with what was typed and why.
    """
    item = _item_of(request.user, kind, pk)
    action = request.POST.get("action", "")
    if action not in Action.values:
        raise Http404
    comment = request.POST.get("comment", "")
    try:
        transition_perform(
            item=item,
            action=action,
            actor=request.user,
            comment=comment,
            expected_version=_int_or_none(request.POST.get("version")),
            ip_address=client_ip(request),
        )
    except WorkflowError as error:
        item = _item_of(request.user, kind, pk)
        refused = {
            "action": action,
            "comment": comment,
            "message": workflow_error_message(error),
            "conflict": _conflict(request, item, error),
            "kept_in_form": Action(action) in permissions.actions_available(request.user, item),
        }
        return _item_page(request, kind, item, {"refused": refused}, status=error.status)
    item = _item_of(request.user, kind, pk)
    messages.success(
        request,
        _("%(action)s: done.") % {"action": Action(action).label} + " " + _now_with(item),
    )
    return _item_redirect(kind, item)


@login_required
def evidence_download(request, pk: int):
    return evidence_response(_evidence_of(request, pk))


# The service's names of fields the page's form asks in other boxes.
FORM_FIELD_OF = {"period_start": "start_month", "period_end": "end_month"}


def _form_status(form) -> int:
    """400 for a form sent back with its errors, so that no client takes it for a success."""
    return 400 if form.is_bound and form.errors else 200


def _with_service_errors(form, error: ValidationFailed) -> None:
    """Put the service's field errors at their boxes; lists (methods, items …) go on top."""
    for field, errors in error.fields.items():
        field = FORM_FIELD_OF.get(field, field)
        for message in errors:
            if field not in form.fields:
                field = None
            if message not in form.errors.get(field or "__all__", []):
                form.add_error(field, message)


def _refused_edit(request, form, item, error: WorkflowError) -> dict | None:
    """Show a refused save on the form itself; a conflict says who changed what meanwhile."""
    if isinstance(error, ValidationFailed):
        _with_service_errors(form, error)
        return None
    form.add_error(None, workflow_error_message(error))
    current = type(item).objects.get(pk=item.pk)
    return _conflict(request, current, error)


def _expected_version(request) -> int | None:
    """The version the person edited, or the newer one they chose to save over."""
    return _int_or_none(request.POST.get("overwrite") or request.POST.get("version"))


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
    context = {"form": form, "methods": methods, "item": None}
    context["fiscal_years"] = list(form.fields["fiscal_year"].queryset.order_by("-year")[:3])
    return render(request, "workflow/measure_form.html", context, status=_form_status(form))


@login_required
@handles_workflow_errors
def measure_edit(request, pk: int):
    measure = _item_of(request.user, "measure", pk)
    if request.method != "POST":  # a save is checked by the service, and refused on the form
        permissions.authorize_edit(request.user, measure, "measure")
    conflict = None
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
                    expected_version=_expected_version(request),
                    **_measure_fields(form, methods),
                )
            except WorkflowError as error:
                conflict = _refused_edit(request, form, measure, error)
            else:
                messages.success(request, _("The measure was saved."))
                return redirect("workflow:measure-detail", pk=measure.pk)
    else:
        methods = [m.text for m in measure.methods.all()]
    context = {"form": form, "methods": methods, "item": measure, "conflict": conflict}
    context["fiscal_years"] = [measure.fiscal_year]
    return render(request, "workflow/measure_form.html", context, status=_form_status(form))


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
    return render(request, "workflow/result_report_form.html", context, status=_form_status(form))


@login_required
@handles_workflow_errors
def result_report_edit(request, pk: int):
    report = _item_of(request.user, "report", pk)
    edits_items = permissions.may_edit(request.user, report, "items")
    edits_recommendations = permissions.may_edit(request.user, report, "recommendations")
    if request.method == "POST" and not (edits_items or edits_recommendations):
        # the report moved on while it was being edited: the service refuses, on the form
        edits_items = "items" in request.POST
        edits_recommendations = "recommendations" in request.POST
    elif not (edits_items or edits_recommendations):
        permissions.authorize_edit(request.user, report, "items")  # raises, explained
    form = forms.Form(request.POST or None)
    conflict = None
    if request.method == "POST":
        items = texts_from(request.POST, "items")
        recommendations = texts_from(request.POST, "recommendations")
        try:
            services.result_report_update(
                report=report,
                actor=request.user,
                expected_version=_expected_version(request),
                items=items if edits_items else None,
                recommendations=recommendations if edits_recommendations else None,
            )
        except WorkflowError as error:
            conflict = _refused_edit(request, form, report, error)
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
        "conflict": conflict,
    }
    return render(request, "workflow/result_report_form.html", context, status=_form_status(form))


def _evidence_refused(request, report, form, error: WorkflowError | None, status: int = 400):
    """The report page again, the upload form bound (its title kept), errors at the fields."""
    if isinstance(error, ValidationFailed):
        _with_service_errors(form, error)
    elif error is not None:
        form.add_error(None, workflow_error_message(error))
    return _report_page(request, report, {"evidence_form": form}, status=status)


def _evidence_saved(request, report, form, write, done: str):
    """Check the upload form, let `write` (a service call) store it, and say so."""
    if not form.is_valid():
        return _evidence_refused(request, report, form, None)
    try:
        write(form.cleaned_data)
    except WorkflowError as error:
        return _evidence_refused(request, report, form, error, status=error.status)
    messages.success(request, done)
    return redirect("workflow:result-report-detail", pk=report.pk)


@login_required
@require_POST
def evidence_add(request, pk: int):
    report = _item_of(request.user, "report", pk)

    def write(data):
        services.evidence_add(
            report=report, actor=request.user, uploaded_file=data["file"], title=data["title"]
        )

    form = EvidenceForm(request.POST, request.FILES)
    return _evidence_saved(request, report, form, write, _("The file was attached."))


def _evidence_of(request, pk: int) -> Evidence:
    return get_object_or_404(
        Evidence.objects.select_related("report__measure"),
        pk=pk,
        report__measure__organization_id__in=selectors.organization_ids_of(request.user),
    )


@login_required
@require_POST
def evidence_replace(request, pk: int):
    """A corrected file in place of a wrong one (drafted reports, their division heads)."""
    evidence = _evidence_of(request, pk)
    report = _item_of(request.user, "report", evidence.report_id)

    def write(data):
        services.evidence_replace(
            evidence=evidence,
            actor=request.user,
            uploaded_file=data["file"],
            title=data["title"] or None,
        )

    form = EvidenceForm(request.POST, request.FILES)
    form.fields["title"].required = False
    return _evidence_saved(request, report, form, write, _("The file was replaced."))


@login_required
@require_POST
@handles_workflow_errors
def evidence_remove(request, pk: int):
    evidence = _evidence_of(request, pk)
    services.evidence_remove(evidence=evidence, actor=request.user)
    messages.success(request, _("The file was removed; the history keeps a record of it."))
    return redirect("workflow:result-report-detail", pk=evidence.report_id)


# --- publishing: now, at a set moment, or a report together with its measure ---------------


@login_required
@require_POST
def publication_schedule_create(request, kind: str, pk: int):
    """Order an approved item published at a BE date and time; refused: the form again."""
    item = _item_of(request.user, kind, pk)
    form = PublicationScheduleForm(request.POST)
    if form.is_valid():
        try:
            schedule = publication_schedule(
                item=item,
                actor=request.user,
                publish_at=form.cleaned_data["publish_at"],
                comment=request.POST.get("comment", ""),
                expected_version=_int_or_none(request.POST.get("version")),
            )
        except WorkflowError as error:
            if isinstance(error, ValidationFailed):
                _with_service_errors(form, error)
            else:
                form.add_error(None, workflow_error_message(error))
        else:
            messages.success(
                request,
                _("It will be published on %(at)s.") % {"at": be_datetime(schedule.publish_at)},
            )
            return redirect(_detail_url(kind, pk))
    extra = {"schedule_form": form, "refused": {"action": "publish", "message": ""}}
    return _item_page(request, kind, item, extra, status=400)


@login_required
@require_POST
@handles_workflow_errors
def publication_schedule_cancel_view(request, pk: int):
    schedule = get_object_or_404(
        PublicationSchedule.objects.filter(
            organization_id__in=selectors.organization_ids_of(request.user)
        ),
        pk=pk,
    )
    publication_schedule_cancel(schedule=schedule, actor=request.user)
    messages.success(request, _("The scheduled publication was called off."))
    return redirect(back_address(request))


@login_required
def publication_schedule_list(request):
    """The publisher's list of what is to be published, and when."""
    schedules = approval_selectors.schedules_pending(user=request.user)
    return render(request, "workflow/schedule_list.html", {"schedules": schedules})


@login_required
@require_POST
def result_report_publish_with_measure_view(request, pk: int):
    """Publish the report's approved measure first, then the report."""
    report = _item_of(request.user, "report", pk)
    try:
        result_report_publish_with_measure(
            report=report, actor=request.user, ip_address=client_ip(request)
        )
    except WorkflowError as error:
        refused = {"action": "publish", "message": workflow_error_message(error)}
        return _report_page(request, report, {"refused": refused}, status=error.status)
    messages.success(request, _("The measure and then its result report were published."))
    return redirect("workflow:result-report-detail", pk=pk)


def _detail_url(kind: str, pk: int) -> str:
    from django.urls import reverse

    name = "measure" if kind == "measure" else "result-report"
    return reverse(f"workflow:{name}-detail", args=[pk])


@login_required
def introduction_detail(request, pk: int):
    """The link in notifications: on to the paragraph's page of its year."""
    return _item_redirect("introduction", _item_of(request.user, "introduction", pk))


@login_required
@handles_workflow_errors
def introduction_edit(request, slug: str, year: int):
    """The opening paragraph of a year's report: the working group writes it while it is a
    draft; its state, the actions each may take and its history, as on a measure's page."""
    organization = get_object_or_404(
        Organization, slug=slug, pk__in=selectors.organization_ids_of(request.user)
    )
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    introduction = selectors.report_introduction(organization=organization, fiscal_year=fiscal_year)
    if introduction is None:
        may_edit = Role.WORKING_GROUP in permissions.roles_of(request.user, organization.pk)
    else:
        may_edit = permissions.may_edit(request.user, introduction, "introduction")
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
                _(
                    "The opening paragraph was saved. The public sees it once it is approved"
                    " and published."
                ),
            )
            return redirect("workflow:introduction-edit", slug=slug, year=year)
    context = {
        "organization": organization,
        "fiscal_year": fiscal_year,
        "text": text,
        "errors": errors,
        "may_edit": may_edit,
    }
    status = 400 if errors else 200
    if introduction is None:
        return render(request, "workflow/introduction_form.html", context, status=status)
    return _introduction_page(request, introduction, context, status)


def _introduction_page(request, introduction, extra: dict | None = None, status: int = 200):
    context = {
        "organization": introduction.organization,
        "fiscal_year": introduction.fiscal_year,
        "text": introduction.text,
        "errors": [],
        "may_edit": permissions.may_edit(request.user, introduction, "introduction"),
        **(extra or {}),
        "published": selectors.public_introduction(
            organization=introduction.organization, fiscal_year=introduction.fiscal_year
        ),
    }
    return _detail(
        request, "introduction", introduction, "workflow/introduction_form.html", context, status
    )
