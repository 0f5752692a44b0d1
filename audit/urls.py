from django.urls import path

from audit import api, views

app_name = "audit"

urlpatterns = [
    path("audit/<slug:slug>/", views.audit_home, name="home"),
    path("audit/<slug:slug>/log.<str:fmt>", views.log_export, name="export"),
    path("audit/<slug:slug>/as-of/", views.report_as_of, name="as-of"),
    path("audit/<slug:slug>/verify/", views.verify_now, name="verify"),
    path("audit/<slug:slug>/chain/", views.chain_status, name="chain"),
    path("audit/<slug:slug>/<str:kind>/<int:pk>/", views.item_timeline, name="timeline"),
    path("api/v1/audit/<slug:slug>/log/", api.LogAPI.as_view(), name="api-log"),
    path("api/v1/audit/<slug:slug>/log.<str:fmt>", api.LogExportAPI.as_view(), name="api-export"),
    path("api/v1/audit/<slug:slug>/chain/", api.ChainAPI.as_view(), name="api-chain"),
    path("api/v1/audit/<slug:slug>/as-of/", api.AsOfAPI.as_view(), name="api-as-of"),
    path(
        "api/v1/audit/<slug:slug>/<str:kind>/<int:pk>/timeline/",
        api.TimelineAPI.as_view(),
        name="api-timeline",
    ),
]
