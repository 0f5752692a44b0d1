"""Reads on the plan, with their related rows already fetched."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.models import FiscalYear, Organization, Publication


@dataclass
class PublicMeasure:
    """One row of the public report: a measure as last published, and its results."""

    measure: Publication
    result_reports: list[Publication] = field(default_factory=list)


def public_report(organization: Organization, fiscal_year: FiscalYear) -> list[PublicMeasure]:
    """What the public sees of a year's plan: per measure, its latest Publication and the
    latest Publication of each of its result reports, in measure-number order.

    Only Publication rows are read, so a revision in progress changes nothing here
    until it is published in turn. Two queries whatever the number of measures.
    """
    publications = Publication.objects.filter(
        organization=organization, fiscal_year=fiscal_year
    ).order_by("-published_at", "-pk")
    latest_measure: dict[int, Publication] = {}
    latest_report: dict[int, Publication] = {}
    for publication in publications.filter(result_report__isnull=True):
        latest_measure.setdefault(publication.measure_id, publication)
    for publication in publications.filter(result_report__isnull=False):
        latest_report.setdefault(publication.result_report_id, publication)
    rows = {
        measure_id: PublicMeasure(measure=publication)
        for measure_id, publication in latest_measure.items()
    }
    for publication in sorted(
        latest_report.values(), key=lambda p: (p.content.get("round_id") or 0, p.pk)
    ):
        row = rows.get(publication.measure_id)
        if row is not None:
            row.result_reports.append(publication)
    return sorted(
        rows.values(), key=lambda r: (r.measure.content.get("number") or 0, r.measure.measure_id)
    )
