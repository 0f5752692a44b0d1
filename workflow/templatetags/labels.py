"""Stored codes shown as words: `{{ item.state|state_label }}`, `{{ log.action|action_label }}`."""

from django import template
from django.utils.translation import gettext_lazy as _

from workflow.models import Action, State

register = template.Library()


@register.filter
def state_label(value):
    return State(value).label if value in State.values else value


@register.filter
def action_label(value):
    return Action(value).label if value in Action.values else value


# What the next step of an item in each state is, in the words staff use.
NEXT_STEPS = {
    State.DRAFTED: _("the division head completes it and submits it"),
    State.SUBMITTED: _("the working group reviews it or returns it"),
    State.REVIEWED: _("the chief executive approves it or returns it"),
    State.APPROVED: _("the publisher publishes it"),
}


@register.filter
def next_step_label(value):
    return NEXT_STEPS.get(value, "")


@register.filter
def item_next_step(item):
    """`next_step_label` of the item's state; the working group drafts items of no division."""
    from approvals.permissions import WORKING_GROUP_ITEMS

    if item.state == State.DRAFTED and isinstance(item, WORKING_GROUP_ITEMS):
        return _("the working group completes it and submits it")
    return next_step_label(item.state)


@register.filter
def index(sequence, position):
    """`{{ rounds|index:forloop.counter0 }}`: the item at a position of a list."""
    try:
        return sequence[position]
    except (IndexError, TypeError):
        return None


@register.filter
def last_day(moment):
    """The last day a period that ends at `moment` (exclusive, e.g. midnight) covers."""
    import datetime as dt

    from django.utils import timezone

    if moment is None:
        return None
    return (timezone.localtime(moment) - dt.timedelta(microseconds=1)).date()


@register.filter
def verification_code(chain_head):
    """`3F2A-91C0-7B4D`: the short, grouped form of a chain head."""
    from workflow.selectors import verification_code as code

    return code(chain_head or "")
