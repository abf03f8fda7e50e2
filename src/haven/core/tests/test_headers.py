"""Response headers on every URL, for anonymous visitors and every role: what a cache may keep, and which device
features a page may use.

Walks the same URL patterns and ``POLICY`` table as ``test_authorization``: a new page is checked here the day it
gets its row there.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.conftest import sign_in_client
from haven.organizations.roles import Role

# The world those URLs point at, and its fixture (the parameters named `world` below take it: hence F811).
from .test_authorization import POLICY, World, world  # noqa: F401

# The only pages that say any cache may keep them: the same page for everyone, whoever asks.
PUBLIC = frozenset({"impact", "impact_fr"})
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def directives(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_headers(response: Any, *, public: bool, where: str) -> None:
    policy = response.get("Permissions-Policy", "")
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in policy, (where, policy)
    cache = directives(response)
    if public:
        assert "public" in cache and "no-store" not in cache and "private" not in cache, (where, cache)
        # A shared cache would hand a cookie set here to the next visitor: session, CSRF, language or messages.
        assert not response.cookies, (where, list(response.cookies))
    else:
        assert {"no-store", "private"} <= cache and "public" not in cache, (where, cache)


def _client(name: str, user: Any) -> Client:
    client = Client()
    if user is not None:
        POLICY[name].prepare(user)
        sign_in_client(client, user)
    return client


def _response(client: Client, name: str, world: World, user: Any, **headers: str) -> Any:  # noqa: F811
    rule = POLICY[name]
    url = reverse(name, kwargs=rule.kwargs(world))
    if rule.method == "GET":
        return client.get(url, headers=headers)
    return client.post(url, rule.data(world, user), headers=headers)


@pytest.mark.parametrize("url_name", sorted(POLICY))
def test_every_response_says_what_a_cache_may_keep(url_name: str, world: World) -> None:  # noqa: F811
    """Only the opted-in public pages may be kept by a cache; all else, signed in or not, is private and not
    stored: pages, downloads, htmx partials, redirects and refusals alike."""
    for actor, user in [("anonymous", None), *((role, world.members[role]) for role in Role.values)]:
        client = _client(url_name, user)
        for headers in ({}, {"HX-Request": "true"}):
            response = _response(client, url_name, world, user, **headers)
            where = f"{url_name} as {actor} {headers} -> {response.status_code}"
            assert_headers(response, public=url_name in PUBLIC and response.status_code == 200, where=where)


def test_a_missing_page_is_not_kept_either(client: Client, db: None) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_headers(response, public=False, where="404")


def test_a_signed_in_visitor_of_the_public_page_gets_no_cookie(world: World) -> None:  # noqa: F811
    """The session is saved on every request of a signed-in user: on a public page its cookie must not ride along."""
    client = sign_in_client(Client(), world.members[Role.PROGRAM_ADMIN])
    client.get("/")  # a page that uses the CSRF token, as a visitor would have opened before
    response = client.get("/impact/")
    assert response.status_code == 200
    assert_headers(response, public=True, where="impact, signed in")
