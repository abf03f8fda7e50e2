"""How a child is recognized without being identified.

The CAC's own case number is typed once at intake and turned into a keyed HMAC (the key lives outside the
database, ``settings.HAVEN_HMAC_KEY``), salted with the CAC, so the same number finds the same child within that
CAC and nothing else. The number itself is never stored, logged or sent back. On screen a child is a short
random display code.

The key rotates without downtime (decision 0048). An HMAC cannot be re-keyed without the number it hides, so a
rotation adds a layer: under the keys k1 (oldest) ... kn (``HAVEN_HMAC_KEYS_OLD`` reversed, then
``HAVEN_HMAC_KEY``) a case number's key is ``HMAC(kn, ... HMAC(k2, HMAC(k1, number)))``. A leaked older key alone no
longer tells which number a stored key hides; the older keys stay needed (never drop them). ``Child.case_key_id``
names the outermost key a child's key was made with ("" for the oldest); ``pseudonyms_rekey`` wraps the children
not yet under the current key, in batches, and meanwhile :func:`case_keys` gives every form a lookup must match.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.conf import settings

# No 0/O, 1/I/L: codes are read aloud and copied by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_HALF = 3

# An HMAC's hex digest never holds a colon: a case key starting with this was made unlinkable by the retention
# policy (care/retention.py), and no key, old or new, leads to it again.
UNLINKED_PREFIX = "r:"


def normalize(case_number: str) -> str:
    """Case numbers differ in case and spacing between screens and exports, not in meaning."""
    return "".join(case_number.split()).upper()


def chain() -> list[str]:
    """The pseudonym keys, oldest first: each rotation added the next one as a layer."""
    return [*reversed(getattr(settings, "HAVEN_HMAC_KEYS_OLD", [])), settings.HAVEN_HMAC_KEY]


def key_id(key: str) -> str:
    """Twelve hex digits that name a pseudonym key without revealing it."""
    return hmac.new(key.encode(), b"haven.care.case-key-id", hashlib.sha256).hexdigest()[:12]


def current_key_id() -> str:
    """The id stored with a child registered now (``Child.case_key_id``); "" while there was never a rotation."""
    keys = chain()
    return key_id(keys[-1]) if len(keys) > 1 else ""


def _layer(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def case_keys(organization_id: int, case_number: str) -> list[str]:
    """Every form of the case number's key, the current first: a child not yet re-keyed has an older one."""
    value = f"{organization_id}:{normalize(case_number)}"
    forms = []
    for key in chain():
        value = _layer(key, value.encode())
        forms.append(value)
    return forms[::-1]


def case_key(organization_id: int, case_number: str) -> str:
    """The key a child registered now gets."""
    return case_keys(organization_id, case_number)[0]


def current_forms(case_numbers: Iterable[tuple[int, str]]) -> dict[str, str]:
    """Each form of each (organization, case number)'s key, to the current form: find children by any of them."""
    return {form: forms[0] for org, number in case_numbers for forms in [case_keys(org, number)] for form in forms}


def rekeyed(stored: str, stored_key_id: str) -> str | None:
    """A stored key wrapped in the layers added since ``stored_key_id``; None for a key id not in the chain."""
    keys = chain()
    ids = ["", *(key_id(key) for key in keys[1:])]
    if stored_key_id not in ids:
        return None
    value = stored
    for key in keys[ids.index(stored_key_id) + 1 :]:
        value = _layer(key, value.encode())
    return value


def new_display_code() -> str:
    letters = [secrets.choice(CODE_ALPHABET) for _ in range(2 * CODE_HALF)]
    return "".join(letters[:CODE_HALF]) + "-" + "".join(letters[CODE_HALF:])
