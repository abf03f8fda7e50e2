"""The company's stored secrets (its OpenID client secret, its learning record store secret), encrypted at rest.

Each is sealed with Fernet (AES-128-CBC and HMAC-SHA256) under a key derived by HKDF from Haven's HMAC key (read by
``haven.keys`` from the environment or the key directory, never from the database): a copy of the database alone
does not give the secrets away. A sealed value starts with ``fernet:``; the page shows only whether one is set.
After a rotation of the HMAC key (decision 0048) a value sealed under an older key still opens (the older keys stay).
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "fernet:"
_INFO = b"haven.learning.stored-secrets.v1"


class SecretUnreadable(Exception):
    """A stored secret that the current key cannot open (the key changed, or the value was altered)."""


@functools.cache
def _fernet(root_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(root_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(value: str) -> str:
    """The stored form of a secret; an empty secret stays empty (nothing set)."""
    if not value:
        return ""
    return PREFIX + _fernet(settings.HAVEN_HMAC_KEY).encrypt(value.encode()).decode()


def unseal(stored: str) -> str:
    """The secret of a stored value; raises :class:`SecretUnreadable` for a value not sealed by :func:`seal`."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("the stored secret is not sealed")
    try:
        keys = [settings.HAVEN_HMAC_KEY, *getattr(settings, "HAVEN_HMAC_KEYS_OLD", [])]
        return MultiFernet([_fernet(key) for key in keys]).decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("the stored secret cannot be opened with the current key") from error
