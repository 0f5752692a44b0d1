"""The public site: no login, published versions only (Publication rows)."""

from __future__ import annotations

import io

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from workflow import documents, selectors, services
from workflow.exports import report_csv
from workflow.models import ReportFile
from workflow.uploads import evidence_response


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


INDEX_PAGE_SIZE = 50


class _FullPages(Paginator):
    """Asks the database for a whole page even when fewer rows are left.

    Django's Paginator asks for exactly the rows left on the last page; for a search with
    6 matches that LIMIT 6 made PostgreSQL walk the 7,850 names in order expecting to meet
    6 matches early, instead of taking the matches from the trigram index and sorting them
    (77 ms against 0.2 ms, bench/national.py).
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


def _organization_page(request, *, province: str = ""):
    query = request.GET.get("q", "")[:200].replace("\x00", "")
    paginator = _FullPages(
        selectors.public_organizations(query=query, province=province), INDEX_PAGE_SIZE
    )
    key = selectors.public_index_key()
    total, provinces = selectors.public_index_counts(key)
    if not query:  # the page count without a COUNT over every organization
        known = dict(provinces).get(province, 0) if province else total
        paginator.__dict__["count"] = known  # Paginator.count is a cached_property
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page": page, "query": query, "province": province, "provinces": provinces,
        "counts_key": key,
    }  # fmt: skip


@require_GET
def index(request):
    """Find one agency among thousands: by name, by province, a page at a time."""
    province = request.GET.get("province", "")[:100].replace("\x00", "")
    return render(request, "public/index.html", _organization_page(request, province=province))


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


def _file_response(file, *, kind: str, sha256: str, filename: str) -> FileResponse:
    response = FileResponse(
        file, as_attachment=True, filename=filename, content_type=documents.CONTENT_TYPES[kind]
    )
    response["ETag"] = f'"{sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _report_download(slug: str, year: int, kind: str, publication_id: int | None = None):
    """The stored file of the newest (or a given earlier) published state of the report.

    The newest state's stored file is found in one query; one not made yet is made now.
    """
    name = f"{slug}-{year}-ita-measures"
    if publication_id is None:
        try:
            publication = selectors.newest_publication(
                organization_slug=slug, year=year, with_file=kind
            )
        except Http404:
            return _analysis_only_download(slug, year, kind, name)
        if publication.stored_file:
            return _file_response(
                default_storage.open(publication.stored_file, "rb"),
                kind=kind, sha256=publication.stored_sha256, filename=f"{name}.{kind}",
            )  # fmt: skip
    else:
        publication = selectors.publication_of_report(
            organization_slug=slug, year=year, publication_id=publication_id
        )
        name += f"-{publication_id}"
    report_file = documents.report_file_get_or_make(publication=publication, kind=kind)
    return _file_response(
        report_file.file.open("rb"), kind=kind, sha256=report_file.sha256,
        filename=f"{name}.{kind}",
    )  # fmt: skip


def _analysis_only_download(slug: str, year: int, kind: str, name: str):
    """A year whose ITA analysis is published before any of its measures: the document
    holds the analysis alone, made on request (no publication of items to store it by)."""
    import hashlib

    from workflow.assessment_selectors import public_analysis
    from workflow.exports import report_xlsx

    report = selectors.public_report_document(organization_slug=slug, year=year)
    if public_analysis(organization=report.organization, fiscal_year=report.fiscal_year) is None:
        raise Http404
    if kind == ReportFile.Kind.PDF:
        content = documents.report_pdf_render(report)
    else:
        content = report_xlsx(report)
    return _file_response(
        io.BytesIO(content), kind=kind, sha256=hashlib.sha256(content).hexdigest(),
        filename=f"{name}.{kind}",
    )  # fmt: skip


@require_GET
def report_pdf(request, slug: str, year: int, publication_id: int | None = None):
    return _report_download(slug, year, ReportFile.Kind.PDF, publication_id)


@require_GET
def report_xlsx_download(request, slug: str, year: int, publication_id: int | None = None):
    return _report_download(slug, year, ReportFile.Kind.XLSX, publication_id)


@require_GET
def report_verify(request, slug: str, year: int):
    """Whether a printed or downloaded report is what was published, by its code.

    The chain checks shown are the stored ones; a stale one is made again by the worker.
    """
    code = (request.GET.get("code") or "").strip()[:40]
    context = selectors.report_verification(organization_slug=slug, year=year, code=code)
    services.publication_verifications_current(publications=context["checked"])
    return render(request, "public/verify.html", context)


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
