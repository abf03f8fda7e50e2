from django.urls import path

from . import views_staff

app_name = "learning"
urlpatterns: list = [
    # Each part of the pillar appends its pages here.
    path("staff/", views_staff.staff_list, name="staff_list"),
    path("staff/<int:staff_id>/", views_staff.staff_detail, name="staff_detail"),
    path("staff/tokens/", views_staff.scim_tokens, name="scim_tokens"),
    path("staff/tokens/<int:token_id>/revoke/", views_staff.scim_token_revoke, name="scim_token_revoke"),
    path("staff/import/", views_staff.staff_import, name="staff_import"),
    path("staff/import/confirm/", views_staff.staff_import_confirm, name="staff_import_confirm"),
]
