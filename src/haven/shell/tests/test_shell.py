from collections.abc import Callable

from django.test import Client

from haven.accounts.models import User
from haven.organizations.roles import Role


def test_anonymous_home_goes_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/account/sign-in/?next=/"


def test_navigation_follows_the_role(role_members: dict[str, User], signed_in: Callable[[User], Client]) -> None:
    admin_page = signed_in(role_members[Role.PROGRAM_ADMIN]).get("/").content.decode()
    clinician_page = signed_in(role_members[Role.CLINICIAN]).get("/").content.decode()
    assert 'href="/audit/"' in admin_page
    assert 'href="/organizations/"' in admin_page
    assert 'href="/audit/"' not in clinician_page
    assert 'href="/organizations/"' not in clinician_page


def test_every_page_carries_the_security_headers(client: Client, db: None) -> None:
    response = client.get("/account/sign-in/")
    csp = response["Content-Security-Policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()


def test_pages_speak_french_when_asked(client: Client, db: None) -> None:
    client.post("/i18n/setlang/", {"language": "fr", "next": "/account/sign-in/"})
    page = client.get("/account/sign-in/").content.decode()
    assert '<html lang="fr">' in page
    assert "Se connecter" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/account/sign-in/"})
    assert "Sign in to Haven" in client.get("/account/sign-in/").content.decode()
