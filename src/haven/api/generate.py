"""The demo's API key: one key (``care:write``) of the demo CAC, so a visitor can try the API at once.

Its secret is derived from the generator's seed, so ``manage.py demo_logins`` (``make demo``) can print it again
from the same seed: the database keeps only its digest, like any key's. Generated data is for the demo, tests and
benchmarks only (``HAVEN_ALLOW_DEMO_DATA``): a deployment's keys are made on the API keys page, at random.
"""

import base64
import hashlib
import hmac
from datetime import timedelta

from django.utils import timezone

from haven.audit.models import AuditEntry
from haven.core import tokens
from haven.core.generation import GenerationContext
from haven.organizations.models import Membership
from haven.organizations.roles import Role

from . import keys
from .models import ApiKey

DEMO_ADMIN = "cac.admin@haven.example"  # the demo CAC is this sign-in's (organizations.generate.DEMO_LOGINS)
LABEL = "Demo case system"
LIFETIME = timedelta(days=365)


def demo_secret(seed: int) -> str:
    """The demo key of the data generated with ``seed``: the same 256-bit form as a random key."""
    derived = hmac.new(b"haven demo API key", str(seed).encode(), hashlib.sha256).digest()
    return keys.MARKER + base64.urlsafe_b64encode(derived).decode().rstrip("=")


def run(ctx: GenerationContext) -> None:
    admin = (
        Membership.objects.dangerously_unscoped()
        .select_related("organization", "user")
        .filter(user__email=DEMO_ADMIN, role=Role.ORG_ADMIN, is_active=True)
        .first()
    )
    if admin is None:  # a scale without the demo's sign-ins
        return
    secret = demo_secret(ctx.seed)
    ApiKey.objects.create(
        organization=admin.organization,
        label=LABEL,
        digest=tokens.digest_of(secret),
        prefix=secret[: len(keys.MARKER) + 6],
        scopes=[keys.CARE_WRITE],
        expires_at=timezone.now() + LIFETIME,
        created_by=admin.user,
    )
    ctx.count("API keys", 1)


def generated_seed() -> int | None:
    """The seed the database's data was generated with (the generator audits it), None when it was not."""
    entry = AuditEntry.objects.dangerously_unscoped().filter(action="data.generate").order_by("-seq").first()
    return None if entry is None else entry.detail.get("seed")


def demo_key() -> tuple[ApiKey, str] | None:
    """The demo key and its secret, recomputed from the seed; None when there is none, or it was revoked or
    expired."""
    seed = generated_seed()
    if seed is None:
        return None
    secret = demo_secret(seed)
    key = (
        ApiKey.objects.dangerously_unscoped()
        .select_related("organization")
        .filter(digest=tokens.digest_of(secret), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return None if key is None else (key, secret)
