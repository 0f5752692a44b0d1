"""Stored codes shown as words: `{{ item.state|state_label }}`, `{{ log.action|action_label }}`."""

from django import template

from workflow.models import Action, State

register = template.Library()


@register.filter
def state_label(value):
    return State(value).label if value in State.values else value


@register.filter
def action_label(value):
    return Action(value).label if value in Action.values else value


@register.filter
def verification_code(chain_head):
    """`3F2A-91C0-7B4D`: the short, grouped form of a chain head."""
    from workflow.selectors import verification_code as code

    return code(chain_head or "")
