"""Secrets and keys live outside the database: in the environment or in key files.

A key named ``secret`` is read from ``HAVEN_SECRET_KEY`` or, failing that, from ``<key dir>/secret.key``.
The key directory is ``HAVEN_KEY_DIR`` (default ``var/keys``). Only the demo creates missing keys.
Every key can be rotated, and keeps its older keys, still needed to verify or open what they protected:
``HAVEN_<NAME>_KEYS_OLD`` (comma-separated) or ``<key dir>/<name>-old.keys`` (one a line, newest first).
:func:`rotate_key` (``manage.py keys_rotate``) rotates a key kept in the key directory; a key given by the
environment is rotated where the environment is set. A running process reads its keys once, at start: it uses a
new key after a restart or reload (docs/operations.md, "Key rotation").
"""

import os
import secrets
import tempfile
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


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` at once with owner-only permissions: a reader sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp makes it 0600
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class KeyNotInFiles(Exception):
    """The key (or its older keys) comes from the environment: it is rotated where the environment is set."""


def rotate_key(name: str, *, base_dir: Path) -> int:
    """Make a new ``<name>.key``; the current key becomes the newest of the older keys. Returns how many older
    keys there are now. The older keys are written first: at every moment each key is current or old, never lost."""
    if os.environ.get(f"HAVEN_{name.upper()}_KEY") or os.environ.get(f"HAVEN_{name.upper()}_KEYS_OLD") is not None:
        raise KeyNotInFiles(
            f"Key '{name}' comes from the environment (HAVEN_{name.upper()}_KEY or HAVEN_{name.upper()}_KEYS_OLD): "
            "rotate it where the environment is set."
        )
    path = key_dir(base_dir) / f"{name}.key"
    if not path.exists():
        raise ImproperlyConfigured(f"Key '{name}' is missing: there is no {path} to rotate.")
    older = [path.read_text().strip(), *load_old_keys(name, base_dir=base_dir)]
    _write_private(key_dir(base_dir) / f"{name}-old.keys", "".join(f"{key}\n" for key in older))
    _write_private(path, secrets.token_urlsafe(64) + "\n")
    return len(older)


def load_old_keys(name: str, *, base_dir: Path) -> list[str]:
    """The keys ``name`` had before its current one, newest first; none by default."""
    env_value = os.environ.get(f"HAVEN_{name.upper()}_KEYS_OLD")
    if env_value is not None:
        return [key.strip() for key in env_value.split(",") if key.strip()]
    path = key_dir(base_dir) / f"{name}-old.keys"
    if path.exists():
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return []
