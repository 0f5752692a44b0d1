"""Admin of the ITA schemes (the platform operator keeps them in step with the NACC's manual),
and read-only views of results and analyses (their changes go through the services)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from workflow.assessment import (
    Analysis,
    AnalysisPublication,
    AssessmentScheme,
    AssessmentTool,
    Indicator,
    ItaResult,
    LevelBand,
    OitItem,
)


class ToolInline(admin.TabularInline):
    model = AssessmentTool
    extra = 0
    fields = ["position", "code", "name_th", "name_en"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["number", "tool", "name_th", "name_en"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # a scheme's indicators belong to one of its own tools
        if db_field.name == "tool" and request.resolver_match:
            scheme_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = AssessmentTool.objects.filter(scheme_id=scheme_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BandInline(admin.TabularInline):
    model = LevelBand
    extra = 0
    fields = ["level", "min_score", "max_score"]


class OitItemInline(admin.TabularInline):
    model = OitItem
    extra = 0
    fields = ["purpose", "code", "title_th"]


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(SimpleHistoryAdmin):
    list_display = ["year", "pass_mark", "oit_opens_on", "oit_closes_on", "to_check"]
    list_filter = ["to_check"]
    inlines = [ToolInline, IndicatorInline, BandInline, OitItemInline]


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ItaResult)
class ItaResultAdmin(ReadOnlyAdmin):
    list_display = ["organization", "scheme", "score", "level"]
    list_filter = ["scheme"]
    list_select_related = ["organization", "scheme"]


@admin.register(Analysis)
class AnalysisAdmin(ReadOnlyAdmin):
    list_display = ["organization", "fiscal_year", "state", "version", "revision"]
    list_filter = ["state", "fiscal_year"]
    list_select_related = ["organization", "fiscal_year", "result__scheme"]


@admin.register(AnalysisPublication)
class AnalysisPublicationAdmin(ReadOnlyAdmin):
    list_display = ["analysis", "fiscal_year", "revision", "published_at"]
    list_select_related = ["analysis__organization", "analysis__result__scheme", "fiscal_year"]
