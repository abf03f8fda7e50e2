from django.urls import path

from . import views_webhooks

app_name = "webhooks"

urlpatterns = [
    path("", views_webhooks.endpoints, name="list"),
    path("<int:endpoint_id>/pause/", views_webhooks.endpoint_pause, name="pause"),
    path("<int:endpoint_id>/delete/", views_webhooks.endpoint_delete, name="delete"),
]
