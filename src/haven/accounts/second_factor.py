"""Second-factor secrets at rest (issue 17, item 6): an authenticator's TOTP key is kept encrypted, a recovery code
kept only as a keyed hash, both under the **otp key** (``HAVEN_OTP_KEY`` or ``<key dir>/otp.key``), which never
enters the database. A copy of the database alone gives neither a code generator nor a usable recovery code.

- A TOTP key is stored as ``s1:<key id>:<nonce + AES-256-GCM ciphertext, base64url>`` (74 characters, within
  django-otp's 80). The key id names which otp key sealed it, so an older key (``HAVEN_OTP_KEYS_OLD``,
  ``otp-old.keys``) still opens it after a rotation; ``manage.py otp_reseal`` moves every key under the current one.
  A key stored in clear (40 hex characters, before this) still opens: ``otp_reseal`` and the migration seal them.
- A recovery code is stored as the first 16 hex characters of HMAC-SHA256(otp key, code): 64 bits under a key the
  database does not hold, for a code of 40 random bits that is used once. A code is looked for under every otp key
  (a code cannot be hashed again under a new key: it is not kept).
"""

import base64
import hashlib
import hmac
import os
from binascii import unhexlify

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "s1:"
CODE_LENGTH = 16  # django-otp's StaticToken.token holds 16 characters
_CONTEXT = b"haven totp key"


class Unopenable(Exception):
    """A sealed key that no otp key this process knows opens (a missing older key, or a tampered row)."""


def _keys() -> list[str]:
    """The current otp key first, then the older ones."""
    return [settings.HAVEN_OTP_KEY, *settings.HAVEN_OTP_KEYS_OLD]


def key_id(secret: str) -> str:
    return hashlib.sha256(b"haven otp key id:" + secret.encode()).hexdigest()[:6]


def _cipher(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"haven otp key:" + secret.encode()).digest())


def seal(raw: bytes, *, context: bytes = _CONTEXT) -> str:
    """``raw`` (a TOTP key's bytes) encrypted under the current otp key, as stored. Another secret the otp key keeps
    (an evaluation export's passphrase) gives its own ``context``, the associated data: it opens only with it."""
    current = settings.HAVEN_OTP_KEY
    nonce = os.urandom(12)
    body = base64.urlsafe_b64encode(nonce + _cipher(current).encrypt(nonce, raw, context)).decode()
    return f"{PREFIX}{key_id(current)}:{body}"


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def is_current(stored: str) -> bool:
    return stored.startswith(f"{PREFIX}{key_id(settings.HAVEN_OTP_KEY)}:")


def open_key(stored: str, *, context: bytes = _CONTEXT) -> bytes:
    """The TOTP key's bytes from what is stored (sealed, or in clear from before); ``context`` as it was sealed."""
    if not is_sealed(stored):
        return unhexlify(stored.encode())
    _prefix, kid, body = stored.split(":", 2)
    data = base64.urlsafe_b64decode(body.encode())
    for secret in _keys():
        if key_id(secret) == kid:
            try:
                return _cipher(secret).decrypt(data[:12], data[12:], context)
            except InvalidTag as error:
                raise Unopenable("The sealed key does not open under its otp key: it was altered.") from error
    raise Unopenable("No otp key this process knows sealed this key: an older otp key is missing.")


def code_forms(code: str) -> list[str]:
    """What a recovery code is stored as, under the current otp key first, then each older key."""
    return [hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()[:CODE_LENGTH] for secret in _keys()]
