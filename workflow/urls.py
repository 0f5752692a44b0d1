"""The staff pages."""

from django.urls import path

from workflow.views import staff

app_name = "workflow"

urlpatterns = [
    path("", staff.home, name="home"),
    path("measures/", staff.measure_list, name="measure-list"),
    path("measures/<int:pk>/", staff.measure_detail, name="measure-detail"),
    path("reports/", staff.result_report_list, name="report-list"),
    path("reports/<int:pk>/", staff.result_report_detail, name="report-detail"),
    path("items/<str:kind>/<int:pk>/transition/", staff.transition, name="transition"),
    path("evidence/<int:pk>/", staff.evidence_download, name="evidence"),
]
