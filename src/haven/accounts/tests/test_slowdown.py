"""Failures on one account from many addresses slow that account down, without locking its owner out.

Beside the (e-mail, address) lockout, the failures on one e-mail from every address are counted together. Past
``HAVEN_SLOWDOWN_FAILURES`` of them, each attempt from a browser the account never signed in from must wait a delay
that doubles with each further failure; the answer reads like the lockout, and an e-mail with no account gets the
same answers. A browser where the owner signed in before is not slowed.
"""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from haven.accounts.models import AccountSlowdown, KnownBrowser, User
from haven.accounts.tests.factories import PASSWORD
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role

SIGN_IN = "/account/sign-in/"
NOT_RIGHT = "The e-mail or password is not right."
TOO_MANY = re.compile(r"Too many failed attempts\. Wait (\d+) minutes? and try again\.")
EMAIL = "tess.trainer@example.org"


@pytest.fixture
def trainer(provider: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.TRAINER, provider, email=EMAIL)


def attempt(email: str, password: str, address: str, client: Client | None = None) -> Any:
    return (client or Client()).post(SIGN_IN, {"email": email, "password": password}, REMOTE_ADDR=address)


def answer(response: Any) -> str:
    """What the page tells the person: wrong, told to wait (and how long), or signed in."""
    if response.status_code == 302:
        return "signed in"
    page = response.content.decode()
    if NOT_RIGHT in page:
        return "not right"
    waiting = TOO_MANY.search(page)
    assert waiting is not None, page
    return f"wait {waiting.group(1)}"


def attack(email: str, times: int, first: int = 1) -> list[str]:
    """Wrong passwords for ``email``, each from another address."""
    return [answer(attempt(email, "not the password", f"198.51.100.{n}")) for n in range(first, first + times)]


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def wait_out_the_delay() -> None:
    AccountSlowdown.objects.update(slowed_until=timezone.now() - timedelta(seconds=1))


def test_fifty_failures_from_fifty_addresses_slow_the_next_attempt(trainer: User) -> None:
    limit = settings.HAVEN_SLOWDOWN_FAILURES
    answers = attack(EMAIL, 50)
    # The first failures are answered as usual; one attempt then goes through and the rest must wait.
    assert answers[:limit] == ["not right"] * limit
    assert answers[limit] == "not right"
    assert set(answers[limit + 1 :]) == {"wait 1"}

    # The 51st, from yet another address, is slowed even with the right password: it is not even checked.
    client = Client()
    assert answer(attempt(EMAIL, PASSWORD, "198.51.100.51", client)) == "wait 1"
    assert signed_in_user_id(client) is None

    [slowdown] = AuditEntry.objects.dangerously_unscoped().filter(action="auth.slowdown")
    assert (slowdown.actor_id, slowdown.organization_id, slowdown.detail) == (trainer.pk, None, {"failures": limit})
    assert EMAIL not in str(slowdown.detail) and "tess" not in str(AccountSlowdown.objects.get().key)


def test_the_delay_doubles_with_each_further_failure(trainer: User) -> None:
    limit = settings.HAVEN_SLOWDOWN_FAILURES
    attack(EMAIL, limit + 1)
    waits = []
    for n in range(3):
        waits.append(answer(attempt(EMAIL, "still not", f"192.0.2.{n}")))
        wait_out_the_delay()
        assert answer(attempt(EMAIL, "still not", f"192.0.2.{n + 100}")) == "not right"
    assert waits == ["wait 1", "wait 2", "wait 4"]


def test_the_owners_known_browser_still_signs_in(trainer: User) -> None:
    browser = Client()
    assert answer(attempt(EMAIL, PASSWORD, "203.0.113.9", browser)) == "signed in"
    assert settings.HAVEN_KNOWN_BROWSER_COOKIE in browser.cookies
    browser.post("/account/sign-out/")

    attack(EMAIL, 50)
    assert answer(attempt(EMAIL, PASSWORD, "198.51.100.200")) == "wait 1"
    # The same browser, even from another address (a phone on the move), is not slowed.
    assert answer(attempt(EMAIL, PASSWORD, "192.0.2.77", browser)) == "signed in"
    assert signed_in_user_id(browser) == trainer.pk


def test_a_known_browser_of_another_account_does_not_help(
    trainer: User, provider: Organization, make_member: Callable[..., User]
) -> None:
    other = make_member(Role.TRAINER, provider, email="other@example.org")
    browser = Client()
    assert answer(attempt(other.email, PASSWORD, "203.0.113.9", browser)) == "signed in"
    browser.post("/account/sign-out/")
    attack(EMAIL, 50)
    assert answer(attempt(EMAIL, PASSWORD, "203.0.113.9", browser)) == "wait 1"


def test_a_forged_or_forgotten_browser_cookie_does_not_help(trainer: User) -> None:
    browser = Client()
    attempt(EMAIL, PASSWORD, "203.0.113.9", browser)
    browser.post("/account/sign-out/")
    attack(EMAIL, 50)
    KnownBrowser.objects.all().delete()
    assert answer(attempt(EMAIL, PASSWORD, "203.0.113.9", browser)) == "wait 1"
    forged = Client()
    forged.cookies[settings.HAVEN_KNOWN_BROWSER_COOKIE] = "made-up"
    assert answer(attempt(EMAIL, PASSWORD, "203.0.113.9", forged)) == "wait 1"


def test_an_unknown_account_gets_the_same_answers(trainer: User) -> None:
    known = attack(EMAIL, 50) + [answer(attempt(EMAIL, PASSWORD, "198.51.100.51"))]
    unknown = attack("nobody@example.org", 50) + [answer(attempt("nobody@example.org", PASSWORD, "198.51.100.51"))]
    assert known == unknown
    assert "wait 1" in known


def test_failures_long_ago_do_not_count(trainer: User) -> None:
    limit = settings.HAVEN_SLOWDOWN_FAILURES
    attack(EMAIL, limit - 1)
    AccountSlowdown.objects.update(
        last_failure_at=timezone.now() - timedelta(seconds=settings.HAVEN_SLOWDOWN_WINDOW_SECONDS + 1)
    )
    # The count starts again: the limit is reached by as many failures again, not by the next one.
    assert attack(EMAIL, limit - 1, first=100) == ["not right"] * (limit - 1)
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="auth.slowdown").exists()
    attack(EMAIL, 2, first=200)
    assert AuditEntry.objects.dangerously_unscoped().filter(action="auth.slowdown").count() == 1


def test_the_known_browser_cookie_lasts_and_is_out_of_reach_of_scripts(trainer: User) -> None:
    browser = Client()
    attempt(EMAIL, PASSWORD, "203.0.113.9", browser)
    cookie = browser.cookies[settings.HAVEN_KNOWN_BROWSER_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.HAVEN_KNOWN_BROWSER_SECONDS
    # Only a hash of the token is stored.
    [known] = KnownBrowser.objects.all()
    assert known.user_id == trainer.pk
    assert cookie.value not in known.token_hash
