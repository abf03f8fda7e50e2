from django.urls import path

from . import views

app_name = "organizations"
urlpatterns = [
    path("", views.organization_list, name="list"),
    path("new/", views.organization_create, name="create"),
    path("<int:organization_id>/", views.organization_detail, name="detail"),
    path("<int:organization_id>/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "<int:organization_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "<int:organization_id>/members/<int:membership_id>/deactivate/",
        views.membership_deactivate,
        name="membership_deactivate",
    ),
    path(
        "<int:organization_id>/members/<int:membership_id>/reactivate/",
        views.membership_reactivate,
        name="membership_reactivate",
    ),
    path(
        "<int:organization_id>/members/<int:membership_id>/deactivate-account/",
        views.account_deactivate,
        name="account_deactivate",
    ),
    path("<int:organization_id>/grants/<int:grant_id>/approve/", views.grant_approve, name="grant_approve"),
    path("<int:organization_id>/grants/<int:grant_id>/decline/", views.grant_decline, name="grant_decline"),
]
