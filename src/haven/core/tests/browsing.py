"""What the browser tests share: Debian's chromium driven by Playwright, what a page reported, and signing in."""

from typing import Any

from django.conf import settings
from django.test import Client

from haven.accounts.models import User
from haven.conftest import sign_in_client

TIMEOUT_MS = 10_000


class Console:
    """What the page reported: console errors and uncaught exceptions."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.page_errors: list[str] = []

    def csp_violations(self) -> list[str]:
        return [text for text in self.errors if "Content Security Policy" in text]


def open_page(
    browser: Any, base_url: str, *, locale: str = "en-US", javascript: bool = True
) -> tuple[Any, Any, Console]:
    """A fresh browser context (no cookies) and its page, with what the page reports collected."""
    context = browser.new_context(base_url=base_url, locale=locale, java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console = Console()
    page.on("console", lambda message: console.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console.page_errors.append(str(error)))
    return context, page, console


def sign_in_as(page: Any, base_url: str, user: User) -> None:
    """Give the browser the session of a full sign-in (second factor included): the sign-in pages have their own
    tests, the others start signed in."""
    client = sign_in_client(Client(), user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
