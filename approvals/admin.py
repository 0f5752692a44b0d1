from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from approvals.models import Delegation, Membership


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organization", "role", "is_active"]
    list_filter = ["role", "is_active", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organization__name"]
    filter_horizontal = ["divisions"]
    list_select_related = ["user", "organization"]


@admin.register(Delegation)
class DelegationAdmin(SimpleHistoryAdmin):
    list_display = ["delegator", "deputy", "organization", "starts_at", "ends_at", "revoked_at"]
    list_filter = ["organization"]
    search_fields = ["delegator__username", "deputy__username", "reason"]
    list_select_related = ["delegator", "deputy", "organization"]
