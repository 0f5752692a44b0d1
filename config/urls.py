from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.health import liveness, readiness
from config.metrics import metrics_view

urlpatterns = [
    path("health/", liveness, name="health-live"),
    path("health/ready/", readiness, name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc styles itself with <style> elements and renders in a worker made from a blob.
    path(
        "api/redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
    path("api/v1/ita/", include("workflow.api.ita")),
    path("api/v1/", include("workflow.api.urls")),
    path("api/v1/", include("approvals.api")),
    path("api/v1/inbox/", include("approvals.notifications_urls")),
    path("inbox/", include("approvals.inbox_urls")),
    path("organization/", include("approvals.org_urls")),
    path("", include("audit.urls", namespace="audit")),
    path("accounts/", include("approvals.account_urls")),
    path("public/", include("workflow.urls_public")),
    path("ita/", include("workflow.urls_ita")),
    path("", include("workflow.urls")),
]

# Uploaded files are never served from MEDIA_URL: evidence goes out only through views that
# check who may see it, as downloads (workflow.uploads.evidence_response).

# Every error no view answered: JSON under /api/, the site's page (Thai first) elsewhere.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
