"""Template filters for Thai documents: `{{ value|thai_digits }}`, `{{ d|be_date }}` …"""

import datetime as dt

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
