"""An export's passphrase: made at random, kept sealed until its requester is shown it once, then erased.

The package is built in the background, when nobody is there to be shown its passphrase, so it must wait somewhere.
It waits in the export's row, AES-256-GCM encrypted under a key derived (HKDF-SHA256, its own ``info``) from the
**otp key**, the key that already seals the second factors' secrets outside the database (``HAVEN_OTP_KEY`` or
``<key dir>/otp.key``, ``accounts.second_factor``): a copy of the database alone opens no package. The export's id is
the associated data, so a sealed passphrase moved to another export does not open. Older otp keys still open what
they sealed after a rotation (a passphrase waits a few days at most: nothing to reseal). Stored as
``e1:<key id>:<nonce + ciphertext, base64url>``.
"""

import base64
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "e1"
# Crockford's base32 alphabet: no I, L, O or U, so a passphrase read aloud or copied by hand is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LENGTH = 6, 5  # 30 symbols of 5 bits: 150 bits


class Unopenable(Exception):
    """A sealed passphrase no otp key of this process opens (a missing older key, or an altered row)."""


def make() -> str:
    """A new passphrase, ``XXXXX-XXXXX-...``, from the operating system's random source."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(symbols[i : i + GROUP_LENGTH] for i in range(0, len(symbols), GROUP_LENGTH))


def _keys() -> list[str]:
    return [settings.HAVEN_OTP_KEY, *settings.HAVEN_OTP_KEYS_OLD]


def _key_id(secret: str) -> str:
    return hashlib.sha256(b"haven export key id:" + secret.encode()).hexdigest()[:6]


def _cipher(secret: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"haven export passphrase v1")
    return AESGCM(derived.derive(secret.encode()))


def _context(export_id: int) -> bytes:
    return f"haven export {export_id}".encode()


def seal(passphrase: str, *, export_id: int) -> str:
    current = settings.HAVEN_OTP_KEY
    nonce = os.urandom(12)
    body = nonce + _cipher(current).encrypt(nonce, passphrase.encode(), _context(export_id))
    return f"{PREFIX}:{_key_id(current)}:{base64.urlsafe_b64encode(body).decode()}"


def unseal(stored: str, *, export_id: int) -> str:
    prefix, kid, body = stored.split(":", 2)
    if prefix != PREFIX:
        raise Unopenable("Not a sealed passphrase.")
    data = base64.urlsafe_b64decode(body.encode())
    for secret in _keys():
        if _key_id(secret) == kid:
            try:
                return _cipher(secret).decrypt(data[:12], data[12:], _context(export_id)).decode()
            except InvalidTag as error:
                raise Unopenable("The sealed passphrase does not open: it was altered or moved.") from error
    raise Unopenable("No otp key this process knows sealed this passphrase: an older otp key is missing.")
