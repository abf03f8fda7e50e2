"""The publish gate: the company's asset-management system asks, before it publishes a file, whether the file is
ready to publish (docs/gate.md).

It presents a token the company's org admin made (``Authorization: Bearer hgt_...``; only the token's SHA-256 is
kept, compared in constant time) and the file's SHA-256, as stored here or as it was uploaded. The answer says
whether the file is a current file of a submission ready to publish (``selectors.is_ready``), and of which review:
never a person's name or e-mail. A revoked token answers like an unknown one; another company's file like a file
never seen. Every question is audited with the token's id (or the member who asked), never the answer's names.
"""

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core import tokens
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role

from . import rules, selectors
from .models import Asset, Decision, GateToken, Outcome, Submission

SHA256 = re.compile(r"[0-9a-f]{64}")
UNKNOWN = "unknown"  # no file of the company has this digest
RETIRED = "retired"  # the file was replaced or removed: it is not what the review approved


def is_digest(value: str) -> bool:
    """A SHA-256 as the gate takes it: 64 lowercase hexadecimal characters, nothing else."""
    return SHA256.fullmatch(value) is not None


def token_use(secret: str) -> GateToken | None:
    """The live token presented (in any company), its last use noted; None when unknown or revoked, alike."""
    digest = tokens.digest_of(secret)
    token = (
        GateToken.objects.dangerously_unscoped()
        .select_related("organization")
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )
    if token is None or not tokens.same_digest(token.digest, secret):
        return None
    token.last_used_at = timezone.now()
    GateToken.objects.in_org(token.organization_id).filter(pk=token.pk).update(last_used_at=token.last_used_at)
    return token


def tokens_of(company: Organization | int) -> list[GateToken]:
    return list(GateToken.objects.in_org(company).select_related("created_by").order_by("revoked_at", "-created_at"))


@transaction.atomic
def token_revoke(*, membership: Membership, token: GateToken) -> GateToken:
    """The token stops answering at once (401, as an unknown one); its row stays, with its last use."""
    if membership.organization_id != token.organization_id or membership.role != Role.ORG_ADMIN:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=membership.user,
            action="safeguarding.gate_token_revoke",
            organization=token.organization_id,
            target=token,
        )
    return token


def _found(company_id: int, sha256: str) -> Asset | None:
    """The company's file with this digest (stored or as uploaded): a current one before a retired one, a ready
    submission's before another's, the newest first."""
    found = list(
        Asset.objects.in_org(company_id)
        .filter(Q(sha256=sha256) | Q(original_sha256=sha256))
        .select_related("submission")
        .order_by("-uploaded_at", "-pk")
    )
    current = [asset for asset in found if asset.retired_at is None]
    for asset in current:
        if selectors.is_ready(asset.submission):
            return asset
    return (current or found or [None])[0]


def _approvals(submission: Submission) -> list[dict[str, Any]]:
    """The approvals that count now (standing, for the files it holds now): each reviewer's role and when."""
    digest = selectors.digest_of(submission)
    decisions = Decision.objects.in_org(submission.organization_id).filter(
        submission=submission, round=submission.round, outcome=Outcome.APPROVE, voided_at=None
    )
    counting = rules.counting(
        [rules.Approval(d.reviewer_id, d.reviewer_role, d.assets_digest) for d in decisions],
        submitter_id=submission.submitted_by_id,
        digest=digest,
    )
    kept = {(a.reviewer_id, a.reviewer_role) for a in counting}
    return [
        {"role": d.reviewer_role, "at": d.decided_at.isoformat()}
        for d in decisions
        if (d.reviewer_id, d.reviewer_role) in kept
    ]


def answer(sha256: str, asset: Asset | None) -> dict[str, Any]:
    """What the gate says about a digest: approved only for a current file of a submission ready to publish."""
    checked_at = timezone.now().isoformat()
    if asset is None:
        return {"sha256": sha256, "approved": False, "status": UNKNOWN, "review": None, "checked_at": checked_at}
    submission = asset.submission
    current = asset.retired_at is None
    ready = current and selectors.is_ready(submission)
    review = {
        "id": submission.pk,
        "title": submission.title,
        "round": submission.round,
        "ready_at": submission.decided_at.isoformat() if ready and submission.decided_at else None,
        "approvals": _approvals(submission) if current else [],
    }
    return {
        "sha256": sha256,
        "approved": ready,
        "status": submission.status if current else RETIRED,
        "review": review,
        "checked_at": checked_at,
    }


def query(
    *, company: Organization | int, sha256: str, token: GateToken | None = None, actor: User | None = None
) -> dict:
    """Answer the gate for the company, audited (``safeguarding.gate_query``) with the token's id or the member."""
    company_id = company if isinstance(company, int) else company.pk
    asset = _found(company_id, sha256)
    found = answer(sha256, asset)
    audit.record(
        actor=actor,
        action="safeguarding.gate_query",
        organization=company_id,
        target=asset.submission if asset is not None else None,
        detail={"token": token.pk if token is not None else None, "approved": found["approved"]},
    )
    return found
