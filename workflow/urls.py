"""The staff pages."""

from django.urls import path

from workflow.views import spacing, staff

app_name = "workflow"

urlpatterns = [
    path("", staff.home, name="home"),
    path("bulk/", staff.bulk_transition, name="bulk-transition"),
    path("years/<int:year>/", staff.year_overview, name="year"),
    path("measures/", staff.measure_list, name="measure-list"),
    path("measures/new/", staff.measure_create, name="measure-create"),
    path("measures/<int:pk>/", staff.measure_detail, name="measure-detail"),
    path("measures/<int:pk>/edit/", staff.measure_edit, name="measure-edit"),
    path(
        "measures/<int:measure_pk>/reports/new/",
        staff.result_report_create,
        name="result-report-create",
    ),
    path("reports/", staff.result_report_list, name="result-report-list"),
    path("reports/<int:pk>/", staff.result_report_detail, name="result-report-detail"),
    path("reports/<int:pk>/edit/", staff.result_report_edit, name="result-report-edit"),
    path("reports/<int:pk>/evidence/", staff.evidence_add, name="evidence-add"),
    path("items/<str:kind>/<int:pk>/transition/", staff.transition, name="transition"),
    path("evidence/<int:pk>/", staff.evidence_download, name="evidence"),
    path("evidence/<int:pk>/replace/", staff.evidence_replace, name="evidence-replace"),
    path("evidence/<int:pk>/remove/", staff.evidence_remove, name="evidence-remove"),
    path(
        "items/<str:kind>/<int:pk>/schedule/",
        staff.publication_schedule_create,
        name="publication-schedule",
    ),
    path("schedules/", staff.publication_schedule_list, name="publication-schedules"),
    path(
        "schedules/<int:pk>/cancel/",
        staff.publication_schedule_cancel_view,
        name="publication-schedule-cancel",
    ),
    path(
        "reports/<int:pk>/publish-with-measure/",
        staff.result_report_publish_with_measure_view,
        name="result-report-publish-with-measure",
    ),
    path("spacing/", spacing.spacing_review, name="spacing-review"),
    path("spacing/decide/", spacing.spacing_decide, name="spacing-decide"),
    path(
        "introductions/<slug:slug>/<int:year>/", staff.introduction_edit, name="introduction-edit"
    ),
    path("introductions/<int:pk>/", staff.introduction_detail, name="introduction"),
]
