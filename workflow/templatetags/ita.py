"""Template helpers of the yearly ITA cycle: names in the page's language, the published
analysis of a report's year (for the public page and the PDF)."""

from django import template
from django.utils.translation import get_language

from workflow import assessment_selectors, thai

register = template.Library()


def _english() -> bool:
    return (get_language() or "th").startswith("en")


@register.filter
def digits(value):
    """Thai digits on Thai pages, Arabic ones on English pages."""
    if value is None:
        return ""
    return str(value) if _english() else thai.to_thai_digits(value)


@register.filter
def localized(value, field: str):
    """`value.<field>_th`, or `_en` on English pages; works on objects and dicts."""
    suffix = "en" if _english() else "th"
    key = f"{field}_{suffix}"
    if isinstance(value, dict):
        return value.get(key) or value.get(f"{field}_th", "")
    return getattr(value, key, "") or getattr(value, f"{field}_th", "")


@register.inclusion_tag("public/_ita_analysis.html", takes_context=True)
def ita_analysis(context, report):
    """The published analysis and the OIT addresses of a public report's year."""
    request = context.get("request")
    published = assessment_selectors.public_analysis(
        organization=report.organization, fiscal_year=report.fiscal_year
    )
    items = assessment_selectors.oit_items(fiscal_year=report.fiscal_year)
    addresses = []
    for item in items:
        path = f"/public/{report.organization.slug}/{report.fiscal_year.year}/oit/{item.code}/"
        addresses.append(
            {"item": item, "url": request.build_absolute_uri(path) if request else path}
        )
    return {"published": published, "addresses": addresses, "report": report, "pdf": False}


@register.inclusion_tag("public/_ita_analysis.html")
def ita_analysis_pdf(report):
    published = assessment_selectors.public_analysis(
        organization=report.organization, fiscal_year=report.fiscal_year
    )
    return {"published": published, "addresses": [], "report": report, "pdf": True}
