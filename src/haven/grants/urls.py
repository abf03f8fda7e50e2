"""The money pillar's pages, under /grants/. Each group of pages appends its paths here."""

from django.urls import path

from . import report_views, views, views_payments, views_rates

app_name = "grants"
urlpatterns: list = []

# The program admin's pages: funds, grants, the money rules (views).
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

# Tranches and payments (views_payments).
urlpatterns += [
    path("payments/", views_payments.payments, name="payments"),
    path("<int:grant_id>/payments/", views_payments.grant_payments, name="grant_payments"),
    path("<int:grant_id>/tranches/new/", views_payments.tranche_add, name="tranche_add"),
    path("<int:grant_id>/tranches/evaluate/", views_payments.tranches_evaluate, name="tranches_evaluate"),
    path("tranches/<int:tranche_id>/delete/", views_payments.tranche_delete, name="tranche_delete"),
    path("tranches/<int:tranche_id>/release/", views_payments.tranche_release, name="tranche_release"),
    path("<int:grant_id>/payments/new/", views_payments.payment_create, name="payment_create"),
    path("payments/<int:payment_id>/approve/", views_payments.payment_approve, name="payment_approve"),
    path("payments/<int:payment_id>/pay/", views_payments.payment_pay, name="payment_pay"),
    path("payments/<int:payment_id>/cancel/", views_payments.payment_cancel, name="payment_cancel"),
]

# Exchange rates (views_rates).
urlpatterns += [
    path("rates/", views_rates.rates, name="rates"),
]

# Grantee reports: the grantee's own grants and reports, the program admin's schedule and review.
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
