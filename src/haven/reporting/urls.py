from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("funder/", views.funder, name="funder"),
    path("funder/export.<str:fmt>", views.funder_export, name="funder_export"),
    path("state/", views.state, name="state"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("forecast/", views.forecast, name="forecast"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:report_id>.pdf", views.report_download, name="report_download"),
    path("money/", views.money_page, name="money"),
    path("money/export.<str:fmt>", views.money_export, name="money_export"),
    path("funder/money/", views.funder_money, name="funder_money"),
    path("funder/money/export.<str:fmt>", views.funder_money_export, name="funder_money_export"),
]
