"""The demo answers a missing page and an error with Haven's own pages, never Django's technical pages (which list
every URL pattern, settings and a traceback): it runs with DEBUG off, and says it is the demo with HAVEN_DEMO."""

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from haven import urls as haven_urls
from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import Role


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# This module is the URLconf of the tests below: Haven's URLs and one view that fails.
urlpatterns = [path("boom/", boom), *haven_urls.urlpatterns]


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The demo settings module, read with its keys from the environment so no key file is made."""
    monkeypatch.setenv("HAVEN_SECRET_KEY", "demo-settings-read-by-a-test")
    monkeypatch.setenv("HAVEN_HMAC_KEY", "demo-settings-read-by-a-test")
    return importlib.import_module("haven.settings.demo")


def test_the_demo_runs_with_debug_off(demo: ModuleType) -> None:
    assert demo.DEBUG is False
    assert demo.HAVEN_DEMO is True
    assert demo.HAVEN_ALLOW_DEMO_DATA is True


def test_a_missing_page_of_the_demo_is_havens_own(demo: ModuleType, db: None) -> None:
    with override_settings(DEBUG=demo.DEBUG, HAVEN_DEMO=demo.HAVEN_DEMO, ROOT_URLCONF=__name__):
        response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert [template.name for template in response.templates][:1] == ["404.html"]
    page = response.content.decode()
    assert "There is nothing here, or it is not yours to see." in page
    assert "URLconf" not in page and "boom/" not in page and "account/" not in page


def test_an_error_of_the_demo_is_havens_own(demo: ModuleType, db: None) -> None:
    with override_settings(DEBUG=demo.DEBUG, HAVEN_DEMO=demo.HAVEN_DEMO, ROOT_URLCONF=__name__):
        response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "a bug" not in page and "Traceback" not in page and "RuntimeError" not in page


@pytest.mark.parametrize(("is_demo", "shown"), [(True, True), (False, False)])
def test_the_invitation_link_is_shown_in_the_demo_only(
    is_demo: bool,
    shown: bool,
    cac: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(make_member(Role.ORG_ADMIN, cac))
    with override_settings(DEBUG=False, HAVEN_DEMO=is_demo):
        response = client.post(
            f"/organizations/{cac.pk}/invitations/",
            {"email": "new.person@example.org", "role": Role.CLINICIAN},
            follow=True,
        )
    assert ("/account/invitations/" in response.content.decode()) is shown
