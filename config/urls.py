from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("public/", include("workflow.urls_public")),
    path("", include("workflow.urls")),
]
# Uploaded files are never served from MEDIA_URL: evidence goes out only through views that
# check who may see it, as downloads (workflow.uploads.evidence_response).
