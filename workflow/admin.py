"""Admin for the plan's records: history on every page, transitions only through the service."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from workflow.models import (
    Division,
    Evidence,
    FiscalYear,
    Measure,
    MeasureMethod,
    Organization,
    Publication,
    Recommendation,
    ReportingRound,
    ResultItem,
    ResultReport,
)


class DivisionInline(admin.TabularInline):
    model = Division
    extra = 0
    fields = ["name", "is_active"]


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_name", "province", "slug"]
    search_fields = ["name", "short_name", "slug", "province"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [DivisionInline]


@admin.register(Division)
class DivisionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organization", "is_active"]
    list_filter = ["is_active", "organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]


@admin.register(FiscalYear)
class FiscalYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "starts_on", "ends_on"]
    readonly_fields = ["starts_on", "ends_on"]


@admin.register(ReportingRound)
class ReportingRoundAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organization", "fiscal_year", "months", "due_on"]
    list_filter = ["fiscal_year", "months", "organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization", "fiscal_year"]


class MeasureMethodInline(admin.TabularInline):
    model = MeasureMethod
    extra = 0
    fields = ["position", "text"]


class WorkflowItemAdmin(SimpleHistoryAdmin):
    """State, version and submitter change only through approvals.services."""

    readonly_fields = ["state", "version", "revision", "submitted_by", "created_by"]
    list_filter = ["state"]


@admin.register(Measure)
class MeasureAdmin(WorkflowItemAdmin):
    list_display = ["number", "short_title", "organization", "fiscal_year", "state", "version"]
    list_display_links = ["number", "short_title"]
    list_filter = ["state", "fiscal_year", "organization", "divisions"]
    search_fields = ["title", "methods__text", "organization__name"]
    list_select_related = ["organization", "fiscal_year"]
    filter_horizontal = ["divisions"]
    inlines = [MeasureMethodInline]

    @admin.display(description=_("measure / approach"))
    def short_title(self, obj):
        return obj.title[:80]


class ResultItemInline(admin.TabularInline):
    model = ResultItem
    extra = 0
    fields = ["position", "text"]


class RecommendationInline(admin.TabularInline):
    model = Recommendation
    extra = 0
    fields = ["position", "text"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["title", "file", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["content_type", "size", "uploaded_by", "uploaded_at"]


@admin.register(ResultReport)
class ResultReportAdmin(WorkflowItemAdmin):
    list_display = ["measure", "reporting_round", "state", "version"]
    list_filter = ["state", "reporting_round__fiscal_year", "reporting_round"]
    search_fields = ["measure__title", "items__text", "recommendations__text"]
    list_select_related = ["measure", "reporting_round__fiscal_year"]
    inlines = [ResultItemInline, RecommendationInline, EvidenceInline]


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "report", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["title", "report__measure__title"]
    readonly_fields = ["content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["report__measure", "report__reporting_round", "uploaded_by"]


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Publications are a record of what the public saw: read-only."""

    list_display = ["measure", "result_report", "revision", "published_at", "published_by"]
    list_filter = ["fiscal_year", "organization"]
    list_select_related = ["measure", "result_report__reporting_round", "published_by"]
    search_fields = ["measure__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
