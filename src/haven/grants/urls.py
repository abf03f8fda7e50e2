"""The money pillar's pages, under /grants/. Each group of pages appends its paths here."""

from django.urls import path  # noqa: F401 (the groups below add their paths)

app_name = "grants"
urlpatterns: list = []
