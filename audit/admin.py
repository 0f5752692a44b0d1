"""Admin for the audit records: read-only, so history cannot be edited or deleted here."""

from django.contrib import admin

from audit.models import ChainEntry, ChainHead, ChainVerification, TransitionLog


class ReadOnlyAdminMixin:
    """Lists and shows rows; no add, change or delete, not even for superusers."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdminMixin(ReadOnlyAdminMixin):
    """For SimpleHistoryAdmin subclasses: the history pages show, never revert."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        extra_context = {**(extra_context or {}), "revert_disabled": True}
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(ChainEntry)
class ChainEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["seq", "organization", "created_at", "actor", "system_actor", "action",
                    "subject_model", "subject_pk"]  # fmt: skip
    list_filter = ["action", "organization"]
    search_fields = ["hash", "reason"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "seq", "hash"]


@admin.register(ChainVerification)
class ChainVerificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "organization", "ok", "entries_checked", "broken_seq"]
    list_filter = ["ok", "organization"]


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "organization", "action", "source_state", "target_state",
                    "actor", "system_actor", "role"]  # fmt: skip
    list_filter = ["action", "organization"]
    show_full_result_count = False
