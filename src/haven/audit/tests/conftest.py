"""Fixtures of the audit log's tests: where checkpoints go, and a database writer who lifts the triggers."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from haven.audit import triggers


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path: Path, settings: Any) -> Path:
    """Each test writes its checkpoints to a file of its own, as a deployment's key directory would hold them."""
    path = tmp_path / "keys" / "audit-checkpoints.jsonl"
    settings.HAVEN_AUDIT_CHECKPOINTS = path
    return path


@pytest.fixture
def triggers_lifted(db: None) -> Iterator[None]:
    """Lets a test tamper with the log as someone with direct database access could."""
    triggers.dangerously_remove(connection)
    try:
        yield
    finally:
        triggers.install(connection)
