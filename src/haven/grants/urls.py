"""The money pillar's pages, under /grants/. Each group of pages appends its paths here."""

from django.urls import path

from . import views_rates

app_name = "grants"
urlpatterns: list = [
    path("rates/", views_rates.rates, name="rates"),
]
