"""Response headers: what a cache may keep, and which device features a page may use.

Every URL is checked for anonymous visitors and every role by ``test_authorization.test_policy``, which asserts
these headers on each answer it gets. Here: the htmx partials (the same URLs asked with ``HX-Request``) for the
roles that may open them, a missing page, and the public page for a signed-in visitor.
"""

import pytest
from django.test import Client

from haven.conftest import sign_in_client
from haven.organizations.roles import Role

from .headers import PUBLIC, assert_headers
from .test_authorization import POLICY, World, _response, world  # noqa: F401 - `world` is the fixture


@pytest.mark.parametrize("url_name", sorted(POLICY))
def test_htmx_partials_are_private_too(url_name: str, world: World) -> None:  # noqa: F811
    rule = POLICY[url_name]
    for role in sorted(rule.allowed):
        response = _response(rule, world, world.members[role], **{"HX-Request": "true"})
        where = f"{url_name} as {role} (htmx) -> {response.status_code}"
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
