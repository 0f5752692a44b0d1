"""Reads of approvals, with their joins already applied."""

from __future__ import annotations

from django.db.models import QuerySet

from approvals.models import EmailMode, MailboxHealth, Notification, NotificationPreference


def inbox_for(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """A person's inbox, newest first."""
    notifications = Notification.objects.filter(user=user).select_related(
        "organization", "transition_log__actor"
    )
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-id")


def unread_count(user) -> int:
    if not user or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preference_for(user) -> NotificationPreference:
    """The person's choice; an unsaved default (immediate) when they never chose."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user, email_mode=EmailMode.IMMEDIATE
    )


def mailboxes_failing() -> QuerySet[MailboxHealth]:
    """Addresses that failed lately or are disabled, for the admins."""
    return MailboxHealth.objects.filter(consecutive_failures__gt=0) | MailboxHealth.objects.filter(
        disabled_at__isnull=False
    )
