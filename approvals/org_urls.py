from django.urls import path

from approvals import org_views

app_name = "organization"

urlpatterns = [
    path("", org_views.organization_home, name="home"),
    path("divisions/", org_views.divisions, name="divisions"),
    path("divisions/<int:pk>/", org_views.division_change, name="division-change"),
    path("people/", org_views.people, name="people"),
    path("people/<int:user_pk>/roles/", org_views.role_add, name="role-add"),
    path("people/<int:user_pk>/position/", org_views.position_change, name="position-change"),
    path("roles/<int:pk>/", org_views.role_end, name="role-end"),
    path("delegations/", org_views.delegations, name="delegations"),
    path("delegations/<int:pk>/revoke/", org_views.delegation_revoke, name="delegation-revoke"),
]
