from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.workforce, name="workforce"),
    path("capacity/", views.capacity_plan, name="capacity"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("closed-days/", views.closed_days, name="closed_days"),
    path("cohorts/", views.cohort_list, name="cohorts"),
    path("cohorts/new/", views.cohort_edit, name="cohort_create"),
    path("cohorts/<int:cohort_id>/", views.cohort_detail, name="cohort"),
    path("cohorts/<int:cohort_id>/edit/", views.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:cohort_id>/calls/<int:call_id>/", views.call_attendance, name="call_attendance"),
    path("enrollments/", views.enrollment_list, name="enrollments"),
    path("enrollments/<int:enrollment_id>/", views.enrollment_detail, name="enrollment"),
    path("enrollments/<int:enrollment_id>/place/", views.enrollment_place, name="enrollment_place"),
    path("enrollments/<int:enrollment_id>/transfer/", views.enrollment_transfer, name="enrollment_transfer"),
    path("enrollments/<int:enrollment_id>/withdraw/", views.enrollment_withdraw, name="enrollment_withdraw"),
    path("enrollments/<int:enrollment_id>/milestones/", views.milestone_record, name="milestone_record"),
    path("staff/", views.staff, name="staff"),
    path("staff/nominate/", views.nominate, name="nominate"),
    path("my-path/", views.my_path, name="my_path"),
]
