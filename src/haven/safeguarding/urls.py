from django.urls import path  # noqa: F401  (helpers append their paths)

app_name = "safeguarding"

urlpatterns: list = []

# Part B: the reviewer's page, its checklist and decision, and the pages of a file drawn for it.
from . import views_review  # noqa: E402

urlpatterns += [
    path("review/<int:submission_id>/", views_review.review, name="review"),
    path("review/<int:submission_id>/checklist/", views_review.review_checklist, name="review_checklist"),
    path("review/<int:submission_id>/decide/", views_review.review_decide, name="review_decide"),
    path("review/file/<int:asset_id>/page/<int:page>/", views_review.review_page, name="review_page"),
]
