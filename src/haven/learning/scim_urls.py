"""The company's SCIM 2.0 endpoint (RFC 7644), as identity providers call it: ``/scim/v2/Users`` and ``/Groups``."""

app_name = "scim"
urlpatterns: list = []
