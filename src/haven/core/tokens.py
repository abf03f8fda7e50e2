"""Bearer secrets shown once and kept only as their SHA-256: API keys, SCIM tokens, publish-gate tokens.

A secret is ``<marker><43 random URL-safe characters>`` (256 bits): its marker tells a secret scanner what it is,
its SHA-256 is what the database keeps, and its first characters (``shown``) let a person tell keys apart. With
that much entropy a plain SHA-256 is enough (no slow hash needed); lookups go by digest, compared in constant
time once found."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class NewSecret:
    secret: str  # shown once, never stored
    digest: str
    shown: str  # the marker and six characters, stored to tell keys apart


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(marker: str) -> NewSecret:
    secret = marker + secrets.token_urlsafe(32)
    return NewSecret(secret=secret, digest=digest_of(secret), shown=secret[: len(marker) + 6])


def same_digest(stored: str, secret: str) -> bool:
    return hmac.compare_digest(stored, digest_of(secret))
