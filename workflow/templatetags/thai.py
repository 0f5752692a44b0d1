"""Template filters for Thai documents: `{{ value|thai_digits }}`, `{{ d|be_date }}` …

Numbers come out in Thai digits on Thai pages and in Arabic digits on English ones.
"""

import datetime as dt

from django import template
from django.utils.translation import get_language

from workflow import thai

register = template.Library()


def _digits() -> str:
    return "arabic" if (get_language() or "th").startswith("en") else "thai"


@register.filter
def thai_digits(value):
    if value is None:
        return ""
    return thai.to_thai_digits(value) if _digits() == "thai" else thai.to_arabic_digits(str(value))


@register.filter
def arabic_digits(value):
    return thai.to_arabic_digits(str(value)) if value is not None else ""


@register.filter
def be_year(value):
    """A CE year, or a date, as its BE year."""
    year = getattr(value, "year", value)
    return thai.be_year(int(year)) if year not in (None, "") else ""


# On English pages dates take the English form (`14 Jan 2021`), not Thai months.


@register.filter
def be_date(value, style="full"):
    """`๑๔ มกราคม ๒๕๖๔`; `|be_date:"short"` gives `๑๔ ม.ค. ๒๕๖๔`."""
    if _digits() == "arabic":
        return thai.english_date(value, full=style != "short")
    return thai.format_date(value, full=style != "short")


@register.filter
def be_datetime(value):
    return thai.english_datetime(value) if _digits() == "arabic" else thai.format_datetime(value)


@register.filter
def thai_month(value):
    return thai.english_month(value) if _digits() == "arabic" else thai.format_month(value)


@register.simple_tag
def thai_period(start, end):
    if _digits() == "arabic":
        return thai.english_period(start, end)
    return thai.format_period(start, end)


@register.filter
def highlight(text, query):
    """The text with each match of the search query marked (`<mark>`), escaped otherwise."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    text = "" if text is None else str(text)
    spans = thai.search_spans(text, query or "")
    if not spans:
        return escape(text)
    parts, last = [], 0
    for start, end in spans:
        parts += [escape(text[last:start]), "<mark>", escape(text[start:end]), "</mark>"]
        last = end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # every piece is escaped above


@register.filter
def matched_line(item, query):
    """(what, line) of the first method, result or recommendation that holds the query,
    when the title itself does not; None otherwise. Reads prefetched lines only."""
    from django.utils.translation import gettext as _

    from workflow.models import Measure

    title = item.title if isinstance(item, Measure) else item.measure.title
    if not query or thai.search_spans(title, query):
        return None
    if isinstance(item, Measure):
        groups = [(_("Methods"), item.methods.all())]
        for report in item.result_reports.all():
            groups += [(_("Results"), report.items.all())]
            groups += [(_("Recommendations"), report.recommendations.all())]
    else:
        groups = [
            (_("Results"), item.items.all()),
            (_("Recommendations"), item.recommendations.all()),
            (_("Methods"), item.measure.methods.all()),
        ]
    for label, lines in groups:
        for line in lines:
            if thai.search_spans(line.text, query):
                return (label, line.text)
    return None


@register.filter
def file_size(value):
    """`๔.๖ KB`, `๑.๒ MB`: a size in the page's digits."""
    from django.template.defaultfilters import filesizeformat

    return thai_digits(str(filesizeformat(value)).replace("\xa0", " "))


@register.filter
def words_shorten(value, limit=80):
    """A title cut at a Thai word boundary with an ellipsis: `{{ title|words_shorten:90 }}`."""
    from workflow import wording

    return wording.words_shorten(str(value or ""), int(limit))


@register.filter
def page_digits(value):
    """A number in the page's digits: Thai digits on Thai pages, Arabic on English ones."""
    from django.utils.translation import get_language

    if value is None:
        return ""
    english = (get_language() or "th").startswith("en")
    return thai.to_arabic_digits(str(value)) if english else thai.to_thai_digits(value)


@register.filter
def page_date(value):
    """A day as the page's language writes it: `๑๕ ตุลาคม ๒๕๖๔` in Thai, `15 October 2021`
    in English (local time)."""
    if not value:
        return ""
    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.translation import get_language

    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if (get_language() or "th").startswith("th"):
        return thai.format_date(value)
    return date_format(value, "j F Y")
