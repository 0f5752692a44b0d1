"""What every staff page's header shows: the inbox and its unread count, and who is in."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def inbox(request) -> dict:
    """`inbox_unread`: counted only when a page shows it (one query)."""
    from approvals.selectors import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}


class Me:
    """The person logged in as the header names them: full name and position."""

    def __init__(self, user):
        from django.db.models import Exists, OuterRef

        from approvals.models import Membership, Position

        self.name = user.get_full_name() or user.get_username()
        # one query: the position where the person holds an active role comes first
        active = Membership.objects.filter(
            user=user, organization=OuterRef("organization"), is_active=True
        )
        self.position = (
            Position.objects.filter(user=user)
            .annotate(active=Exists(active))
            .order_by("-active", "organization__name")
            .values_list("title", flat=True)
            .first()
            or ""
        )


def me(request) -> dict:
    """`me`: read only when a page's header shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"me": SimpleLazyObject(lambda: Me(user))}
