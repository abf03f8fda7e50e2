"""Secrets and keys live outside the database: in the environment or in key files.

A key named ``secret`` is read from ``HAVEN_SECRET_KEY`` or, failing that, from ``<key dir>/secret.key``.
The key directory is ``HAVEN_KEY_DIR`` (default ``var/keys``). Only the demo creates missing keys.
A key that can be rotated (``audit``) also has older keys, still needed to verify what they authenticated:
``HAVEN_AUDIT_KEYS_OLD`` (comma-separated) or ``<key dir>/audit-old.keys`` (one a line).
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def key_dir(base_dir: Path) -> Path:
    return Path(os.environ.get("HAVEN_KEY_DIR", base_dir / "var" / "keys"))


def load_key(name: str, *, base_dir: Path, create: bool = False) -> str:
    env_value = os.environ.get(f"HAVEN_{name.upper()}_KEY")
    if env_value:
        return env_value
    path = key_dir(base_dir) / f"{name}.key"
    if path.exists():
        return path.read_text().strip()
    if not create:
        raise ImproperlyConfigured(f"Key '{name}' is missing: set HAVEN_{name.upper()}_KEY or create {path}.")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(64)
    # Written with owner-only permissions: the key must never be readable by other local users.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def load_old_keys(name: str, *, base_dir: Path) -> list[str]:
    """The keys ``name`` had before its current one, newest first; none by default."""
    env_value = os.environ.get(f"HAVEN_{name.upper()}_KEYS_OLD")
    if env_value is not None:
        return [key.strip() for key in env_value.split(",") if key.strip()]
    path = key_dir(base_dir) / f"{name}-old.keys"
    if path.exists():
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return []
