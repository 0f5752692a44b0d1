from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/v1/ita/", include("workflow.api.ita")),
    path("api/v1/", include("workflow.api.urls")),
    path("api/v1/", include("approvals.api")),
    path("api/v1/inbox/", include("approvals.notifications_urls")),
    path("inbox/", include("approvals.inbox_urls")),
    path("", include("audit.urls", namespace="audit")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("public/", include("workflow.urls_public")),
    path("ita/", include("workflow.urls_ita")),
    path("", include("workflow.urls")),
]

# Uploaded files are never served from MEDIA_URL: evidence goes out only through views that
# check who may see it, as downloads (workflow.uploads.evidence_response).
