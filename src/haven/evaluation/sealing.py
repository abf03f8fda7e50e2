"""An export's passphrase: made at random, kept sealed until its requester is shown it once, then erased.

The package is built in the background, when nobody is there to be shown its passphrase, so it must wait somewhere.
It waits in the export's row, sealed as the second factors' secrets are (``accounts.second_factor``: AES-256-GCM
under the **otp key**, which never enters the database), with the export's id as the associated data, so a sealed
passphrase moved to another export, or taken for a TOTP key, does not open. Older otp keys still open what they
sealed after a rotation (a passphrase waits a few days at most: nothing to reseal).
"""

import secrets

from haven.accounts import second_factor
from haven.accounts.second_factor import Unopenable

__all__ = ["Unopenable", "make", "seal", "unseal"]

# Crockford's base32 alphabet: no I, L, O or U, so a passphrase read aloud or copied by hand is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LENGTH = 6, 5  # 30 symbols of 5 bits: 150 bits


def make() -> str:
    """A new passphrase, ``XXXXX-XXXXX-...``, from the operating system's random source."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(symbols[i : i + GROUP_LENGTH] for i in range(0, len(symbols), GROUP_LENGTH))


def _context(export_id: int) -> bytes:
    return f"haven export {export_id}".encode()


def seal(passphrase: str, *, export_id: int) -> str:
    return second_factor.seal(passphrase.encode(), context=_context(export_id))


def unseal(stored: str, *, export_id: int) -> str:
    if not second_factor.is_sealed(stored):
        raise Unopenable("Not a sealed passphrase.")
    return second_factor.open_key(stored, context=_context(export_id)).decode()
