"""The four-eyes rule of the creative review, with no ORM: when a submission is ready to publish.

Two people approve before release (segregation of duties, reference/safeguarding.md): an approval counts only if
it is standing (not voided), was given to the very assets the submission now holds (``assets_digest``), and was
given by a reviewer who is not the submitter. Ready takes two such approvals by two different people, one of them
holding the safeguarding reviewer role (the other may be a legal or brand reviewer, or a second safeguarding
reviewer).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

SAFEGUARDING = "safeguarding_reviewer"
BRAND = "brand_reviewer"
REVIEWER_ROLES = frozenset({SAFEGUARDING, BRAND})
APPROVALS_NEEDED = 2


@dataclass(frozen=True)
class Approval:
    reviewer_id: int
    reviewer_role: str
    assets_digest: str
    voided: bool = False


def assets_digest(sha256s: Iterable[str]) -> str:
    """One digest for a set of files: the SHA-256 of their sorted SHA-256s. Adding, removing or changing any file
    changes it; the order they were uploaded in does not."""
    joined = "\n".join(sorted(sha256s))
    return hashlib.sha256(joined.encode()).hexdigest()


def counting(approvals: Iterable[Approval], *, submitter_id: int, digest: str) -> list[Approval]:
    """The approvals that count toward ready: standing, for these assets, by a reviewer who is not the submitter."""
    return [
        a
        for a in approvals
        if not a.voided
        and a.assets_digest == digest
        and a.reviewer_id != submitter_id
        and a.reviewer_role in REVIEWER_ROLES
    ]


def missing(approvals: Iterable[Approval], *, submitter_id: int, digest: str) -> list[str]:
    """What still stands between the submission and ready: "safeguarding" (no counting approval by a safeguarding
    reviewer) and/or "second" (fewer than two different people approved). Empty when ready."""
    valid = counting(approvals, submitter_id=submitter_id, digest=digest)
    needs = []
    if not any(a.reviewer_role == SAFEGUARDING for a in valid):
        needs.append("safeguarding")
    if len({a.reviewer_id for a in valid}) < APPROVALS_NEEDED:
        needs.append("second")
    return needs


def is_ready(approvals: Iterable[Approval], *, submitter_id: int, digest: str) -> bool:
    return not missing(approvals, submitter_id=submitter_id, digest=digest)
