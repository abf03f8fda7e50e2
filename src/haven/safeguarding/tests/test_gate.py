"""The publish gate: a file's SHA-256 in, whether it is ready to publish out, for the token's company only; and the
org admin's page of gate tokens."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.safeguarding import gate, services
from haven.safeguarding.models import Asset, GateToken, Outcome, Submission

from .conftest import answer_all, image_bytes, membership_of

pytestmark = pytest.mark.django_db


def _ask(sha256: str, secret: str | None = None, client: Client | None = None) -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    return (client or Client()).get(reverse("safeguarding:gate", kwargs={"sha256": sha256}), headers=headers)


@pytest.fixture
def admin(make_member: Callable[..., User], company: Organization) -> Membership:
    return membership_of(make_member(Role.ORG_ADMIN, company, full_name="Ada Admin"), company)


@pytest.fixture
def secret(admin: Membership, company: Organization) -> str:
    return services.gate_token_create(membership=admin, company=company, label="DAM")[1]


@pytest.fixture
def ready(draft: Submission, creative: Membership, safeguarder: Membership, brand: Membership) -> Submission:
    services.submit(membership=creative, submission=draft)
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, draft)
        services.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)
    draft.refresh_from_db()
    return draft


def _asset(submission: Submission) -> Asset:
    return Asset.objects.in_org(submission.organization_id).get(submission=submission, retired_at=None)


def test_a_ready_files_stored_and_uploaded_digests_are_approved_with_no_names(ready: Submission, secret: str) -> None:
    asset = _asset(ready)
    assert asset.sha256 != asset.original_sha256  # the metadata was stripped: two digests, one file
    for sha256 in (asset.sha256, asset.original_sha256):
        response = _ask(sha256, secret)
        assert response.status_code == 200
        body = response.json()
        assert body["sha256"] == sha256
        assert body["approved"] is True
        assert body["status"] == "approved"
        assert body["review"]["id"] == ready.pk and body["review"]["round"] == ready.round
        assert body["review"]["ready_at"]
        assert sorted(a["role"] for a in body["review"]["approvals"]) == ["brand_reviewer", "safeguarding_reviewer"]
        assert set(body) == {"sha256", "approved", "status", "review", "checked_at"}
    text = response.content.decode()
    for member in Membership.objects.in_org(ready.organization_id):
        assert member.user.full_name not in text and member.user.email not in text


def test_a_file_under_review_is_not_approved(draft: Submission, creative: Membership, secret: str) -> None:
    services.submit(membership=creative, submission=draft)
    body = _ask(_asset(draft).sha256, secret).json()
    assert body["approved"] is False and body["status"] == "submitted"
    assert body["review"]["ready_at"] is None and body["review"]["approvals"] == []


def test_a_replaced_file_is_retired_and_its_replacement_waits_for_review(
    ready: Submission, creative: Membership, secret: str
) -> None:
    old = _asset(ready)
    new = services.asset_add(
        membership=creative, submission=ready, file_name="hero-v2.jpg", data=image_bytes(text="V2"), replaces=old
    )
    retired = _ask(old.sha256, secret).json()
    assert retired["approved"] is False and retired["status"] == "retired"
    assert retired["review"]["id"] == ready.pk
    replacement = _ask(new.sha256, secret).json()
    assert replacement["approved"] is False and replacement["status"] == "resubmitted"
    assert replacement["review"]["approvals"] == []


def test_a_revoked_token_answers_like_an_unknown_one(admin: Membership, secret: str, ready: Submission) -> None:
    sha256 = _asset(ready).sha256
    unknown = _ask(sha256, "hgt_" + "x" * 43)
    token = GateToken.objects.in_org(admin.organization_id).get()
    gate.token_revoke(membership=admin, token=token)
    revoked = _ask(sha256, secret)
    assert unknown.status_code == revoked.status_code == 401
    assert unknown.content == revoked.content
    assert unknown["WWW-Authenticate"] == revoked["WWW-Authenticate"]
    assert _ask(sha256).status_code == 401  # no token, no session


def test_another_companys_file_answers_like_an_unknown_one(ready: Submission, make_member: Callable[..., User]) -> None:
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    other_admin = membership_of(make_member(Role.ORG_ADMIN, other), other)
    other_secret = services.gate_token_create(membership=other_admin, company=other, label="DAM")[1]
    theirs = _ask(_asset(ready).sha256, other_secret).json()
    never_seen = _ask(hashlib.sha256(b"never uploaded").hexdigest(), other_secret).json()
    for body in (theirs, never_seen):
        del body["sha256"], body["checked_at"]
    assert theirs == never_seen == {"approved": False, "status": "unknown", "review": None}


@pytest.mark.parametrize("sha256", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "0" * 32 + "-" * 32])
def test_a_digest_not_64_lowercase_hex_characters_is_refused(sha256: str, secret: str) -> None:
    response = _ask(sha256, secret)
    assert response.status_code == 400
    assert "error" in response.json()


def test_each_question_notes_the_tokens_use_and_is_audited_without_names(
    ready: Submission, admin: Membership, secret: str
) -> None:
    token = GateToken.objects.in_org(admin.organization_id).get()
    assert token.last_used_at is None
    _ask(_asset(ready).sha256, secret)
    token.refresh_from_db()
    assert token.last_used_at is not None
    entry = AuditEntry.objects.in_org(ready.organization_id).filter(action="safeguarding.gate_query").get()
    assert entry.actor_id is None and entry.organization_id == ready.organization_id
    assert entry.detail["token"] == token.pk and entry.detail["approved"] is True
    assert ready.title not in json.dumps(entry.detail)


def test_a_member_who_sees_submissions_may_ask_and_nobody_else(
    ready: Submission,
    safeguarder: Membership,
    company: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    sha256 = _asset(ready).sha256
    asked = _ask(sha256, client=signed_in(safeguarder.user))
    assert asked.status_code == 200 and asked.json()["approved"] is True
    entry = AuditEntry.objects.in_org(company).filter(action="safeguarding.gate_query").get()
    assert entry.actor_id == safeguarder.user_id and entry.detail["token"] is None
    learner = make_member(Role.LEARNER, company)
    assert _ask(sha256, client=signed_in(learner)).status_code == 404


def test_the_org_admin_makes_a_token_shown_once_and_revokes_it(
    admin: Membership, signed_in: Callable[[User], Client], ready: Submission
) -> None:
    client = signed_in(admin.user)
    made = client.post(reverse("safeguarding:tokens"), {"label": "DAM production"})
    assert made.status_code == 200
    secret = made.context["secret"]
    assert secret.startswith("hgt_") and secret in made.content.decode()
    listed = client.get(reverse("safeguarding:tokens")).content.decode()
    token = GateToken.objects.in_org(admin.organization_id).get()
    # The list tells tokens apart by their first characters, never the whole secret.
    assert secret not in listed and secret.startswith(token.prefix) and token.prefix in listed
    assert "DAM production" in listed
    assert _ask(_asset(ready).sha256, secret).status_code == 200
    url = reverse("safeguarding:token_revoke", kwargs={"token_id": token.pk})
    assert client.post(url).status_code == 200  # the question first
    assert _ask(_asset(ready).sha256, secret).status_code == 200
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert _ask(_asset(ready).sha256, secret).status_code == 401
    assert (
        AuditEntry.objects.in_org(admin.organization_id)
        .filter(action="safeguarding.gate_token_revoke", target_id=str(token.pk))
        .exists()
    )


def test_a_label_is_needed_and_the_page_is_the_companys_admins_only(
    admin: Membership, signed_in: Callable[[User], Client], creative: Membership
) -> None:
    refused = signed_in(admin.user).post(reverse("safeguarding:tokens"), {"label": ""})
    assert refused.status_code == 400 and not GateToken.objects.in_org(admin.organization_id).exists()
    assert signed_in(creative.user).get(reverse("safeguarding:tokens")).status_code == 404
