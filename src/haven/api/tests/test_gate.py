# ruff: noqa: F811  (the fixtures imported below are found by pytest here, and named as arguments)
"""The publish gate through the API: the same answer and audit as the gate-token route (docs/gate.md), for the
key's company only."""

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.api import keys
from haven.api.models import ApiKey
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.safeguarding import services
from haven.safeguarding.models import Asset, Outcome, Submission
from haven.safeguarding.tests.conftest import (  # noqa: F401  (fixtures)
    answer_all,
    asset_store,
    brand,
    company,
    creative,
    draft,
    membership_of,
    program,
    safeguarder,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(draft: Submission, creative: Membership, safeguarder: Membership, brand: Membership) -> Submission:
    services.submit(membership=creative, submission=draft)
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, draft)
        services.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def key(company: Organization, make_key: Callable[..., str]) -> str:
    return make_key(company, [keys.GATE_READ])


def _asset(submission: Submission) -> Asset:
    return Asset.objects.in_org(submission.organization_id).get(submission=submission, retired_at=None)


def _ask(client: Client, sha256: str) -> Any:
    return client.get(reverse("api:publish_gate", args=[sha256]))


def _old_route(client: Client, sha256: str) -> Any:
    return client.get(reverse("safeguarding:gate", kwargs={"sha256": sha256}))


def _without_time(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != "checked_at"}


def test_the_api_answers_as_the_token_route_for_a_ready_file_and_one_under_review(
    ready: Submission,
    draft: Submission,
    company: Organization,
    key: str,
    api_client: Callable[[str], Client],
    make_member: Callable[..., User],
) -> None:
    admin = membership_of(make_member(Role.ORG_ADMIN, company), company)
    token = services.gate_token_create(membership=admin, company=company, label="DAM")[1]
    by_token = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    asset = _asset(ready)
    for sha256 in (asset.sha256, asset.original_sha256, hashlib.sha256(b"never uploaded").hexdigest()):
        response = _ask(api_client(key), sha256)
        assert response.status_code == 200, response.content
        old = _old_route(by_token, sha256)
        assert old.status_code == 200  # the documented route keeps working
        assert _without_time(response.json()) == _without_time(old.json())
    body = _ask(api_client(key), asset.sha256).json()
    assert body["approved"] is True and body["status"] == "approved" and body["review"]["id"] == ready.pk
    assert sorted(a["role"] for a in body["review"]["approvals"]) == ["brand_reviewer", "safeguarding_reviewer"]


def test_each_question_is_audited_naming_the_key(
    ready: Submission, company: Organization, key: str, api_client: Callable[[str], Client]
) -> None:
    _ask(api_client(key), _asset(ready).sha256)
    entry = AuditEntry.objects.in_org(ready.organization_id).filter(action="safeguarding.gate_query").get()
    used = ApiKey.objects.in_org(company).get()
    assert entry.actor_id is None and entry.target_id == str(ready.pk)
    assert entry.detail == {"token": None, "approved": True, "via": f"api:key:{used.pk}"}


def test_another_companys_key_never_sees_this_companys_file(
    ready: Submission, make_key: Callable[..., str], api_client: Callable[[str], Client]
) -> None:
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    client = api_client(make_key(other, [keys.GATE_READ]))
    theirs = _ask(client, _asset(ready).sha256).json()
    never_seen = _ask(client, hashlib.sha256(b"never uploaded").hexdigest()).json()
    for body in (theirs, never_seen):
        del body["sha256"], body["checked_at"]
    assert theirs == never_seen == {"approved": False, "status": "unknown", "review": None}
    assert ready.title not in str(theirs)


@pytest.mark.parametrize("sha256", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "0" * 32 + "-" * 32])
def test_a_malformed_digest_answers_422(sha256: str, key: str, api_client: Callable[[str], Client]) -> None:
    response = _ask(api_client(key), sha256)
    assert response.status_code == 422
    assert "detail" in response.json()
