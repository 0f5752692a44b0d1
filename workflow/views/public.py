"""The public site: no login, published versions only (Publication rows)."""

from __future__ import annotations

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from workflow import selectors
from workflow.exports import XLSX_CONTENT_TYPE, report_csv, report_xlsx
from workflow.uploads import evidence_response

PDF_CACHE_SECONDS = 24 * 3600


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


INDEX_PAGE_SIZE = 50


def _organization_page(request, *, province: str = ""):
    query = request.GET.get("q", "")[:200].replace("\x00", "")
    paginator = Paginator(
        selectors.public_organizations(query=query, province=province), INDEX_PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    return {"page": page, "query": query, "province": province}


@require_GET
def index(request):
    """Find one agency among thousands: by name, by province, a page at a time."""
    province = request.GET.get("province", "")[:100].replace("\x00", "")
    context = _organization_page(request, province=province)
    context["provinces"] = selectors.public_provinces()
    return render(request, "public/index.html", context)


@require_GET
def province_page(request, province: str):
    """A stable address per province: /public/province/<name>/."""
    context = _organization_page(request, province=province)
    if not context["page"].paginator.count and not context["query"]:
        raise Http404
    return render(request, "public/province.html", context)


@require_GET
def organization_years(request, slug: str):
    organization, years = selectors.public_years(organization_slug=slug)
    return render(
        request, "public/organization.html", {"organization": organization, "years": years}
    )


@require_GET
def report_page(request, slug: str, year: int):
    report = selectors.public_report_document(organization_slug=slug, year=year)
    return render(request, "public/report.html", {"report": report})


@require_GET
def report_pdf(request, slug: str, year: int):
    from workflow.pdf import render_pdf  # WeasyPrint is loaded by the first PDF, not at start

    report = selectors.public_report_document(organization_slug=slug, year=year)
    # A publication only ever adds rows, so the newest one's id names the report's content.
    from workflow.assessment_selectors import public_analysis

    analysis = public_analysis(organization=report.organization, fiscal_year=report.fiscal_year)
    analysis_id = analysis.publication.pk if analysis else 0
    key = (
        f"public-pdf:{report.organization.pk}:{year}:{report.last_publication_id}:{analysis_id}"
        f":{get_language()}"
    )
    content = cache.get(key)
    if content is None:
        content = render_pdf("public/report_pdf.html", {"report": report})
        cache.set(key, content, timeout=PDF_CACHE_SECONDS)
    return _download(content, "application/pdf", f"{report.filename}.pdf")


@require_GET
def report_xlsx_download(request, slug: str, year: int):
    report = selectors.public_report_document(organization_slug=slug, year=year)
    return _download(report_xlsx(report), XLSX_CONTENT_TYPE, f"{report.filename}.xlsx")


@require_GET
def report_csv_download(request, slug: str, year: int):
    report = selectors.public_report_document(organization_slug=slug, year=year)
    return _download(report_csv(report), "text/csv; charset=utf-8", f"{report.filename}.csv")


@require_GET
def evidence_download(request, evidence_id: int):
    evidence = selectors.public_evidence(evidence_id=evidence_id)
    if evidence is None:
        raise Http404
    return evidence_response(evidence)
