from django.urls import path

from . import views_dashboard

app_name = "learning"
urlpatterns: list = [
    # Each part of the pillar appends its pages here.
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("dashboard/<int:course_id>/overdue.csv", views_dashboard.dashboard_csv, name="dashboard_csv"),
]
