"""The public index's long lists (50 agencies a page, 77 provinces), built in one pass.

At national size these lists are most of the page: rendered node by node (a `{% url %}`,
a `{% blocktranslate %}` and an `{% if %}` per row) they made the index 1.5× slower than
an index of one agency (bench/national.py). Here each row is one f-string over escaped
values (the standard library's `html.escape`, which Django's `escape` also calls).
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

_SLUG = "slug-placeholder"


@register.simple_tag
def organization_items(organizations):
    """One `<li>` per agency (rows of `selectors.public_organizations`): its name linking to
    its page, and its province."""
    address = reverse("public:organization", args=[_SLUG])
    in_province = gettext("Province %(province)s")
    items = []
    for organization in organizations:
        href = escape(address.replace(_SLUG, organization["slug"]))
        province = organization["province"]
        where = (
            f' <span class="muted">{escape(in_province % {"province": province})}</span>'
            if province
            else ""
        )
        items.append(f'<li><a href="{href}">{escape(organization["name"])}</a>{where}</li>')
    return mark_safe("".join(items))


@register.simple_tag
def province_options(provinces, selected: str = ""):
    """The province choices of the search form, `selected` marked."""
    return mark_safe(
        "".join(
            f'<option value="{escape(name)}"{" selected" if name == selected else ""}>'
            f"{escape(name)}</option>"
            for name, _count in provinces
        )
    )
