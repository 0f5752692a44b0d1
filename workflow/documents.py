"""The published report's files: made once per published state, signed, stored, kept.

A publication commits → `report_files_make` (a Celery task, in-process on the embedded
default) renders the PDF and the XLSX of the report as that publication left it and
stores them. A request that comes first makes the missing file itself; either way one
process renders a given file while the others wait for it and then read it.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction

from workflow import selectors
from workflow.models import Publication, ReportFile

PDF_TEMPLATE = "public/report_pdf.html"
CONTENT_TYPES = {
    ReportFile.Kind.PDF: "application/pdf",
    ReportFile.Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# SQLite has no row locks; the embedded default is one process, so a lock per file will do.
_local_locks: defaultdict[tuple[int, str], threading.Lock] = defaultdict(threading.Lock)


def report_pdf_render(report: selectors.PublicReport) -> bytes:
    """The report as a signed PDF (PAdES), its chain head in the document's metadata."""
    from workflow.pdf import render_pdf
    from workflow.signing import pdf_sign

    site = settings.SITE_URL.rstrip("/")
    verify_path = f"/public/{report.organization.slug}/{report.fiscal_year.year}/verify/"
    pdf = render_pdf(PDF_TEMPLATE, {"report": report, "verify_url": site + verify_path})
    return pdf_sign(
        pdf,
        reason=f"เผยแพร่{report.title} รหัสตรวจสอบ {report.verification_code}",
        location=settings.SIGNING_LOCATION,
    )


def _rendered(publication: Publication, kind: str) -> bytes:
    from workflow.exports import report_xlsx

    report = selectors.report_document(
        publication.organization, publication.fiscal_year, up_to_publication_id=publication.pk
    )
    return report_pdf_render(report) if kind == ReportFile.Kind.PDF else report_xlsx(report)


def _stored(publication: Publication, kind: str) -> ReportFile:
    content = _rendered(publication, kind)
    year, slug = publication.fiscal_year.year, publication.organization.slug
    report_file = ReportFile(
        organization=publication.organization,
        fiscal_year=publication.fiscal_year,
        publication=publication,
        kind=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    name = f"{publication.organization_id}/{year}/{slug}-{year}-p{publication.pk}.{kind}"
    report_file.file.save(name, ContentFile(content), save=False)
    report_file.save()
    transaction.on_commit(lambda: _current_link(report_file))
    return report_file


# --- the current files, served like static files ------------------------------------------
# The newest publication's files are also linked under reports/current/<org>/<year>.<kind>,
# which the middleware below serves without a database query (as WhiteNoise serves static
# files). A publication removes its year's links when it commits; the links come back when
# its own files are stored. Only with the file-system storage (MEDIA_ROOT).


def current_path(slug: str, year: int, kind: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "reports" / "current" / slug / f"{year}.{kind}"


def current_links_drop(*, organization_slug: str, year: int) -> None:
    """The report changed: its links must not serve the previous state any more."""
    for kind in ReportFile.Kind.values:
        current_path(organization_slug, year, kind).unlink(missing_ok=True)


def _current_link(report_file: ReportFile) -> None:
    """Point the year's link at this file if its publication is still the newest."""
    if not hasattr(report_file.file.storage, "path"):
        return
    publication = report_file.publication
    slug, year = publication.organization.slug, publication.fiscal_year.year
    newest = selectors.newest_publication(organization_slug=slug, year=year)
    if newest.pk != publication.pk:
        return
    link = current_path(slug, year, report_file.kind)
    link.parent.mkdir(parents=True, exist_ok=True)
    temporary = link.with_name(f".{link.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.unlink(missing_ok=True)
    os.link(report_file.file.path, temporary)
    os.replace(temporary, link)  # atomic: a reader sees the old file or the new one


_CURRENT_URL = re.compile(
    r"^/public/(?P<slug>[-a-zA-Z0-9_]+)/(?P<year>[0-9]{4})/report\.(?P<kind>pdf|xlsx)$"
)


class CurrentReportFiles:
    """Serve the newest stored PDF/XLSX of a report before the rest of the stack runs.

    Placed right after WhiteNoise; anything it does not find goes on to the view, which
    reads the database, makes the file if needed, and links it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = _CURRENT_URL.match(request.path_info)
        if match and request.method in ("GET", "HEAD"):
            slug, year, kind = match["slug"], int(match["year"]), match["kind"]
            try:
                handle = current_path(slug, year, kind).open("rb")
            except OSError:
                return self.get_response(request)
            from django.http import FileResponse

            response = FileResponse(
                handle, as_attachment=True, filename=f"{slug}-{year}-ita-measures.{kind}",
                content_type=CONTENT_TYPES[kind],
            )  # fmt: skip
            response["X-Content-Type-Options"] = "nosniff"
            response["Cache-Control"] = "public, max-age=60"
            return response
        return self.get_response(request)


def report_file_get_or_make(*, publication: Publication, kind: str) -> ReportFile:
    """The stored file of the report as `publication` left it, made now if missing.

    Two requests for a missing file: the first renders it under a lock on the
    publication's row, the second waits for it and reads what the first stored.
    """
    found = selectors.report_file(publication=publication, kind=kind)
    if found is not None:
        return found
    if connection.vendor == "postgresql":
        with transaction.atomic():
            Publication.objects.select_for_update().filter(pk=publication.pk).exists()
            found = selectors.report_file(publication=publication, kind=kind)
            return found if found is not None else _stored(publication, kind)
    with _local_locks[(publication.pk, kind)]:
        found = selectors.report_file(publication=publication, kind=kind)
        return found if found is not None else _stored(publication, kind)


def report_files_make(*, publication_id: int) -> list[ReportFile]:
    """Make the PDF and XLSX of the report as this publication left it.

    Skipped when a newer publication of the same year exists by then (a batch of items
    published one after another): its own task makes the files of the final state.
    """
    publication = (
        Publication.objects.select_related("organization", "fiscal_year")
        .filter(pk=publication_id)
        .first()
    )
    if publication is None:
        return []
    newest = selectors.newest_publication(
        organization_slug=publication.organization.slug, year=publication.fiscal_year.year
    )
    if newest.pk != publication.pk:
        return []
    return [
        report_file_get_or_make(publication=publication, kind=kind)
        for kind in (ReportFile.Kind.PDF, ReportFile.Kind.XLSX)
    ]


def report_files_refresh(*, organization_id: int, fiscal_year_id: int) -> None:
    """Something the document shows besides its items changed (the published ITA analysis):
    the newest publication's files are made again, and served from then on."""
    from workflow.tasks import report_files_make as make

    newest = (
        Publication.objects.filter(organization_id=organization_id, fiscal_year_id=fiscal_year_id)
        .select_related("organization", "fiscal_year")
        .order_by("-published_at", "-pk")
        .first()
    )
    if newest is None:
        return
    current_links_drop(organization_slug=newest.organization.slug, year=newest.fiscal_year.year)
    for report_file in ReportFile.objects.filter(publication=newest):
        report_file.file.delete(save=False)
        report_file.delete()
    make.delay(newest.pk)
