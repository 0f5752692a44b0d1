"""The Django admin is the platform operator's tool: superusers only.

Organization admins are ordinary users with a membership role; they work in the staff
pages and the API, confined to their organization. An authenticated person who is not
the platform operator gets 403 on every admin page, not a login form (issue 12, hole 2).
"""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


class PlatformAdminSite(admin.AdminSite):
    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and user.is_superuser)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)


class PlatformAdminConfig(AdminConfig):
    default_site = "config.admin.PlatformAdminSite"
