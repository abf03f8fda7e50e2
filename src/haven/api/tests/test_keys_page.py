"""The API keys page as an organization's admin meets it: a key made is shown once, on the answer to its
creation, and never again; only the scopes of the organization's kind are offered or accepted; a key of another
organization cannot be revoked (404); revoking asks, is audited, and the key then answers 401."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.api import keys
from haven.api.models import ApiKey
from haven.audit.models import AuditEntry
from haven.core import tokens
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role

pytestmark = pytest.mark.django_db

PAGE = "/organizations/api-keys/"
SECRET = re.compile(r"hvn_[A-Za-z0-9_\-]{20,}")


def _form(scopes: list[str], *, label: str = "Case system", days: int = 90) -> dict[str, object]:
    return {
        "label": label,
        "scopes": scopes,
        "expires_on": (timezone.localdate() + timedelta(days=days)).isoformat(),
    }


def _admin_of(organization: Organization, make_member: Callable[..., User]) -> User:
    role = Role.PROGRAM_ADMIN if organization.kind == OrganizationKind.NATIONAL_OFFICE else Role.ORG_ADMIN
    return make_member(role, organization)


def test_a_key_made_is_shown_once_and_never_again(
    cac: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
    api_client: Callable[[str], Client],
) -> None:
    client = signed_in(_admin_of(cac, make_member))
    made = client.post(PAGE, _form([keys.CARE_WRITE]))
    assert made.status_code == 200
    shown = SECRET.findall(made.content.decode())
    assert len(shown) == 1
    secret = shown[0]
    key = ApiKey.objects.in_org(cac).get()
    assert key.digest == tokens.digest_of(secret) and key.scopes == [keys.CARE_WRITE]
    assert "it will not be shown again" in made.content.decode()
    assert api_client(secret).get("/api/v1/key").status_code == 200

    again = client.get(PAGE)
    assert again.status_code == 200
    assert secret not in again.content.decode() and key.prefix in again.content.decode()
    assert not SECRET.findall(again.content.decode().replace(key.prefix + "…", ""))


@pytest.mark.parametrize(
    "kind",
    [
        OrganizationKind.CAC,
        OrganizationKind.TRAINING_PROVIDER,
        OrganizationKind.NATIONAL_OFFICE,
        OrganizationKind.FUNDER,
        OrganizationKind.CORPORATE_PARTNER,
    ],
)
def test_only_the_scopes_of_the_organizations_kind_are_offered_and_accepted(
    kind: str,
    request: pytest.FixtureRequest,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    fixture = {
        OrganizationKind.CAC: "cac",
        OrganizationKind.TRAINING_PROVIDER: "provider",
        OrganizationKind.NATIONAL_OFFICE: "national",
        OrganizationKind.FUNDER: "funder",
        OrganizationKind.CORPORATE_PARTNER: "partner",
    }[kind]
    organization: Organization = request.getfixturevalue(fixture)
    client = signed_in(_admin_of(organization, make_member))
    page = client.get(PAGE).content.decode()
    offered = set(re.findall(r'name="scopes" value="([^"]+)"', page))
    assert offered == set(keys.scopes_for(organization))

    for scope in set(keys.SCOPES) - offered:
        refused = client.post(PAGE, _form([scope]))
        assert refused.status_code == 400
        assert not SECRET.findall(refused.content.decode())
    assert not ApiKey.objects.in_org(organization).exists()
    assert client.post(PAGE, _form(sorted(offered))).status_code == 200
    assert ApiKey.objects.in_org(organization).get().scopes == sorted(offered)


def test_a_cac_admin_cannot_make_a_key_that_reads_figures(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    refused = signed_in(_admin_of(cac, make_member)).post(PAGE, _form([keys.CARE_WRITE, keys.FIGURES_READ]))
    assert refused.status_code == 400
    assert not ApiKey.objects.in_org(cac).exists()


@pytest.mark.parametrize("days", [0, -1, 366, 400])
def test_a_key_expires_after_today_and_within_a_year(
    days: int, cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    refused = signed_in(_admin_of(cac, make_member)).post(PAGE, _form([keys.CARE_WRITE], days=days))
    assert refused.status_code == 400
    assert not ApiKey.objects.in_org(cac).exists()


def test_the_expiry_is_90_days_unless_changed_and_a_year_is_allowed(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(_admin_of(cac, make_member))
    default = (timezone.localdate() + timedelta(days=90)).isoformat()
    assert f'value="{default}"' in client.get(PAGE).content.decode()
    assert client.post(PAGE, _form([keys.CARE_WRITE], days=365)).status_code == 200
    key = ApiKey.objects.in_org(cac).get()
    assert timezone.localtime(key.expires_at).date() == timezone.localdate() + timedelta(days=365)


def test_a_state_chapter_holds_no_key_and_its_admin_finds_no_page(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    chapter = cac.parent
    assert chapter is not None and not keys.scopes_for(chapter)
    client = signed_in(make_member(Role.ORG_ADMIN, chapter))
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, _form([keys.CARE_WRITE])).status_code == 404


def test_another_organizations_key_cannot_be_revoked(
    cac: Organization,
    other_cac: Organization,
    make_member: Callable[..., User],
    make_key: Callable[..., str],
    signed_in: Callable[[User], Client],
    api_client: Callable[[str], Client],
) -> None:
    secret = make_key(other_cac, [keys.CARE_WRITE])
    theirs = ApiKey.objects.in_org(other_cac).get()
    client = signed_in(_admin_of(cac, make_member))
    url = reverse("api_keys:revoke", kwargs={"key_id": theirs.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmed": "yes"}).status_code == 404
    assert ApiKey.objects.in_org(other_cac).get().revoked_at is None
    assert api_client(secret).get("/api/v1/key").status_code == 200
    assert theirs.label not in client.get(PAGE).content.decode()


def test_revoking_asks_is_audited_and_the_key_then_answers_401(
    cac: Organization,
    make_member: Callable[..., User],
    make_key: Callable[..., str],
    signed_in: Callable[[User], Client],
    api_client: Callable[[str], Client],
) -> None:
    secret = make_key(cac, [keys.CARE_WRITE])
    key = ApiKey.objects.in_org(cac).get()
    admin = _admin_of(cac, make_member)
    client = signed_in(admin)
    url = reverse("api_keys:revoke", kwargs={"key_id": key.pk})

    asked = client.post(url)
    assert asked.status_code == 200 and "refused at once" in asked.content.decode()
    assert api_client(secret).get("/api/v1/key").status_code == 200

    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    entry = AuditEntry.objects.in_org(cac).get(action="api.key_revoke", target_id=str(key.pk))
    assert entry.actor_id == admin.pk
    assert api_client(secret).get("/api/v1/key").status_code == 401
    assert "Revoked on" in client.get(PAGE).content.decode()


def test_the_program_admin_manages_the_national_offices_keys(
    national: Organization,
    cac: Organization,
    make_member: Callable[..., User],
    make_key: Callable[..., str],
    signed_in: Callable[[User], Client],
) -> None:
    make_key(cac, [keys.CARE_WRITE], label="The CAC's case system")
    client = signed_in(make_member(Role.PROGRAM_ADMIN, national))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "The CAC&#x27;s case system" not in page.content.decode()
    assert client.post(PAGE, _form([keys.FIGURES_READ], label="Board figures")).status_code == 200
    assert ApiKey.objects.in_org(national).get().label == "Board figures"
