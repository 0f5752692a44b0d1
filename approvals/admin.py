from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from approvals.delivery import mailbox_enable
from approvals.models import (
    Delegation,
    DeliveryAttempt,
    MailboxHealth,
    Membership,
    Notification,
    NotificationPreference,
    OutboxMessage,
    PublicationSchedule,
)
from audit.admin import ReadOnlyAdminMixin


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Roles are given and ended through approvals.services (the staff pages, the API,
    `manage.py role_grant`), which refuse self-grants and tell the chief and the admins."""

    list_display = ["user", "organization", "role", "is_active"]
    list_filter = ["role", "is_active", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organization__name"]
    filter_horizontal = ["divisions"]
    list_select_related = ["user", "organization"]


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Given and revoked through approvals.services, like roles."""

    list_display = ["delegator", "deputy", "organization", "starts_at", "ends_at", "revoked_at"]
    list_filter = ["organization"]
    search_fields = ["delegator__username", "deputy__username", "reason"]
    list_select_related = ["delegator", "deputy", "organization"]


@admin.register(PublicationSchedule)
class PublicationScheduleAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Scheduled through the publish action (approvals.services), read here."""

    list_display = [
        "measure",
        "result_report",
        "publish_at",
        "scheduled_by",
        "done_at",
        "cancelled_at",
    ]
    list_filter = ["organization"]
    list_select_related = ["measure", "result_report", "scheduled_by"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(SimpleHistoryAdmin):
    list_display = ["user", "email_mode", "updated_at"]
    list_filter = ["email_mode"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "user", "kind", "action", "created_at", "read_at"]
    list_filter = ["kind", "action", "organization"]
    search_fields = ["title", "user__username"]
    list_select_related = ["user"]


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ["number", "started_at", "finished_at", "outcome", "smtp_code", "error", "worker"]
    readonly_fields = fields


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every e-mail and each attempt to deliver it, for admins and auditors: read-only."""

    list_display = ["subject", "to_address", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind", "organization"]
    search_fields = ["to_address", "subject", "idempotency_key"]
    list_select_related = ["recipient"]
    inlines = [DeliveryAttemptInline]


@admin.register(MailboxHealth)
class MailboxHealthAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Addresses that keep failing; an admin re-enables one once it is fixed."""

    list_display = ["address", "consecutive_failures", "total_failures", "disabled_at"]
    list_filter = [("disabled_at", admin.EmptyFieldListFilter)]
    search_fields = ["address"]
    actions = ["enable"]

    @admin.action(description=_("Try e-mail to these addresses again"))
    def enable(self, request, queryset):
        for health in queryset:
            mailbox_enable(health=health, actor=request.user)
