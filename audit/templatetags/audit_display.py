"""Dates in the page's language for the auditor's pages: `{{ moment|when }}`, `{{ day|day }}`."""

from django import template

from audit import present

register = template.Library()


@register.filter
def when(value):
    return present.when_text(value)


@register.filter
def day(value):
    return present.day_text(value)


@register.filter
def number(value):
    return present.number_text(value) if value not in (None, "") else ""


@register.simple_tag(takes_context=True)
def audited_organizations(context):
    """The organizations the person may audit, read once per page."""
    from audit.access import audited_organizations as organizations

    request = context.get("request")
    if request is None:
        return []
    if not hasattr(request, "_audited_organizations"):
        request._audited_organizations = organizations(request.user)
    return request._audited_organizations
