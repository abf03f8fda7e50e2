from django.urls import path

from . import (
    views_assets,
    views_comments,
    views_gate,
    views_queue,
    views_review,
    views_settings,
    views_submissions,
    views_tokens,
)

app_name = "safeguarding"

urlpatterns: list = [
    # The creative team's submissions and their files (part A).
    path("submissions/", views_submissions.submission_list, name="submissions"),
    path("submissions/new/", views_submissions.submission_edit, name="submission_create"),
    path("submissions/<int:submission_id>/", views_submissions.submission_detail, name="submission"),
    path("submissions/<int:submission_id>/edit/", views_submissions.submission_edit, name="submission_edit"),
    path("submissions/<int:submission_id>/submit/", views_submissions.submission_submit, name="submission_submit"),
    path("submissions/<int:submission_id>/files/", views_submissions.asset_upload, name="asset_upload"),
    path("files/<int:asset_id>/replace/", views_submissions.asset_replace, name="asset_replace"),
    path("files/<int:asset_id>/remove/", views_submissions.asset_remove, name="asset_remove"),
    path("files/<int:asset_id>/", views_assets.asset_file, name="asset_file"),
    path("files/<int:asset_id>/thumbnail/", views_assets.asset_thumbnail, name="asset_thumbnail"),
    # The reviewers' queue, the review settings, comments on a submission (part C).
    path("queue/", views_queue.queue_page, name="queue"),
    path("settings/", views_settings.settings_page, name="settings"),
    path("submissions/<int:submission_id>/comments/", views_comments.comment_add, name="comment_add"),
    # The publish gate (JSON, for the company's asset-management system) and its tokens (part D).
    path("gate/<str:sha256>/", views_gate.gate_query, name="gate"),
    path("gate-tokens/", views_tokens.tokens, name="tokens"),
    path("gate-tokens/<int:token_id>/revoke/", views_tokens.token_revoke, name="token_revoke"),
    # The reviewer's page, its checklist and decision, and the pages of a file drawn for it (part B).
    path("review/<int:submission_id>/", views_review.review, name="review"),
    path("review/<int:submission_id>/checklist/", views_review.review_checklist, name="review_checklist"),
    path("review/<int:submission_id>/decide/", views_review.review_decide, name="review_decide"),
    path("review/file/<int:asset_id>/page/<int:page>/", views_review.review_page, name="review_page"),
]
