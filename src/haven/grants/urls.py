"""The money pillar's pages, under /grants/. Each group of pages appends its paths here."""

from django.urls import path  # noqa: F401 (the groups below add their paths)

app_name = "grants"
urlpatterns: list = []

# Grantee reports: the grantee's own grants and reports, the program admin's schedule and review.
from . import report_views  # noqa: E402

urlpatterns += [
    path("ours/", report_views.mine, name="mine"),
    path("ours/<int:grant_id>/", report_views.our_grant, name="our_grant"),
    path("ours/reports/<int:report_id>/", report_views.our_report, name="our_report"),
    path("ours/reports/<int:report_id>/import/", report_views.our_report_import, name="our_report_import"),
    path(
        "ours/reports/<int:report_id>/import/confirm/",
        report_views.our_report_import_confirm,
        name="our_report_import_confirm",
    ),
    path("reports/", report_views.reports, name="reports"),
    path("reports/<int:report_id>/", report_views.report, name="report"),
    path("reports/schedule/<int:grant_id>/", report_views.report_schedule, name="report_schedule"),
]
