"""Writes on the plan itself: publications (the importer lives in workflow.importing)."""

from __future__ import annotations

from django.utils import timezone

from workflow.models import Measure, Publication, ResultReport


def measure_snapshot(measure: Measure) -> dict:
    """A measure as the public report shows it, frozen."""
    return {
        "number": measure.number,
        "title": measure.title,
        "methods": [m.text for m in measure.methods.order_by("position")],
        "divisions": [d.name for d in measure.divisions.order_by("name")],
        "period_start": measure.period_start.isoformat(),
        "period_end": measure.period_end.isoformat(),
    }


def result_report_snapshot(report: ResultReport) -> dict:
    return {
        "round": report.reporting_round.name,
        "round_id": report.reporting_round_id,
        "items": [i.text for i in report.items.order_by("position")],
        "recommendations": [r.text for r in report.recommendations.order_by("position")],
        "evidence": [
            {"id": e.pk, "title": e.title, "content_type": e.content_type, "size": e.size}
            for e in report.evidence.order_by("uploaded_at", "pk")
        ],
    }


def publication_create(*, item: Measure | ResultReport, published_by) -> Publication:
    """Freeze what is published now; the public pages read only these rows."""
    from audit.chain import head_for
    from audit.models import TransitionLog

    is_report = isinstance(item, ResultReport)
    measure = item.measure if is_report else item
    approval = (
        TransitionLog.objects.filter(
            measure=measure, result_report=item if is_report else None, action="approve"
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return Publication.objects.create(
        organization_id=measure.organization_id,
        fiscal_year_id=measure.fiscal_year_id,
        measure=measure,
        result_report=item if is_report else None,
        revision=item.revision,
        content=result_report_snapshot(item) if is_report else measure_snapshot(item),
        approved_by=approval.actor if approval else None,
        approved_at=approval.created_at if approval else None,
        published_by=published_by,
        published_at=timezone.now(),
        chain_head=head_for(measure.organization_id),
    )
