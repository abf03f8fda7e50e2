"""Keys rotate without downtime (decision 0048): `keys_rotate` makes a new key and keeps the old one, so what the
old key signed or authenticated keeps working while every process reloads."""

import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

import haven
from haven.accounts.models import User
from haven.audit.keyring import key_id
from haven.audit.models import AuditEntry
from haven.keys import load_key, load_old_keys
from haven.organizations.models import Organization, Role

KEY_NAMES = ("secret", "audit", "hmac", "otp")


@pytest.fixture
def key_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Path:
    """A key directory like a deployment's, with every key in a file (none from the environment)."""
    directory = tmp_path / "keys"
    monkeypatch.setenv("HAVEN_KEY_DIR", str(directory))
    for name in KEY_NAMES:
        monkeypatch.delenv(f"HAVEN_{name.upper()}_KEY", raising=False)
        monkeypatch.delenv(f"HAVEN_{name.upper()}_KEYS_OLD", raising=False)
        load_key(name, base_dir=settings.BASE_DIR, create=True)
    settings.HAVEN_AUDIT_CHECKPOINTS = directory / "audit-checkpoints.jsonl"
    return directory


def started(settings: Any) -> None:
    """What a process reads from the key directory when it starts, as the production settings do."""
    base = settings.BASE_DIR
    settings.SECRET_KEY = load_key("secret", base_dir=base)
    settings.SECRET_KEY_FALLBACKS = load_old_keys("secret", base_dir=base)
    settings.HAVEN_AUDIT_KEY = load_key("audit", base_dir=base)
    settings.HAVEN_AUDIT_KEYS_OLD = load_old_keys("audit", base_dir=base)


def rotate(key: str) -> str:
    out = StringIO()
    call_command("keys_rotate", key, stdout=out)
    return out.getvalue()


def rotations() -> list[dict[str, Any]]:
    return list(
        AuditEntry.objects.dangerously_unscoped()
        .filter(action="keys.rotate")
        .order_by("seq")
        .values_list("detail", flat=True)
    )


# --- The files ------------------------------------------------------------------------------------------------


def test_a_rotation_writes_a_new_key_and_keeps_the_old_ones_newest_first(key_files: Path, db: None) -> None:
    first = (key_files / "secret.key").read_text().strip()
    rotate("secret")
    second = (key_files / "secret.key").read_text().strip()
    rotate("secret")
    third = (key_files / "secret.key").read_text().strip()
    assert len({first, second, third}) == 3
    assert (key_files / "secret-old.keys").read_text().splitlines() == [second, first]
    assert {oct(path.stat().st_mode & 0o777) for path in key_files.iterdir()} == {"0o600"}
    assert [detail["key"] for detail in rotations()] == ["secret", "secret"]
    assert [detail["old_keys"] for detail in rotations()] == [1, 2]


def test_the_audit_log_and_the_output_never_show_a_key(key_files: Path, db: None) -> None:
    old = (key_files / "audit.key").read_text().strip()
    output = rotate("audit")
    new = (key_files / "audit.key").read_text().strip()
    written = str(list(AuditEntry.objects.dangerously_unscoped().values()))
    for key in (old, new):
        assert key not in output
        assert key not in written


def test_a_key_given_by_the_environment_is_not_rotated_here(
    key_files: Path, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    monkeypatch.setenv("HAVEN_SECRET_KEY", "set-by-the-environment")
    with pytest.raises(CommandError, match="comes from the environment"):
        rotate("secret")
    assert not (key_files / "secret-old.keys").exists()
    assert rotations() == []


def test_the_deployed_settings_read_the_older_secrets_as_fallbacks(key_files: Path, settings: Any) -> None:
    """The demo and production settings load SECRET_KEY_FALLBACKS from `secret-old.keys`."""
    before = load_key("secret", base_dir=settings.BASE_DIR)
    from haven.keys import rotate_key

    rotate_key("secret", base_dir=settings.BASE_DIR)
    src = Path(haven.__file__).resolve().parent.parent
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(src), "HAVEN_KEY_DIR": str(key_files)}
    for module in ("haven.settings.production", "haven.settings.demo"):
        loaded = subprocess.run(
            [sys.executable, "-c", f"import {module} as s; print(s.SECRET_KEY); print(*s.SECRET_KEY_FALLBACKS)"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        current, fallbacks = loaded.stdout.splitlines()
        assert current == load_key("secret", base_dir=settings.BASE_DIR) != before
        assert fallbacks.split() == [before]


# --- Django's secret ------------------------------------------------------------------------------------------


def test_a_value_signed_before_the_rotation_verifies_after_it(key_files: Path, settings: Any, db: None) -> None:
    started(settings)
    signed = signing.dumps({"invitation": 7})
    rotate("secret")
    started(settings)
    assert signing.loads(signed) == {"invitation": 7}
    assert signing.loads(signing.dumps({"invitation": 8})) == {"invitation": 8}

    settings.SECRET_KEY_FALLBACKS = []  # without the old secret, the value would no longer verify
    with pytest.raises(signing.BadSignature):
        signing.loads(signed)


def test_a_session_made_before_the_rotation_stays_signed_in(
    key_files: Path,
    settings: Any,
    cac: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    started(settings)
    clinician = make_member(Role.ORG_ADMIN, cac)
    kept, cut_off = signed_in(clinician), signed_in(clinician)
    assert kept.get("/").wsgi_request.user == clinician
    rotate("secret")
    started(settings)

    settings.SECRET_KEY_FALLBACKS = []  # without the old secret, the session's user hash no longer matches
    assert not cut_off.get("/").wsgi_request.user.is_authenticated
    started(settings)
    assert kept.get("/").wsgi_request.user == clinician


# --- The audit key --------------------------------------------------------------------------------------------


def test_audit_verify_passes_across_a_rotation(key_files: Path, settings: Any, db: None) -> None:
    started(settings)
    first = key_id(settings.HAVEN_AUDIT_KEY)
    call_command("audit_checkpoint", stdout=StringIO())
    rotate("audit")
    started(settings)
    second = key_id(settings.HAVEN_AUDIT_KEY)
    call_command("audit_checkpoint", stdout=StringIO())
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("Audit log intact")
    assert f"with key {first}" in out.getvalue()
    assert f"with key {second}" in out.getvalue()
    assert rotations() == [{"key": "audit", "old_keys": 1}]
