"""URLs of the plan's API, included under /api/v1/ by config.urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from workflow.api import views

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("divisions", views.DivisionViewSet, basename="division")
router.register("fiscal-years", views.FiscalYearViewSet, basename="fiscal-year")
router.register("rounds", views.ReportingRoundViewSet, basename="round")
router.register("measures", views.MeasureViewSet, basename="measure")
router.register("result-reports", views.ResultReportViewSet, basename="result-report")

urlpatterns = [
    *router.urls,
    path(
        "public/<slug:slug>/<int:year>/",
        views.PublicReportView.as_view(),
        name="public-report",
    ),
]
