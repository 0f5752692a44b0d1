"""The public index's long lists (50 agencies a page, 77 provinces), built in one pass.

At national size these lists are most of the page: rendered node by node (a `{% url %}`,
a `{% blocktranslate %}` and an `{% if %}` per row) they made the index 1.5× slower than
an index of one agency (bench/national.py); here each row is one `format_html`.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

register = template.Library()

_SLUG = "slug-placeholder"


@register.simple_tag
def organization_items(organizations):
    """One `<li>` per agency: its name linking to its page, and its province."""
    address = reverse("public:organization", args=[_SLUG])
    in_province = gettext("Province %(province)s")
    return format_html_join(
        "",
        "<li><a href=\"{}\">{}</a>{}</li>",
        (
            (
                address.replace(_SLUG, organization.slug),
                organization.name,
                format_html(
                    ' <span class="muted">{}</span>',
                    in_province % {"province": organization.province},
                )
                if organization.province
                else "",
            )
            for organization in organizations
        ),
    )


@register.simple_tag
def province_options(provinces, selected: str = ""):
    """The province choices of the search form, `selected` marked."""
    return format_html_join(
        "",
        "<option value=\"{}\"{}>{}</option>",
        ((name, " selected" if name == selected else "", name) for name, _count in provinces),
    )
