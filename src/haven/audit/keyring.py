"""The audit keys: the current one authenticates new entries and checkpoints; older ones still verify theirs.

Each key is known by a short id derived from it, stored beside what it authenticated, so that verification finds
the right key after a rotation. The keys come from settings (``HAVEN_AUDIT_KEY``, ``HAVEN_AUDIT_KEYS_OLD``), loaded
by ``haven.keys`` from the environment or the key directory, never from the database.
"""

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def key_id(key: str) -> str:
    """Twelve hex digits that name a key without revealing it (never the unkeyed rule's id, which is not hex)."""
    return hmac.new(key.encode(), b"haven.audit.key-id", hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


@lru_cache(maxsize=4)
def _keyring(current: str, old: tuple[str, ...]) -> Keyring:
    keys = {key_id(key): key.encode() for key in old}
    keys[key_id(current)] = current.encode()
    return Keyring(current_id=key_id(current), keys=keys)


def keyring() -> Keyring:
    current = getattr(settings, "HAVEN_AUDIT_KEY", "")
    if not current:
        raise ImproperlyConfigured("HAVEN_AUDIT_KEY is not set: the audit log cannot authenticate its entries.")
    return _keyring(current, tuple(getattr(settings, "HAVEN_AUDIT_KEYS_OLD", ())))
