from django.urls import path

from approvals import notifications_api

app_name = "inbox-api"

urlpatterns = [
    path("", notifications_api.InboxListApi.as_view(), name="list"),
    path("<int:pk>/read/", notifications_api.InboxReadApi.as_view(), name="read"),
    path("read-all/", notifications_api.InboxReadAllApi.as_view(), name="read-all"),
    path("preferences/", notifications_api.PreferenceApi.as_view(), name="preferences"),
]
