"""What every staff page's header shows: the inbox and its unread count."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def inbox(request) -> dict:
    """`inbox_unread`: counted only when a page shows it (one query)."""
    from approvals.selectors import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
