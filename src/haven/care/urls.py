from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("children/new/", views.intake, name="intake"),
    path("children/<int:child_id>/", views.child_detail, name="child"),
    path("children/<int:child_id>/episodes/new/", views.episode_create, name="episode_create"),
    path("episodes/<int:episode_id>/", views.episode_detail, name="episode"),
    path("episodes/<int:episode_id>/sessions/", views.session_create, name="session_create"),
    path("episodes/<int:episode_id>/sessions/<int:session_id>/delete/", views.session_delete, name="session_delete"),
    path("episodes/<int:episode_id>/measures/new/", views.assessment_create, name="assessment_create"),
    path("episodes/<int:episode_id>/close/", views.episode_close, name="episode_close"),
    path("episodes/<int:episode_id>/reopen/", views.episode_reopen, name="episode_reopen"),
    path("episodes/<int:episode_id>/handover/", views.episode_handover, name="episode_handover"),
    path("measures/<int:assessment_id>/", views.assessment_detail, name="assessment"),
    path("measures/<int:assessment_id>/delete/", views.assessment_delete, name="assessment_delete"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_acknowledge, name="alert"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
]
