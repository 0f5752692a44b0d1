"""The staff pages."""

from django.urls import path

from workflow.views import staff

app_name = "workflow"

urlpatterns = [
    path("", staff.home, name="home"),
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
    path(
        "introductions/<slug:slug>/<int:year>/", staff.introduction_edit, name="introduction-edit"
    ),
]
