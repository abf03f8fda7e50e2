"""Single sign-on through the company's OpenID provider (a real one, started by the test on 127.0.0.1), driven
through Django's test client: the redirect to the provider is followed with urllib, its answer brought back."""

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.audit.models import AuditEntry
from haven.learning import secrets as stored_secrets
from haven.learning import services
from haven.learning.models import LearningSettings, StaffMember
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory

from .oidc_provider import OidcProvider, new_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    started = OidcProvider().start()
    yield started
    started.stop()


@pytest.fixture
def sso_company(company: Organization, provider: OidcProvider) -> Organization:
    found = services.learning_settings(company)
    found.oidc_issuer = provider.issuer
    found.oidc_client_id = provider.client_id
    found.oidc_client_secret = stored_secrets.seal(provider.client_secret)
    found.save()
    return company


@pytest.fixture
def ada(make_staff: Callable[..., StaffMember], provider: OidcProvider) -> StaffMember:
    staff = make_staff(user_name="ada@company.example", email="ada.lovelace@company.example")
    provider.subject = {"preferred_username": "ada@company.example", "email": "ada.lovelace@company.example"}
    return staff


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def at_provider(url: str) -> str:
    """Follow the browser to the provider's authorize URL; the URL it sends the browser back to."""
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(url, timeout=10)
    assert redirected.value.code == 302
    return str(redirected.value.headers["Location"])


def start(client: Client, company: Organization) -> str:
    response = client.get(reverse("learning:sso_start", args=[company.pk]))
    assert response.status_code == 302
    return str(response["Location"])


def back(client: Client, location: str) -> Any:
    parts = urllib.parse.urlsplit(location)
    assert parts.path == reverse("learning:sso_callback")
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client: Client, company: Organization) -> Any:
    return back(client, at_provider(start(client, company)))


def refusals(reason: str) -> int:
    return AuditEntry.objects.dangerously_unscoped().filter(action="auth.sso_refused", detail__reason=reason).count()


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_a_learner_signs_in_through_the_company_and_is_not_asked_for_a_second_factor(
    sso_company: Organization, ada: StaffMember, provider: OidcProvider
) -> None:
    client = Client()
    response = sign_in(client, sso_company)
    assert response.status_code == 302
    assert response["Location"] == reverse("shell:home")
    assert signed_in_user_id(client) == ada.user_id
    home = client.get(reverse("shell:home"))
    assert home.status_code == 200  # no detour to Haven's second-factor set-up
    assert not ada.user.has_usable_password()
    entry = AuditEntry.objects.dangerously_unscoped().get(action="auth.sso_sign_in")
    assert entry.actor_id == ada.user_id
    assert entry.organization_id == sso_company.pk
    assert "ada" not in str(entry.detail)
    # The code was exchanged with PKCE and the client's secret (the provider checked both).
    assert provider.token_requests[0]["code_verifier"]


def test_the_authorization_request_carries_pkce_state_and_nonce(sso_company: Organization) -> None:
    client = Client()
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(client, sso_company)).query))
    assert query["code_challenge_method"] == "S256"
    assert query["response_type"] == "code"
    assert {"state", "nonce", "code_challenge"} <= query.keys()
    assert "openid" in query["scope"].split()
    again = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(Client(), sso_company)).query))
    assert {again["state"], again["nonce"]}.isdisjoint({query["state"], query["nonce"]})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"token_overrides": {"iss": "https://elsewhere.example"}}, "wrong_issuer"),
        ({"token_overrides": {"aud": "another-client"}}, "wrong_audience"),
        ({"token_overrides": {"exp": 1_000_000_000, "iat": 999_999_000}}, "expired"),
        ({"sign_with": "another key"}, "bad_signature"),
        ({"algorithm": "HS256"}, "bad_signature"),
        ({"token_overrides": {"nonce": "not-the-session-nonce"}}, "wrong_nonce"),
    ],
)
def test_a_token_that_is_not_right_signs_nobody_in(
    sso_company: Organization, ada: StaffMember, provider: OidcProvider, change: dict[str, Any], reason: str
) -> None:
    for name, value in change.items():
        setattr(provider, name, new_key() if value == "another key" else value)
    client = Client()
    response = sign_in(client, sso_company)
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert refusals(reason) == 1
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="auth.sso_sign_in").exists()


