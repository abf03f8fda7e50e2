"""Fixtures for the browser tests in this folder."""

from collections.abc import Generator

import pytest
from pytest_django.live_server_helper import LiveServer


@pytest.fixture(scope="session")
def live_server(django_db_setup: None) -> Generator[LiveServer]:
    """pytest-django's live server, always on the loopback address 127.0.0.1 and a free port.

    Overrides pytest-django's fixture (which defaults to ``localhost``, or ``--liveserver``) so the browser tests
    never listen beyond loopback; port 0 lets each xdist worker have its own server.
    """
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()
