"""API keys: made by an organization's admin, shown once, kept hashed, with scopes and an expiry; revoked at once.

A scope is what a key may do, and only within its own organization. Each kind of organization may hold the scopes
that make sense for it (``SCOPES_BY_KIND``): a CAC pushes care records, a training provider or the national office
pushes completions and attendance, a funder or the national office reads figures, a company asks its publish gate.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.audit import services as audit
from haven.core import tokens
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role

from .models import ApiKey

MARKER = "hvn_"
CARE_WRITE = "care:write"
TRAINING_WRITE = "training:write"
FIGURES_READ = "figures:read"
GATE_READ = "publish-gate:read"
SCOPES = {
    CARE_WRITE: gettext_lazy("Push children, episodes, sessions and measures of this CAC"),
    TRAINING_WRITE: gettext_lazy("Push course completions and consultation call attendance"),
    FIGURES_READ: gettext_lazy("Read the figures this organization sees"),
    GATE_READ: gettext_lazy("Ask the publish gate whether a file was approved"),
}
SCOPES_BY_KIND = {
    OrganizationKind.CAC: frozenset({CARE_WRITE}),
    OrganizationKind.TRAINING_PROVIDER: frozenset({TRAINING_WRITE}),
    OrganizationKind.NATIONAL_OFFICE: frozenset({TRAINING_WRITE, FIGURES_READ}),
    OrganizationKind.FUNDER: frozenset({FIGURES_READ}),
    OrganizationKind.CORPORATE_PARTNER: frozenset({GATE_READ}),
    OrganizationKind.STATE_CHAPTER: frozenset(),
}
LONGEST = timedelta(days=366)  # a key lives a year at most: it is made again, not kept forever
DEFAULT_LIFETIME = timedelta(days=90)
KEY_ADMINS = frozenset({Role.ORG_ADMIN, Role.PROGRAM_ADMIN})


def scopes_for(organization: Organization) -> list[str]:
    """The scopes a key of this organization may hold, in ``SCOPES``' order."""
    allowed = SCOPES_BY_KIND.get(OrganizationKind(organization.kind), frozenset())
    return [scope for scope in SCOPES if scope in allowed]


def check_admin(membership: Membership) -> None:
    if not membership.is_active or membership.role not in KEY_ADMINS:
        raise PermissionDenied


@transaction.atomic
def key_create(
    *, membership: Membership, label: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key of the member's organization; the key itself is returned once, to be shown once."""
    check_admin(membership)
    organization = membership.organization
    label = label.strip()
    if not label:
        raise ValidationError({"label": _("Give the key a label: the system that will use it.")})
    allowed = set(scopes_for(organization))
    chosen = sorted(set(scopes))
    if not chosen:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    if not set(chosen) <= allowed:
        raise ValidationError(
            {
                "scopes": _("This organization cannot hold these scopes: %(scopes)s.")
                % {"scopes": ", ".join(sorted(set(chosen) - allowed))}
            }
        )
    now = timezone.now()
    expires_at = expires_at or now + DEFAULT_LIFETIME
    if expires_at <= now or expires_at > now + LONGEST:
        raise ValidationError({"expires_at": _("A key expires in the future, within a year.")})
    made = tokens.new_secret(MARKER)
    key = ApiKey.objects.create(
        organization=organization,
        label=label,
        digest=made.digest,
        prefix=made.shown,
        scopes=chosen,
        expires_at=expires_at,
        created_by=membership.user,
    )
    audit.record(
        actor=membership.user,
        action="api.key_create",
        organization=organization,
        target=key,
        detail={"scopes": chosen},
    )
    return key, made.secret


@transaction.atomic
def key_revoke(*, membership: Membership, key: ApiKey) -> ApiKey:
    """The key stops working at once (401, like an unknown key); its row stays, with its last use."""
    check_admin(membership)
    if key.organization_id != membership.organization_id:
        raise PermissionDenied
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = membership.user
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(actor=membership.user, action="api.key_revoke", organization=key.organization_id, target=key)
    return key


def key_use(secret: str, *, now: datetime | None = None) -> ApiKey | None:
    """The live key presented (looked up by digest, in any organization), its last use noted; None when unknown,
    revoked or expired, alike. The last use is bookkeeping, not audited: what the key does is."""
    if not secret.startswith(MARKER):
        return None
    now = now or timezone.now()
    key = (
        ApiKey.objects.dangerously_unscoped()
        .select_related("organization")
        .filter(digest=tokens.digest_of(secret), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if key is None or not tokens.same_digest(key.digest, secret) or not key.organization.is_active:
        return None
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.in_org(key.organization_id).filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def keys_of(organization: Organization | int) -> list[ApiKey]:
    return list(ApiKey.objects.in_org(organization).select_related("created_by").order_by("revoked_at", "-created_at"))


def key_of(organization: Organization | int, key_id: int) -> ApiKey:
    """One key of the organization, 404 otherwise (``access_*`` style)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(ApiKey.objects.in_org(organization), pk=key_id)
