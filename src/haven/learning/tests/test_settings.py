"""The company's learning settings page: its learning admin only; secrets sealed at rest and never shown back."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.learning import secrets as stored_secrets
from haven.learning.models import LearningSettings
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

from .lrs_server import LearningRecordStore

pytestmark = pytest.mark.django_db

URL = "/learning/settings/"


@pytest.fixture
def store() -> Iterator[LearningRecordStore]:
    started = LearningRecordStore().start()
    yield started
    started.stop()


def form(**changes: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": "https://login.company.example",
        "oidc_client_id": "haven",
        "oidc_client_secret": "",
        "lrs_endpoint": "",
        "lrs_username": "",
        "lrs_password": "",
        "remind_days_before": "7",
        "remind_days_after": "3",
        "program": "",
        "action": "save",
        **changes,
    }


def stored(company: Organization) -> LearningSettings:
    return LearningSettings.objects.in_org(company).get()


def test_only_the_companys_learning_admin_opens_the_page(
    company: Organization,
    learning_admin: User,
    make_member: Callable[..., User],
    make_staff: Callable[..., Any],
    cac: Organization,
    signed_in: Callable[[User], Any],
) -> None:
    assert reverse("learning:settings") == URL
    assert signed_in(learning_admin).get(URL).status_code == 200
    assert signed_in(make_member(Role.ORG_ADMIN, cac)).get(URL).status_code == 404
    assert signed_in(make_staff().user).get(URL).status_code == 404


def test_secrets_are_stored_sealed_and_never_shown_back(
    company: Organization, learning_admin: User, signed_in: Callable[[User], Any]
) -> None:
    client = signed_in(learning_admin)
    response = client.post(URL, form(oidc_client_secret="client-secret-123", lrs_password="store-secret-456"))
    assert response.status_code == 302
    found = stored(company)
    assert found.oidc_issuer == "https://login.company.example"
    assert found.oidc_client_secret.startswith(stored_secrets.PREFIX)
    assert "client-secret-123" not in found.oidc_client_secret
    assert stored_secrets.unseal(found.oidc_client_secret) == "client-secret-123"
    assert stored_secrets.unseal(found.lrs_password) == "store-secret-456"
    page = client.get(URL).content.decode()
    assert "client-secret-123" not in page and "store-secret-456" not in page
    assert found.oidc_client_secret not in page
    assert "A secret is set" in page
    entry = AuditEntry.objects.dangerously_unscoped().get(action="learning.settings_update")
    assert "oidc_client_secret" in entry.detail["changed"]
    assert "secret-123" not in str(entry.detail) and "login.company" not in str(entry.detail)


def test_an_empty_secret_keeps_the_stored_one_and_remove_clears_it(
    company: Organization, learning_admin: User, signed_in: Callable[[User], Any]
) -> None:
    client = signed_in(learning_admin)
    client.post(URL, form(oidc_client_secret="client-secret-123"))
    client.post(URL, form(remind_days_before="10"))
    assert stored_secrets.unseal(stored(company).oidc_client_secret) == "client-secret-123"
    assert stored(company).remind_days_before == 10
    client.post(URL, form(oidc_client_secret_remove="on"))
    assert stored(company).oidc_client_secret == ""


def test_a_provider_address_must_be_https(
    company: Organization, learning_admin: User, signed_in: Callable[[User], Any]
) -> None:
    response = signed_in(learning_admin).post(URL, form(oidc_issuer="http://login.company.example"))
    assert response.status_code == 422
    assert stored(company).oidc_issuer == ""


def test_the_program_is_one_of_the_national_offices(
    company: Organization, national: Organization, learning_admin: User, signed_in: Callable[[User], Any]
) -> None:
    program = Program.objects.create(
        organization=national, name="Safe Workplaces", starts_on="2026-01-01", ends_on="2028-12-31"
    )
    client = signed_in(learning_admin)
    assert "Safe Workplaces" in client.get(URL).content.decode()
    assert client.post(URL, form(program=str(program.pk))).status_code == 302
    assert stored(company).program_id == program.pk
    assert client.post(URL, form(program="999999")).status_code == 422


def test_the_store_connection_can_be_tested(
    company: Organization, learning_admin: User, signed_in: Callable[[User], Any], store: LearningRecordStore
) -> None:
    client = signed_in(learning_admin)
    client.post(URL, form(lrs_endpoint=store.endpoint, lrs_username=store.key, lrs_password=store.secret))
    answered = client.post(URL, {"action": "test_store"}, follow=True).content.decode()
    assert "The learning record store answered." in answered
    store.fail_with = 500
    failed = client.post(URL, {"action": "test_store"}, follow=True).content.decode()
    assert "did not answer" in failed and "HTTP 500" in failed
