"""Staff pages of the yearly ITA cycle: last year's result, its analysis, a new year."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import permissions
from approvals.exceptions import ValidationFailed
from approvals.models import Role
from approvals.services import transition_perform
from workflow import assessment_selectors as ita_selectors
from workflow import assessment_services as ita
from workflow import selectors
from workflow.assessment import Analysis, AssessmentScheme
from workflow.models import Action, FiscalYear, Measure, Organization
from workflow.views.errors import handles_workflow_errors


def _organization(request, pk) -> Organization:
    return get_object_or_404(
        Organization, pk=pk, pk__in=selectors.organization_ids_of(request.user)
    )


def _field_errors(error: ValidationFailed) -> list[str]:
    return [message for messages_ in error.fields.values() for message in messages_]


@login_required
def cycle_home(request):
    """Per organization: its ITA results, its analyses and the form to open a new year."""
    organizations = Organization.objects.filter(pk__in=selectors.organization_ids_of(request.user))
    rows = []
    for organization in organizations:
        roles = permissions.roles_of(request.user, organization.pk)
        years = sorted(
            set(
                Measure.objects.filter(organization=organization).values_list(
                    "fiscal_year__year", flat=True
                )
            ),
            reverse=True,
        )
        rows.append(
            {
                "organization": organization,
                "is_working_group": Role.WORKING_GROUP in roles,
                "results": ita_selectors.ita_results_of(organization=organization),
                "analyses": [
                    (a, permissions.actions_available(request.user, a))
                    for a in ita_selectors.analyses_of(user=request.user)
                    if a.organization_id == organization.pk
                ],
                "years": years,
                "next_year": (years[0] + 1) if years else None,
            }
        )
    return render(
        request,
        "ita/home.html",
        {"rows": rows, "scheme_years": AssessmentScheme.objects.values_list("year", flat=True)},
    )


@login_required
@handles_workflow_errors
def year_open(request, organization_pk: int):
    """Choose the measures of year N to carry into N+1 (all by default), then open it."""
    organization = _organization(request, organization_pk)
    try:
        from_year = int(request.GET.get("from") or request.POST.get("from_year"))
    except (TypeError, ValueError):
        messages.error(request, _("Choose the fiscal year to open from."))
        return redirect("ita:home")
    measures = list(
        Measure.objects.filter(organization=organization, fiscal_year__year=from_year)
        .prefetch_related("divisions", "indicators")
        .order_by("number")
    )
    if request.method == "POST":
        chosen = [int(i) for i in request.POST.getlist("measures") if i.isdigit()]
        if not chosen:
            messages.error(request, _("Choose at least one measure to carry over."))
        else:
            opened = ita.fiscal_year_open(
                organization=organization, from_year=from_year, to_year=from_year + 1,
                actor=request.user, measure_ids=chosen,
            )  # fmt: skip
            messages.success(
                request,
                _(
                    "Fiscal year %(year)s opened: %(created)s measures carried over as drafts,"
                    " %(skipped)s were already there, %(rounds)s reporting rounds created."
                )
                % {
                    "year": opened.fiscal_year.year,
                    "created": len(opened.created),
                    "skipped": len(opened.already_carried),
                    "rounds": len(opened.rounds_created),
                },
            )
            return redirect(reverse("workflow:measure-list") + f"?year={opened.fiscal_year.year}")
    carried = set(
        Measure.objects.filter(
            organization=organization, fiscal_year__year=from_year + 1, carried_from__in=measures
        ).values_list("carried_from_id", flat=True)
    )
    return render(
        request,
        "ita/year_open.html",
        {
            "organization": organization,
            "from_year": from_year,
            "to_year": from_year + 1,
            "measures": measures,
            "carried": carried,
        },
    )


@login_required
@handles_workflow_errors
def result_edit(request, organization_pk: int, year: int):
    """Enter (or correct) the ITA score, level and indicator scores of one assessed year."""
    organization = _organization(request, organization_pk)
    if year == 0:  # the home page's form names the year in its query (no script: CSP)
        chosen = request.GET.get("year", "")
        if not chosen.isdigit():
            raise Http404
        return redirect("ita:result-edit", organization_pk=organization.pk, year=int(chosen))
    scheme = get_object_or_404(
        AssessmentScheme.objects.prefetch_related("tools__indicators"), year=year
    )
    existing = next(
        (
            r
            for r in ita_selectors.ita_results_of(organization=organization)
            if r.scheme_id == scheme.pk
        ),
        None,
    )
    values = {"score": existing.score if existing else ""}
    if existing:
        values.update({f"indicator_{s.indicator.number}": s.score for s in existing.scores.all()})
    errors: dict = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in request.POST}
        scores = {
            indicator.number: request.POST.get(f"indicator_{indicator.number}", "")
            for tool in scheme.tools.all()
            for indicator in tool.indicators.all()
        }
        try:
            ita.ita_result_save(
                organization=organization, year=year, score=request.POST.get("score", ""),
                indicator_scores=scores, actor=request.user,
            )  # fmt: skip
        except ValidationFailed as error:
            errors = error.fields
            messages.error(request, _("Some of the data is not valid."))
        else:
            messages.success(request, _("The ITA result was saved."))
            return redirect("ita:home")
    tools = [
        {
            "tool": tool,
            "fields": [
                {
                    "indicator": indicator,
                    "key": f"indicator_{indicator.number}",
                    "value": values.get(f"indicator_{indicator.number}", ""),
                    "errors": errors.get(f"indicator_{indicator.number}", []),
                }
                for indicator in tool.indicators.all()
            ],
        }
        for tool in scheme.tools.all()
    ]
    return render(
        request,
        "ita/result_form.html",
        {
            "organization": organization,
            "scheme": scheme,
            "score": values.get("score", ""),
            "tools": tools,
            "errors": errors,
        },
    )


@login_required
@require_POST
@handles_workflow_errors
def result_import(request, organization_pk: int, year: int):
    """Read the ITA result of `year` from an uploaded CSV or XLSX file."""
    organization = _organization(request, organization_pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a CSV or XLSX file."))
        return redirect("ita:result-edit", organization.pk, year)
    ita.ita_result_import(
        organization=organization, year=year, source=upload, source_name=upload.name,
        actor=request.user,
    )  # fmt: skip
    messages.success(request, _("The ITA result was saved."))
    return redirect("ita:home")


@login_required
@require_POST
@handles_workflow_errors
def analysis_start(request, organization_pk: int):
    organization = _organization(request, organization_pk)
    year = request.POST.get("fiscal_year", "")
    fiscal_year = get_object_or_404(FiscalYear, year=int(year) if year.isdigit() else 0)
    analysis = ita.analysis_create(
        organization=organization, fiscal_year=fiscal_year, actor=request.user
    )
    return redirect("ita:analysis", analysis.pk)


def _analysis_of(request, pk: int) -> Analysis:
    return get_object_or_404(
        Analysis.objects.select_related("organization", "fiscal_year", "result__scheme"),
        pk=pk,
        organization_id__in=selectors.organization_ids_of(request.user),
    )


@login_required
def analysis_detail(request, pk: int):
    analysis = _analysis_of(request, pk)
    snapshot = ita_selectors.analysis_snapshot(analysis)
    return render(
        request,
        "ita/analysis_detail.html",
        {
            "item": analysis,
            "analysis": snapshot,
            "chart": ita_selectors.analysis_chart(snapshot),
            "unanswered": ita_selectors.indicators_unanswered(snapshot),
            "actions": permissions.actions_available(request.user, analysis),
            "may_edit": permissions.may_edit(request.user, analysis, "analysis"),
            "timeline": selectors.item_timeline(analysis),
        },
    )


@login_required
@handles_workflow_errors
def analysis_edit(request, pk: int):
    analysis = _analysis_of(request, pk)
    permissions.authorize_edit(request.user, analysis, "analysis")
    snapshot = ita_selectors.analysis_snapshot(analysis)
    if request.method == "POST":
        issues = {
            row["number"]: request.POST.get(f"issues_{row['number']}", "")
            for tool in snapshot["tools"]
            for row in tool["rows"]
        }
        version = request.POST.get("version")
        ita.analysis_update(
            analysis=analysis, actor=request.user, summary=request.POST.get("summary", ""),
            issues=issues, expected_version=int(version) if version and version.isdigit() else None,
        )  # fmt: skip
        messages.success(request, _("The analysis was saved."))
        return redirect("ita:analysis", analysis.pk)
    return render(request, "ita/analysis_form.html", {"item": analysis, "analysis": snapshot})


@login_required
@require_POST
@handles_workflow_errors
def analysis_transition(request, pk: int):
    analysis = _analysis_of(request, pk)
    version = request.POST.get("version")
    transition_perform(
        item=analysis, action=request.POST.get("action", ""), actor=request.user,
        comment=request.POST.get("comment", ""),
        expected_version=int(version) if version and version.isdigit() else None,
        ip_address=request.META.get("REMOTE_ADDR"),
    )  # fmt: skip
    messages.success(
        request, _("Done: %(action)s.") % {"action": Action(request.POST["action"]).label}
    )
    return redirect("ita:analysis", analysis.pk)


@login_required
@handles_workflow_errors
def measure_indicators(request, pk: int):
    """Tick the ITA indicators a drafted measure addresses."""
    measure = get_object_or_404(
        Measure.objects.select_related("fiscal_year", "organization"),
        pk=pk,
        organization_id__in=selectors.organization_ids_of(request.user),
    )
    permissions.authorize_edit(request.user, measure, "measure")
    scheme = (
        AssessmentScheme.objects.prefetch_related("tools__indicators")
        .filter(year=measure.fiscal_year.year)
        .first()
    )
    if request.method == "POST":
        ita.measure_indicators_set(
            measure=measure, actor=request.user,
            indicator_ids=[i for i in request.POST.getlist("indicators") if i.isdigit()],
        )  # fmt: skip
        messages.success(request, _("The indicators of the measure were saved."))
        return redirect("workflow:measure-detail", measure.pk)
    return render(
        request,
        "ita/measure_indicators.html",
        {
            "measure": measure,
            "scheme": scheme,
            "chosen": set(measure.indicators.values_list("pk", flat=True)),
        },
    )
