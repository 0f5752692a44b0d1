"""Template filters for Thai documents: `{{ value|thai_digits }}`, `{{ d|be_date }}` …"""

from django import template

from workflow import thai

register = template.Library()


@register.filter
def thai_digits(value):
    return thai.to_thai_digits(value) if value is not None else ""


@register.filter
def arabic_digits(value):
    return thai.to_arabic_digits(str(value)) if value is not None else ""


@register.filter
def be_year(value):
    """A CE year, or a date, as its BE year."""
    year = getattr(value, "year", value)
    return thai.be_year(int(year)) if year not in (None, "") else ""


@register.filter
def be_date(value, style="full"):
    """`๑๔ มกราคม ๒๕๖๔`; `|be_date:"short"` gives `๑๔ ม.ค. ๒๕๖๔`."""
    return thai.format_date(value, full=style != "short")


@register.filter
def be_datetime(value):
    return thai.format_datetime(value)


@register.filter
def thai_month(value):
    return thai.format_month(value)


@register.simple_tag
def thai_period(start, end):
    return thai.format_period(start, end)


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
