"""Admin for the plan's records: history on every page, transitions only through the service."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from approvals.exceptions import WorkflowError
from approvals.services import transition_perform
from config.security import client_ip
from workflow.models import (
    Action,
    Division,
    Evidence,
    FiscalYear,
    IntroductionPublication,
    Measure,
    MeasureMethod,
    Organization,
    Publication,
    Recommendation,
    ReportingRound,
    ReportIntroduction,
    ResultItem,
    ResultReport,
)
from workflow.services import division_create, division_is_referenced, division_update


class DivisionInline(admin.TabularInline):
    model = Division
    extra = 0
    fields = ["name", "is_active"]
    can_delete = False  # divisions are retired, not deleted (DivisionAdmin)


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_name", "province", "slug"]
    search_fields = ["name", "short_name", "slug", "province"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [DivisionInline]


@admin.register(Division)
class DivisionAdmin(SimpleHistoryAdmin):
    """Changes go through workflow.services; a division named anywhere is retired, not deleted."""

    list_display = ["name", "organization", "is_active"]
    list_filter = ["is_active", "organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    actions = ["retire"]

    def get_readonly_fields(self, request, obj=None):
        return ["organization"] if obj else []

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return (
            obj is not None
            and not division_is_referenced(obj)
            and super().has_delete_permission(request, obj)
        )

    def save_model(self, request, obj, form, change):
        try:
            if change:
                division_update(
                    division=obj, actor=request.user, name=obj.name, is_active=obj.is_active
                )
            else:
                obj.pk = division_create(
                    organization=obj.organization, actor=request.user, name=obj.name
                ).pk
        except WorkflowError as error:
            fields = getattr(error, "fields", {})
            details = "; ".join(m for messages_ in fields.values() for m in messages_)
            self.message_user(request, f"{error.message_th}: {details}", messages.ERROR)

    @admin.action(description=_("Retire the selected divisions (they stay on what names them)"))
    def retire(self, request, queryset):
        for division in queryset:
            division_update(division=division, actor=request.user, is_active=False)
        self.message_user(request, _("Retired: %(count)d.") % {"count": len(queryset)})


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


def _transition_action(action: Action):
    """An admin action that moves the selected items through the one transition service."""

    def run(modeladmin, request, queryset):
        done = 0
        for item in queryset:
            try:
                transition_perform(
                    item=item, action=action, actor=request.user,
                    comment=_("via the admin"), ip_address=client_ip(request),
                )  # fmt: skip
            except WorkflowError as error:
                modeladmin.message_user(request, f"{item}: {error}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(
                request,
                _("%(action)s: %(count)d item(s).") % {"action": action.label, "count": done},
            )

    run.__name__ = f"transition_{action.value}"
    run.short_description = action.label
    return run


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WorkflowItemAdmin(SimpleHistoryAdmin):
    """Measures and result reports are read here; they change only through the services.

    Editing happens in the staff pages and the API, where the role rules apply;
    the actions below go through approvals.services.transition_perform, which
    checks the person's role like every other entry point.
    """

    actions = [_transition_action(a) for a in Action if a != Action.RETURN]
    list_filter = ["state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MeasureMethodInline(ReadOnlyInline):
    model = MeasureMethod
    extra = 0
    fields = ["position", "text"]


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


class ResultItemInline(ReadOnlyInline):
    model = ResultItem
    extra = 0
    fields = ["position", "text"]


class RecommendationInline(ReadOnlyInline):
    model = Recommendation
    extra = 0
    fields = ["position", "text"]


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    extra = 0
    fields = ["title", "file", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(ResultReport)
class ResultReportAdmin(WorkflowItemAdmin):
    list_display = ["measure", "reporting_round", "state", "version"]
    list_filter = ["state", "reporting_round__fiscal_year", "reporting_round"]
    search_fields = ["measure__title", "items__text", "recommendations__text"]
    list_select_related = ["measure", "reporting_round__fiscal_year"]
    inlines = [ResultItemInline, RecommendationInline, EvidenceInline]


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    """Evidence is added through workflow.services.evidence_add, which checks type and size."""

    list_display = ["title", "report", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["title", "report__measure__title"]
    list_select_related = ["report__measure", "report__reporting_round", "uploaded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # published reports and their history refer to it


@admin.register(ReportIntroduction)
class ReportIntroductionAdmin(WorkflowItemAdmin):
    list_display = ["short_text", "organization", "fiscal_year", "state", "version", "revision"]
    list_filter = ["state", "fiscal_year", "organization"]
    search_fields = ["text", "organization__name"]
    list_select_related = ["organization", "fiscal_year"]

    @admin.display(description=_("opening paragraph"))
    def short_text(self, obj):
        return obj.text[:80]


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


@admin.register(IntroductionPublication)
class IntroductionPublicationAdmin(PublicationAdmin):
    """What the public saw of the opening paragraph: read-only."""

    list_display = ["organization", "fiscal_year", "revision", "published_at", "published_by"]
    list_select_related = ["organization", "fiscal_year", "published_by"]
    search_fields = ["text"]


from workflow import admin_assessment  # noqa: E402, F401  the ITA cycle's admin
