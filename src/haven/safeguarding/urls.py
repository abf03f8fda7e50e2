from django.urls import path  # noqa: F401  (helpers append their paths)

app_name = "safeguarding"

urlpatterns: list = []
