"""The money pillar's pages, under /grants/. Each group of pages appends its paths here."""

from django.urls import path  # noqa: F401 (the groups below add their paths)

app_name = "grants"
urlpatterns: list = []

# The program admin's pages: funds, grants, the money rules.
from . import views  # noqa: E402 (each group imports its own views beside its paths)

urlpatterns += [
    path("", views.home, name="home"),
    path("rules/", views.rules, name="rules"),
    path("funds/new/", views.fund_create, name="fund_create"),
    path("funds/<int:fund_id>/", views.fund_detail, name="fund"),
    path("funds/<int:fund_id>/receipts/new/", views.receipt_create, name="receipt_create"),
    path("new/", views.grant_edit, name="grant_create"),
    path("<int:grant_id>/", views.grant_detail, name="grant"),
    path("<int:grant_id>/edit/", views.grant_edit, name="grant_edit"),
    path("<int:grant_id>/approve/", views.grant_approve, name="grant_approve"),
    path("<int:grant_id>/start/", views.grant_activate, name="grant_activate"),
    path("<int:grant_id>/close/", views.grant_close, name="grant_close"),
]