def test_a_replayed_nonce_is_refused(sso_company: Organization, ada: StaffMember) -> None:
    first = Client()
    first_location = start(first, sso_company)
    used_nonce = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(first_location).query))["nonce"]
    assert back(first, at_provider(first_location)).status_code == 302
    # Another browser's flow, whose session and authorization request carry the nonce already used.
    second = Client()
    location = start(second, sso_company)
    session = second.session
    flows = session["haven_sso_flows"]
    for flow in flows.values():
        flow["nonce"] = used_nonce
    session["haven_sso_flows"] = flows
    session.save()
    parts = urllib.parse.urlsplit(location)
    query = {**dict(urllib.parse.parse_qsl(parts.query)), "nonce": used_nonce}
    replayed = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    response = back(second, at_provider(replayed))
    assert response.status_code == 403
    assert signed_in_user_id(second) is None
    assert refusals("nonce_replayed") == 1


def test_an_unknown_state_is_refused(sso_company: Organization, ada: StaffMember) -> None:
    client = Client()
    location = at_provider(start(client, sso_company))
    parts = urllib.parse.urlsplit(location)
    query = {**dict(urllib.parse.parse_qsl(parts.query)), "state": "made-up"}
    response = client.get(f"{parts.path}?{urllib.parse.urlencode(query)}")
    assert response.status_code == 400
    assert signed_in_user_id(client) is None
    assert refusals("unknown_state") == 1
    # A state works once: the genuine answer, brought back twice, signs in the first time only.
    assert back(client, location).status_code == 302
    assert back(Client(), location).status_code == 400


def test_deactivated_staff_are_refused_with_a_clear_page(
    sso_company: Organization, ada: StaffMember, learning_admin: Any
) -> None:
    services.staff_deactivate(actor=learning_admin, staff=ada)
    client = Client()
    response = sign_in(client, sso_company)
    assert response.status_code == 403
    assert "has ended" in response.content.decode()
    assert signed_in_user_id(client) is None
    entry = AuditEntry.objects.dangerously_unscoped().get(action="auth.sso_refused")
    assert entry.detail["reason"] == "inactive_staff"
    assert "company.example" not in str(entry.detail)


def test_someone_the_company_has_not_added_is_refused_and_no_account_is_made(
    sso_company: Organization, provider: OidcProvider
) -> None:
    provider.subject = {"preferred_username": "stranger@company.example", "email": "stranger@company.example"}
    client = Client()
    response = sign_in(client, sso_company)
    assert response.status_code == 403
    assert refusals("unknown_staff") == 1
    assert not StaffMember.objects.in_org(sso_company).exists()


def test_staff_of_another_company_cannot_sign_in_through_this_one(
    sso_company: Organization, provider: OidcProvider
) -> None:
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    services.staff_save(
        actor=None,
        organization=other,
        fields=services.StaffFields(user_name="bob@other.example", email="bob@other.example"),
    )
    provider.subject = {"preferred_username": "bob@other.example", "email": "bob@other.example"}
    client = Client()
    assert sign_in(client, sso_company).status_code == 403
    assert refusals("unknown_staff") == 1


def test_a_role_that_needs_havens_second_factor_is_sent_to_the_password_sign_in(
    sso_company: Organization, ada: StaffMember
) -> None:
    """The company's learning admin is also staff: their admin role needs Haven's own second factor."""
    from haven.organizations.models import Membership

    Membership.objects.create(user=ada.user, organization=sso_company, role=Role.ORG_ADMIN)
    client = Client()
    response = sign_in(client, sso_company)
    assert response.status_code == 403
    assert refusals("second_factor_required") == 1


def test_the_sign_in_page_leads_to_the_companies_with_single_sign_on(sso_company: Organization) -> None:
    without = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER, name="No Provider Inc")
    LearningSettings.objects.create(organization=without)
    page = Client().get(reverse("accounts:sign_in")).content.decode()
    assert reverse("learning:sso_choose") in page
    assert "without single sign-on" in page
    choose = Client().get(reverse("learning:sso_choose")).content.decode()
    assert reverse("learning:sso_start", args=[sso_company.pk]) in choose
    assert "No Provider Inc" not in choose
    assert Client().get(reverse("learning:sso_start", args=[without.pk])).status_code == 404


def test_stored_secrets_are_sealed_and_open_only_with_the_key(sso_company: Organization) -> None:
    stored = LearningSettings.objects.in_org(sso_company).get().oidc_client_secret
    assert stored.startswith(stored_secrets.PREFIX)
    assert "provider-given-secret" not in stored
    assert stored_secrets.unseal(stored) == "provider-given-secret-of-forty-characters"
    with pytest.raises(stored_secrets.SecretUnreadable):
        stored_secrets.unseal(stored[:-4] + "AAAA")
