from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.export_list, name="list"),
    path("new/", views.export_new, name="new"),
    path("<int:export_id>/", views.export_detail, name="detail"),
    path("<int:export_id>/approve/", views.export_approve, name="approve"),
    path("<int:export_id>/decline/", views.export_decline, name="decline"),
    path("<int:export_id>/passphrase/", views.export_passphrase, name="passphrase"),
    path("<int:export_id>/package.zip", views.export_download, name="download"),
]
