"""What the browser tests share: Debian's chromium driven by Playwright, what a page reported, and signing in."""

from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from haven.accounts.models import User
from haven.conftest import sign_in_client

CHROMIUM = Path("/usr/bin/chromium")
# headless=True (Playwright passes --headless, which is the new headless mode in this chromium).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@contextmanager
def chromium() -> Generator[Any]:
    """A headless chromium for the duration of the block; the tests are skipped where it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed; the browser tests need Debian's chromium package")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop marked as running in this thread, so Django would refuse the ORM
    # (the test's own queries and the transactional flush) as "async context". Nothing else runs on that loop while
    # our code does, so it is safe; the override lasts only while the browser is open (microsoft/playwright-python#439).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
            )
            try:
                yield browser
            finally:
                browser.close()


class Console:
    """What the page reported: console errors and uncaught exceptions."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.page_errors: list[str] = []

    def listen(self, page: Any) -> None:
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

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
    console.listen(page)
    return context, page, console


def sign_in_as(page: Any, base_url: str, user: User) -> None:
    """Give the browser the session of a full sign-in (second factor included): the sign-in pages have their own
    tests, the others start signed in."""
    client = sign_in_client(Client(), user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
