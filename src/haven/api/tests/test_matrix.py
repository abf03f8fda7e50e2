"""The API's authorization matrix: every operation of ``/api/v1/`` has a row in ``API_POLICY``, naming the scope its
key needs; then, for every row: no key answers 401, a live key of an organization holding every scope but that one
answers 403, and a key holding it gets in (no 401, 403 or 500).

A row's ``call`` builds the request an organization holding the scope would make (its URL arguments and body) in
the matrix's world. Each part of the API adds its rows here, as the pages add theirs to ``POLICY``."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from haven.api import keys
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory, OrganizationFactory

PUBLIC = "public"  # the description and its documentation: no key, nothing of any organization


@dataclass(frozen=True)
class Op:
    method: str
    scope: str | None  # None: any live key (the key's own description)
    args: Callable[["ApiWorld"], list[Any]] = lambda world: []
    body: Callable[["ApiWorld"], Any] | None = None


@dataclass
class ApiWorld:
    """One organization of each kind, in one national office's tree, and the secrets of keys made for them."""

    organizations: dict[str, Organization]
    make_key: Callable[..., str]
    made: dict[Any, Any] = field(default_factory=dict)

    def org_holding(self, scope: str) -> Organization:
        for kind, scopes in keys.SCOPES_BY_KIND.items():
            if scope in scopes:
                return self.organizations[kind]
        raise AssertionError(f"no kind of organization holds {scope}")

    def key(self, organization: Organization, scopes: list[str]) -> str:
        found = self.made.get((organization.pk, tuple(scopes)))
        if found is None:
            found = self.made[organization.pk, tuple(scopes)] = self.make_key(organization, scopes)
        return found


API_POLICY: dict[str, Op | str] = {
    "api:api-root": PUBLIC,
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:key": Op("GET", None),
    "api:webhook_deliveries": Op("GET", None),
    "api:figures_funder": Op("GET", keys.FIGURES_READ),
    "api:figures_program": Op("GET", keys.FIGURES_READ),
    "api:publish_gate": Op("GET", keys.GATE_READ, args=lambda world: ["0" * 64]),
    "api:care_batch": Op("POST", keys.CARE_WRITE, body=lambda world: {"sessions": []}),
    "api:training_completions": Op("POST", keys.TRAINING_WRITE, body=lambda world: {"program": 0, "completions": []}),
    "api:training_attendance": Op("POST", keys.TRAINING_WRITE, body=lambda world: {"records": []}),
}


def _api_url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _api_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and namespace.startswith("api:"):
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_operation_has_a_row() -> None:
    names = _api_url_names()
    assert not sorted(names - API_POLICY.keys()), "Add each new API operation to API_POLICY"
    assert not sorted(API_POLICY.keys() - names), "API_POLICY names operations that do not exist"


@pytest.fixture
def api_world(db: None, make_key: Callable[..., str]) -> ApiWorld:
    national = NationalOfficeFactory()
    organizations = {
        OrganizationKind.NATIONAL_OFFICE: national,
        OrganizationKind.CAC: CacFactory(parent__parent=national),
        OrganizationKind.FUNDER: OrganizationFactory(kind=OrganizationKind.FUNDER),
        OrganizationKind.TRAINING_PROVIDER: OrganizationFactory(kind=OrganizationKind.TRAINING_PROVIDER),
        OrganizationKind.CORPORATE_PARTNER: OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER),
    }
    organizations[OrganizationKind.STATE_CHAPTER] = organizations[OrganizationKind.CAC].parent
    return ApiWorld(organizations=organizations, make_key=make_key)


def _call(op: Op, name: str, world: ApiWorld, secret: str | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    client = Client(**headers)
    url = reverse(name, args=op.args(world))
    if op.method == "GET":
        return client.get(url)
    body = op.body(world) if op.body else {}
    return client.generic(op.method, url, json.dumps(body), content_type="application/json")


KEYED = sorted(name for name, op in API_POLICY.items() if isinstance(op, Op))
SCOPED = sorted(name for name, op in API_POLICY.items() if isinstance(op, Op) and op.scope)


@pytest.mark.parametrize("name", KEYED)
def test_no_key_answers_401(name: str, api_world: ApiWorld) -> None:
    op = API_POLICY[name]
    assert isinstance(op, Op)
    response = _call(op, name, api_world, None)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("name", SCOPED)
def test_a_key_without_the_scope_answers_403(name: str, api_world: ApiWorld) -> None:
    op = API_POLICY[name]
    assert isinstance(op, Op) and op.scope
    for kind, held in keys.SCOPES_BY_KIND.items():
        others = sorted(held - {op.scope})
        if not others:
            continue
        organization = api_world.organizations[kind]
        response = _call(op, name, api_world, api_world.key(organization, others))
        assert response.status_code == 403, f"{kind} with {others} on {name}: {response.status_code}"


@pytest.mark.parametrize("name", KEYED)
def test_a_key_with_the_scope_gets_in(name: str, api_world: ApiWorld) -> None:
    op = API_POLICY[name]
    assert isinstance(op, Op)
    scope = op.scope or keys.CARE_WRITE
    organization = api_world.org_holding(scope)
    response = _call(op, name, api_world, api_world.key(organization, [scope]))
    assert response.status_code not in (401, 403) and response.status_code < 500, response.content[:300]


@pytest.mark.parametrize("name", sorted(name for name, op in API_POLICY.items() if op == PUBLIC))
def test_the_description_and_its_documentation_need_no_key(name: str, db: None) -> None:
    response = Client().get(reverse(name))
    assert response.status_code in (200, 404)  # the root has nothing of its own to show


def test_every_schema_of_the_api_has_its_own_name() -> None:
    """The description names each schema by its class: two parts defining a ``BatchOut`` each would share one entry
    in the description, and one of their operations would be described with the other's answer."""
    import inspect
    import pkgutil
    from importlib import import_module

    from ninja import Schema

    import haven.api
    import haven.api.routers

    modules = [import_module(f"haven.api.{name}") for _f, name, _p in pkgutil.iter_modules(haven.api.__path__)]
    modules += [
        import_module(f"haven.api.routers.{n}") for _f, n, _p in pkgutil.iter_modules(haven.api.routers.__path__)
    ]
    defined: dict[str, set[str]] = {}
    for module in modules:
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Schema) and value.__module__ == module.__name__:
                defined.setdefault(name, set()).add(module.__name__)
    assert not {name: where for name, where in defined.items() if len(where) > 1}
