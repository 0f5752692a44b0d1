from django.urls import path

from approvals import inbox_views

app_name = "approvals"

urlpatterns = [
    path("", inbox_views.inbox, name="inbox"),
    path("<int:pk>/read/", inbox_views.inbox_read, name="inbox-read"),
    path("read-all/", inbox_views.inbox_read_all, name="inbox-read-all"),
    path("preferences/", inbox_views.inbox_preferences, name="inbox-preferences"),
    path(
        "items/<str:kind>/<int:pk>/",
        inbox_views.item_redirect,
        name="item",
    ),
]
