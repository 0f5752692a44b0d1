"""The one place where a refused workflow action becomes a message on the page."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import get_language

from approvals.exceptions import ValidationFailed, WorkflowError


def workflow_error_message(error: WorkflowError) -> str:
    """The error in the page's language (Thai unless English was chosen), with its reasons."""
    message = error.message_en if (get_language() or "th").startswith("en") else error.message_th
    if isinstance(error, ValidationFailed) and error.fields:
        message += " " + " ".join(m for messages in error.fields.values() for m in messages)
    return message


def handles_workflow_errors(view):
    """Turn a WorkflowError into an error message and a redirect back, never a crash.

    A conflict (StaleVersion, TransitionNotAllowed) says what happened and shows the
    item as it is now; the item's page is where the view came from, or `next`.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except WorkflowError as error:
            messages.error(request, workflow_error_message(error))
            back = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
            if not back.startswith("/") or back.startswith("//"):
                back = "/"
            return redirect(back)

    return wrapped
