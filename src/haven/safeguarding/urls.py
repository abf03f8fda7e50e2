from django.urls import path  # noqa: F401  (helpers append their paths)

app_name = "safeguarding"

urlpatterns: list = []

# The publish gate (JSON, for the company's asset-management system) and its tokens (helper D).
from . import views_gate, views_tokens  # noqa: E402

urlpatterns += [
    path("gate/<str:sha256>/", views_gate.gate_query, name="gate"),
    path("gate-tokens/", views_tokens.tokens, name="tokens"),
    path("gate-tokens/<int:token_id>/revoke/", views_tokens.token_revoke, name="token_revoke"),
]
