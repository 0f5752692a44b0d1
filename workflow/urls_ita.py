"""The staff pages of the yearly ITA cycle (under /ita/)."""

from django.urls import path

from workflow.views import ita

app_name = "ita"

urlpatterns = [
    path("", ita.cycle_home, name="home"),
    path("<int:organization_pk>/open/", ita.year_open, name="year-open"),
    path("<int:organization_pk>/results/<int:year>/", ita.result_edit, name="result-edit"),
    path(
        "<int:organization_pk>/results/<int:year>/import/", ita.result_import, name="result-import"
    ),
    path("<int:organization_pk>/analyses/new/", ita.analysis_start, name="analysis-start"),
    path("analyses/<int:pk>/", ita.analysis_detail, name="analysis"),
    path("analyses/<int:pk>/edit/", ita.analysis_edit, name="analysis-edit"),
    path("analyses/<int:pk>/transition/", ita.analysis_transition, name="analysis-transition"),
    path("measures/<int:pk>/indicators/", ita.measure_indicators, name="measure-indicators"),
]
