"""The working group's review of the PDF's line-wrap spaces in imported texts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflow import selectors, services, thai
from workflow.models import SpacingProposal
from workflow.views.errors import handles_workflow_errors


def count_shown(count: int) -> str:
    """A count in the page's digits: Thai digits on Thai pages."""
    return str(count) if (get_language() or "th").startswith("en") else thai.to_thai_digits(count)


def _year(request) -> int | None:
    try:
        return int(request.GET.get("year") or request.POST.get("year") or "")
    except ValueError:
        return None


@login_required
def spacing_review(request):
    years = selectors.spacing_years(user=request.user)
    year = _year(request)
    if year is None and years:
        year = years[0]
    items = selectors.spacing_review(user=request.user, year=year) if year else []
    acceptable = sum(len(i.lines) for i in items if i.may_accept)
    return render(
        request,
        "workflow/spacing_review.html",
        {
            "items": items,
            "years": years,
            "year": year,
            "acceptable": acceptable,
            "acceptable_shown": count_shown(acceptable),
        },
    )


def _chosen(request, year):
    """The proposals the form names (or all the person may accept, for the whole report)."""
    if request.POST.get("scope") == "all":
        items = selectors.spacing_review(user=request.user, year=year)
        return [line.proposal for i in items if i.may_accept for line in i.lines]
    ids = [int(v) for v in request.POST.getlist("proposal") if v.isdigit()]
    visible = selectors.organization_ids_of(request.user)
    return list(
        SpacingProposal.objects.filter(
            pk__in=ids, organization_id__in=visible, status=SpacingProposal.Status.PENDING
        ).order_by("pk")
    )


@login_required
@require_POST
@handles_workflow_errors
def spacing_decide(request):
    year = _year(request)
    back = reverse("workflow:spacing-review") + (f"?year={year}" if year else "")
    proposals = _chosen(request, year)
    if not proposals:
        messages.info(request, _("Nothing was chosen, or it was decided already."))
        return redirect(back)
    if request.POST.get("decision") == "dismiss":
        count = services.spacing_proposals_dismiss(actor=request.user, proposals=proposals)
        messages.success(
            request,
            ngettext("%(count)s text kept as imported.", "%(count)s texts kept as imported.", count)
            % {"count": count_shown(count)},
        )
        return redirect(back)
    texts = {}
    for proposal in proposals:
        edited = request.POST.get(f"text-{proposal.pk}")
        if edited is not None and edited.strip() and edited != proposal.proposed:
            texts[proposal.pk] = " ".join(edited.split())
    outcome = services.spacing_proposals_accept(
        actor=request.user, proposals=proposals, texts=texts
    )
    if outcome.accepted:
        messages.success(
            request,
            ngettext(
                "Spaces repaired in %(count)s text.",
                "Spaces repaired in %(count)s texts.",
                outcome.accepted,
            )
            % {"count": count_shown(outcome.accepted)},
        )
    if outcome.outdated:
        messages.warning(
            request,
            _("%(count)s texts had been edited since the import; their proposals were closed.")
            % {"count": count_shown(outcome.outdated)},
        )
    if outcome.refused:
        messages.error(
            request,
            _("%(count)s texts could not be changed: their items are no longer drafts.")
            % {"count": count_shown(outcome.refused)},
        )
    return redirect(back)
