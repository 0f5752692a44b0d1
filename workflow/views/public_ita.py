"""The stable public address of each OIT item (e.g. /public/khao-thong/2565/oit/O42/),
which an officer pastes into the NACC's ITAS."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from workflow import selectors
from workflow.assessment import OitItem, OitPurpose


@require_GET
def oit_item(request, slug: str, year: int, code: str):
    report = selectors.public_report_document(organization_slug=slug, year=year)
    item = OitItem.objects.filter(scheme__year=year, code__iexact=code).first()
    if item is None:
        raise Http404
    return render(
        request,
        "public/ita_item.html",
        {"report": report, "item": item, "with_analysis": item.purpose == OitPurpose.MEASURES},
    )
