"""The whole OpenAPI description, fuzzed by schemathesis: every operation it holds when the tests run, whichever part
of the API added it, is called with generated requests, three ways.

1. With a live key of the organization the operation is meant for, holding every scope its kind may hold: no
   answer is a 5xx, and every answer conforms to the description (status, content type, headers, body schema).
2. With a key of ANOTHER organization of the same kind, after this organization made the same call: no answer
   names this organization, and no record this organization sent through the API changes hands or content.
3. With a key lacking the operation's scope (403), an expired key and a revoked key (401), each answer as the
   description documents it.

Which scope an operation needs is read from the operation itself (its ``KeyAuth``), not from a list kept here. The
examples are bounded and derandomized, so a run takes about a minute and fails the same way twice.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.test.client import ClientHandler
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from haven.accounts.models import User
from haven.api import keys
from haven.api.auth import KeyAuth
from haven.api.main import api
from haven.api.models import ApiKey, SenderRecord
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory, OrganizationFactory
from haven.training.tests.factories import make_program


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Haven as a WSGI application for schemathesis, through Django's test handler: every middleware runs, and
    the request stays inside the test's transaction (the handler does not close the connection after it)."""
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
    return [response.content]


def _load(**config: Any) -> Any:
    """The description exactly as /api/v1/openapi.json serves it, read when the tests are collected."""
    loaded = schemathesis.openapi.from_dict(
        json.loads(json.dumps(api.get_openapi_schema())), config=SchemathesisConfig.from_dict(config)
    )
    loaded.app = wsgi_app
    return loaded


# Valid and invalid requests alike for the key that may call the operation; valid ones only where the point is
# who calls (an invalid request would be refused for its own sake, before or after the key is looked at).
schema = _load()
valid_requests = _load(generation={"mode": "positive"})

