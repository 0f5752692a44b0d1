"""The one place where a refused workflow action becomes a message on the page."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language

from approvals.exceptions import ValidationFailed, WorkflowError


def workflow_error_message(error: WorkflowError) -> str:
    """The error in the page's language (Thai unless English was chosen), with its reasons."""
    message = error.message_en if (get_language() or "th").startswith("en") else error.message_th
    if isinstance(error, ValidationFailed) and error.fields:
        message += " " + " ".join(m for messages in error.fields.values() for m in messages)
    return message


def back_address(request) -> str:
    """Where the person came from on this site, as a path (browsers send absolute referers)."""
    back = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    parts = urlsplit(back)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def handles_workflow_errors(view):
    """Turn a WorkflowError into an error message and a redirect back, never a crash.

    Views with a form catch their errors themselves and show the form again with what
    was typed; this is the net for the rest.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except WorkflowError as error:
            messages.error(request, workflow_error_message(error))
            return redirect(back_address(request))

    return wrapped
