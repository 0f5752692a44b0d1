"""The inbox page: server-rendered, thin, over the selectors and services of notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import selectors
from approvals.models import EmailMode, Notification
from approvals.notifications import (
    item_page,
    notification_mark_all_read,
    notification_mark_read,
    preference_update,
)


@login_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.inbox_for(request.user, unread_only=unread_only), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "approvals/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": selectors.unread_count(request.user),
            "preference": selectors.preference_for(request.user),
            "email_modes": EmailMode.choices,
        },
    )


@login_required
@require_POST
def inbox_read(request, pk: int):
    try:
        notification = notification_mark_read(notification_id=pk, user=request.user)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    follow = request.POST.get("follow") == "1" and notification.url
    if follow and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("approvals:inbox")


@login_required
@require_POST
def inbox_read_all(request):
    notification_mark_all_read(user=request.user)
    return redirect("approvals:inbox")


@login_required
@require_POST
def inbox_preferences(request):
    mode = request.POST.get("email_mode", "")
    if mode in EmailMode.values:
        preference_update(user=request.user, email_mode=mode)
        messages.success(request, _("Your notification settings were saved."))
    return redirect("approvals:inbox")


def item_redirect(request, kind: str, pk: int):
    """The link in e-mails: on to the item's page (the page itself checks who may see it)."""
    if kind not in ("measure", "result-report", "analysis", "introduction"):
        raise Http404
    return redirect(item_page(kind, pk))
