"""Fixtures of the API's tests: a key of an organization, made as its admin makes one (the secret returned once)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.api import keys
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role


@pytest.fixture
def make_key(make_member: Callable[..., User]) -> Callable[..., str]:
    """``make_key(organization, scopes)``: a live key's secret, made by a new admin of the organization."""

    def make(organization: Organization, scopes: list[str], *, expires_at: datetime | None = None, **kw: Any) -> str:
        role = Role.PROGRAM_ADMIN if organization.kind == "national_office" else Role.ORG_ADMIN
        admin = make_member(role, organization)
        membership = Membership.objects.in_org(organization).get(user=admin)
        _key, secret = keys.key_create(
            membership=membership, label=kw.get("label", "Case system"), scopes=scopes, expires_at=expires_at
        )
        return secret

    return make


@pytest.fixture
def api_client() -> Callable[[str], Client]:
    """A client that presents ``secret`` as its bearer key on every request, through every middleware."""

    def make(secret: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return make
