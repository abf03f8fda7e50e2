"""Fixtures for the browser tests in this folder."""

from collections.abc import Generator
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from .browsing import Console, chromium, open_page


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
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Any, live_server: Any) -> Generator[tuple[Any, Console]]:
    context, page, console = open_page(browser, live_server.url)
    try:
        yield page, console
    finally:
        context.close()
