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
