"""How a child is recognized without being identified.

The CAC's own case number is typed once at intake and turned into a keyed HMAC (the key lives outside the
database, ``settings.HAVEN_HMAC_KEY``), salted with the CAC, so the same number finds the same child within that
CAC and nothing else. The number itself is never stored, logged or sent back. On screen a child is a short
random display code.
"""

import hashlib
import hmac
import secrets

from django.conf import settings

# No 0/O, 1/I/L: codes are read aloud and copied by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_HALF = 3


def normalize(case_number: str) -> str:
    """Case numbers differ in case and spacing between screens and exports, not in meaning."""
    return "".join(case_number.split()).upper()


def case_key(organization_id: int, case_number: str) -> str:
    message = f"{organization_id}:{normalize(case_number)}".encode()
    return hmac.new(settings.HAVEN_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()


def new_display_code() -> str:
    letters = [secrets.choice(CODE_ALPHABET) for _ in range(2 * CODE_HALF)]
    return "".join(letters[:CODE_HALF]) + "-" + "".join(letters[CODE_HALF:])
