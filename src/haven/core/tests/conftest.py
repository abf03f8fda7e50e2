"""Fixtures for the browser tests in this folder."""

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from .browsing import Console, open_page

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


@pytest.fixture(scope="session")
def live_server(django_db_setup: None) -> Generator[LiveServer]:
    """pytest-django's live server, always on the loopback address 127.0.0.1 and a free port.

    Overrides pytest-django's fixture (which defaults to ``localhost``, or ``--liveserver``) so the browser tests
    never listen beyond loopback; port 0 lets each xdist worker have its own server.
    """
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Generator[Any]:
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


@pytest.fixture
def page(browser: Any, live_server: Any) -> Generator[tuple[Any, Console]]:
    context, page, console = open_page(browser, live_server.url)
    try:
        yield page, console
    finally:
        context.close()
