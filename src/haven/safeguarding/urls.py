from django.urls import path  # noqa: F401  (helpers append their paths)

app_name = "safeguarding"

urlpatterns: list = []

# Part C: the reviewers' queue, the review settings, comments on a submission.
from . import views_comments, views_queue, views_settings  # noqa: E402

urlpatterns += [
    path("queue/", views_queue.queue_page, name="queue"),
    path("settings/", views_settings.settings_page, name="settings"),
    path("submissions/<int:submission_id>/comments/", views_comments.comment_add, name="comment_add"),
]