FUZZ = hypothesis_settings(
    max_examples=4, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
ANY_KEY = "any live key"


def _scopes_by_operation_id(resolver: URLResolver | None = None, namespace: str = "") -> dict[str, str]:
    """Each operation id of the API -> the scope its ``KeyAuth`` asks for (``ANY_KEY`` for ``KeyAuth(None)``).

    Read from the operations behind the API's URLs: django-ninja's view for a path closes over its ``PathView``,
    whose operations carry their authentication."""
    found: dict[str, str] = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= _scopes_by_operation_id(pattern, inner)
        elif isinstance(pattern, URLPattern) and namespace.startswith("api:"):
            for cell in getattr(pattern.callback, "__closure__", None) or ():
                for operation in getattr(cell.cell_contents, "operations", ()):
                    auths = [auth for auth in operation.auth_callbacks if isinstance(auth, KeyAuth)]
                    if auths:
                        operation_id = operation.operation_id or api.get_openapi_operation_id(operation)
                        found[operation_id] = auths[0].scope or ANY_KEY
    return found


def scope_of(case: Any) -> str:
    operation_id = case.operation.definition.raw.get("operationId")
    scopes = _scopes_by_operation_id()
    assert operation_id in scopes, f"{case.operation.label}: no KeyAuth found (every operation takes a key)"
    return scopes[operation_id]


@dataclass
class World:
    """One organization of each kind (the national office running a program), with names no other test uses, so
    an answer naming one is easy to find."""

    organizations: dict[str, Organization]
    make_key: Callable[..., str]
    made: dict[int, str] = field(default_factory=dict)

    def holding(self, scope: str) -> Organization:
        if scope == ANY_KEY:
            return self.organizations[OrganizationKind.CAC]
        kind = next(kind for kind, scopes in keys.SCOPES_BY_KIND.items() if scope in scopes)
        return self.organizations[kind]

    def full_key(self, scope: str) -> str:
        organization = self.holding(scope)
        if organization.pk not in self.made:  # one key per organization for all of a test's examples
            self.made[organization.pk] = self.make_key(organization, keys.scopes_for(organization))
        return self.made[organization.pk]

    def names(self) -> list[str]:
        return [organization.name for organization in self.organizations.values()]


def _world(tag: str, make_key: Callable[..., str]) -> World:
    national = NationalOfficeFactory(name=f"{tag} National Office")
    make_program(national)  # the program a CAC's care and a trainer's calls are recorded in
    cac = CacFactory(name=f"{tag} County CAC", parent__parent=national, parent__name=f"{tag} Chapter")
    organizations = {
        OrganizationKind.NATIONAL_OFFICE: national,
        OrganizationKind.STATE_CHAPTER: cac.parent,
        OrganizationKind.CAC: cac,
        OrganizationKind.FUNDER: OrganizationFactory(name=f"{tag} Foundation", kind=OrganizationKind.FUNDER),
        OrganizationKind.TRAINING_PROVIDER: OrganizationFactory(
            name=f"{tag} Training Network", kind=OrganizationKind.TRAINING_PROVIDER
        ),
        OrganizationKind.CORPORATE_PARTNER: OrganizationFactory(
            name=f"{tag} Apparel", kind=OrganizationKind.CORPORATE_PARTNER
        ),
    }
    return World(organizations=organizations, make_key=make_key)


@pytest.fixture
def ours(db: None, make_key: Callable[..., str], settings: Any) -> World:
    settings.HAVEN_API_RATE_PER_MINUTE = 100_000  # the fuzzing's burst is not what the rate limit is about
    return _world("Quillfeather", make_key)


@pytest.fixture
def theirs(db: None, make_key: Callable[..., str]) -> World:
    return _world("Marrowdale", make_key)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@schema.parametrize()
@FUZZ
def test_a_key_holding_the_scope_gets_conforming_answers(case: Any, ours: World) -> None:
    case.call_and_validate(headers=bearer(ours.full_key(scope_of(case))))


def _sent_records(organization: Organization) -> list[tuple[str, str, int]]:
    rows = SenderRecord.objects.in_org(organization).values_list("kind", "sender_id", "object_id")
    return sorted(rows)


@valid_requests.parametrize()
@FUZZ
def test_a_key_of_another_organization_sees_and_changes_nothing_of_this_one(
    case: Any, ours: World, theirs: World
) -> None:
    scope = scope_of(case)
    case.call(headers=bearer(ours.full_key(scope)))  # this organization's records, where the call writes some
    organization = ours.holding(scope)
    sent_before = _sent_records(organization)
    response = case.call_and_validate(headers=bearer(theirs.full_key(scope)))
    text = response.content.decode(errors="replace")
    assert not [name for name in ours.names() if name in text], text[:500]
    assert _sent_records(organization) == sent_before


CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _admin_of(organization: Organization, make_member: Callable[..., User]) -> Membership:
    role = Role.PROGRAM_ADMIN if organization.kind == OrganizationKind.NATIONAL_OFFICE else Role.ORG_ADMIN
    return Membership.objects.in_org(organization).get(user=make_member(role, organization))


def _key_row(organization: Organization, secret: str) -> ApiKey:
    return ApiKey.objects.in_org(organization).get(prefix=secret[: len(keys.MARKER) + 6])


@valid_requests.parametrize()
@FUZZ
def test_a_key_lacking_the_scope_expired_or_revoked_is_refused(
    case: Any, ours: World, make_member: Callable[..., User]
) -> None:
    scope = scope_of(case)
    if scope != ANY_KEY:
        lacking = next(
            (organization, sorted(held - {scope}))
            for kind, held in keys.SCOPES_BY_KIND.items()
            if held - {scope} and (organization := ours.organizations[kind])
        )
        response = case.call(headers=bearer(ours.make_key(*lacking)))
        assert response.status_code == 403, response.content[:300]
        case.validate_response(response, checks=CONFORMANCE)

    organization = ours.holding(scope)
    expired = ours.make_key(organization, keys.scopes_for(organization))
    ApiKey.objects.in_org(organization).filter(pk=_key_row(organization, expired).pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    revoked = ours.make_key(organization, keys.scopes_for(organization))
    keys.key_revoke(membership=_admin_of(organization, make_member), key=_key_row(organization, revoked))
    for secret in (expired, revoked):
        response = case.call(headers=bearer(secret))
        assert response.status_code == 401, response.content[:300]
        case.validate_response(response, checks=CONFORMANCE)
