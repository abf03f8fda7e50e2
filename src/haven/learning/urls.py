from django.urls import path

from . import views_settings, views_sso

app_name = "learning"
urlpatterns: list = [
    # Each part of the pillar appends its pages here.
    path("sso/", views_sso.sso_choose, name="sso_choose"),
    path("sso/<int:company_id>/start/", views_sso.sso_start, name="sso_start"),
    path("sso/callback/", views_sso.sso_callback, name="sso_callback"),
    path("settings/", views_settings.learning_settings_page, name="settings"),
    path("statements.json", views_settings.statements_download, name="statements"),
]
