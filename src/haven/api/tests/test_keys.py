"""API keys as their users meet them: shown once and kept hashed; a revoked, expired or unknown key answers 401
alike; a key without the operation's scope 403; a key over its rate 429 with Retry-After; the documentation and
its description are served by Haven itself."""

import contextvars
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from haven.api import auth, keys
from haven.api.models import ApiKey, RateWindow
from haven.audit.models import AuditEntry
from haven.core import tokens
from haven.organizations.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_and_only_its_digest_is_kept(cac: Organization, make_key: Callable[..., str]) -> None:
    secret = make_key(cac, [keys.CARE_WRITE])
    key = ApiKey.objects.in_org(cac).get()
    assert secret.startswith("hvn_") and len(secret) > 40
    assert key.digest == tokens.digest_of(secret) and secret not in (key.digest, key.prefix)
    assert secret.startswith(key.prefix)
    assert AuditEntry.objects.in_org(cac).filter(action="api.key_create", target_id=str(key.pk)).exists()


def test_the_key_describes_itself(
    cac: Organization, make_key: Callable[..., str], api_client: Callable[[str], Client]
) -> None:
    response = api_client(make_key(cac, [keys.CARE_WRITE])).get("/api/v1/key")
    assert response.status_code == 200
    assert response.json()["organization"] == cac.name and response.json()["scopes"] == [keys.CARE_WRITE]


def test_unknown_revoked_and_expired_keys_answer_401_alike(
    cac: Organization, make_key: Callable[..., str], api_client: Callable[[str], Client]
) -> None:
    revoked = make_key(cac, [keys.CARE_WRITE])
    key = ApiKey.objects.in_org(cac).get(digest=tokens.digest_of(revoked))
    admin = Membership.objects.in_org(cac).get(user=key.created_by)
    keys.key_revoke(membership=admin, key=key)
    expiring = make_key(cac, [keys.CARE_WRITE], expires_at=timezone.now() + timedelta(minutes=1))
    ApiKey.objects.in_org(cac).filter(digest=tokens.digest_of(expiring)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    answers = [api_client(secret).get("/api/v1/key") for secret in (revoked, expiring, "hvn_" + "x" * 43)]
    answers.append(Client().get("/api/v1/key"))
    assert {r.status_code for r in answers} == {401}
    assert {r.json()["detail"] for r in answers} == {"A valid API key is needed."}
    assert all(r["WWW-Authenticate"] == "Bearer" for r in answers)


def test_an_organization_holds_only_the_scopes_of_its_kind(
    cac: Organization, funder: Organization, make_key: Callable[..., str]
) -> None:
    with pytest.raises(ValidationError):
        make_key(cac, [keys.FIGURES_READ])
    with pytest.raises(ValidationError):
        make_key(funder, [keys.CARE_WRITE])
    assert make_key(funder, [keys.FIGURES_READ])


def test_a_key_over_its_rate_is_told_when_to_come_back(
    cac: Organization, make_key: Callable[..., str], api_client: Callable[[str], Client], settings: object
) -> None:
    settings.HAVEN_API_RATE_PER_MINUTE = 3  # type: ignore[attr-defined]
    client = api_client(make_key(cac, [keys.CARE_WRITE]))
    answers = [client.get("/api/v1/key") for _ in range(5)]
    limited = [r for r in answers if r.status_code == 429]
    # Three a minute: at least the fourth and fifth are refused (one more if the minute turned between requests).
    assert len(limited) >= 1 and answers[0].status_code == 200
    assert 1 <= int(limited[0]["Retry-After"]) <= 60


def test_the_description_is_openapi_3_1_and_the_documentation_loads_nothing_from_elsewhere(db: None) -> None:
    description = Client().get("/api/v1/openapi.json")
    assert description.status_code == 200 and description.json()["openapi"].startswith("3.1")
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page.split("<body")[0]


def test_the_rate_counts_each_request_of_the_minute_and_starts_again_the_next(
    cac: Organization, make_key: Callable[..., str], settings: object
) -> None:
    settings.HAVEN_API_RATE_PER_MINUTE = 3  # type: ignore[attr-defined]
    make_key(cac, [keys.CARE_WRITE])
    key = ApiKey.objects.in_org(cac).get()
    minute = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
    for second in (0, 10, 20):
        auth.count_request(key, now=minute + timedelta(seconds=second))
    with pytest.raises(auth.RateLimited) as refused:
        auth.count_request(key, now=minute + timedelta(seconds=45))
    assert refused.value.retry_after == 15
    windows = RateWindow.objects.in_org(cac).filter(key=key)
    assert list(windows.values_list("count", flat=True)) == [4]  # the refused request counts too
    auth.count_request(key, now=minute + timedelta(seconds=61))  # a new minute: counted from one, the past cleared
    assert list(windows.values_list("minute", "count")) == [(int(minute.timestamp()) // 60 + 1, 1)]


def test_a_known_key_is_checked_and_counted_in_two_statements(
    national: Organization, make_key: Callable[..., str]
) -> None:
    """The key and its organization read together, the minute's count written and read back in one statement;
    the last use is written once a minute at most."""
    secret = make_key(national, [keys.FIGURES_READ])
    check = auth.KeyAuth(keys.FIGURES_READ)
    request = RequestFactory().get("/api/v1/figures/program")
    # Called outside a request, as the request's middleware would, in a context of its own: the key it names for
    # the request's audit entries must not reach the tests after this one.
    assert contextvars.copy_context().run(check.authenticate, request, secret) is not None  # the last use written
    with CaptureQueriesContext(connection) as queries:
        key = contextvars.copy_context().run(check.authenticate, request, secret)
    assert key is not None and key.organization.pk == national.pk
    assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]
    assert RateWindow.objects.in_org(national).get(key=key).count == 2
