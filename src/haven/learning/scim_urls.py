"""The company's SCIM 2.0 endpoint (RFC 7644), as identity providers call it: ``/scim/v2/Users`` and ``/Groups``."""

from django.urls import path

from . import scim

app_name = "scim"
urlpatterns: list = [
    path("ServiceProviderConfig", scim.service_provider_config, name="service_provider_config"),
    path("ResourceTypes", scim.resource_types, name="resource_types"),
    path("Schemas", scim.schemas, name="schemas"),
    path("Users", scim.users, name="users"),
    path("Users/<str:scim_id>", scim.user, name="user"),
    path("Groups", scim.groups, name="groups"),
    path("Groups/<str:scim_id>", scim.group, name="group"),
]
