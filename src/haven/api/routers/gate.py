"""The creative review's publish gate (scope ``publish-gate:read``): given a file's SHA-256, is it approved, and
under which review.

The answer and its audit are ``safeguarding.gate.query``'s, the same as the older token route
(``/safeguarding/gate/<sha256>/``, docs/gate.md): the key's company is the one asked about, so another company's
file answers exactly like a file never uploaded (``"status": "unknown"``). The audit entry names the key
(``via``) in place of a gate token.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema

from haven.api import keys
from haven.api.auth import KeyAuth
from haven.api.schemas import problems
from haven.safeguarding import gate

router = Router(tags=["publish gate"])


class ApprovalOut(Schema):
    role: str = Field(..., description="The reviewer's role (safeguarding_reviewer, brand_reviewer, legal_reviewer).")
    at: str = Field(..., description="When the approval was given (ISO 8601).")


class ReviewOut(Schema):
    id: int = Field(..., description="The submission's id in Haven.")
    title: str = Field(..., description="The submission's title.")
    round: int = Field(..., description="The submission's review round.")
    ready_at: str | None = Field(None, description="When it became ready to publish (ISO 8601); null unless approved.")
    approvals: list[ApprovalOut] = Field(
        ..., description="The approvals that count now (never a name); empty for a retired file."
    )


class GateOut(Schema):
    sha256: str = Field(..., description="The digest asked about.")
    approved: bool = Field(
        ..., description="True only for a current file of a submission ready to publish: publish only then."
    )
    status: str = Field(
        ...,
        description=(
            "The submission's status (draft, submitted, in_review, changes_requested, resubmitted, approved, "
            "rejected); retired for a file replaced or removed; unknown when the company has no such file."
        ),
    )
    review: ReviewOut | None = Field(None, description="The review the file belongs to; null when unknown.")
    checked_at: str = Field(..., description="When Haven answered (ISO 8601).")


@router.get(
    "/{sha256}",
    response={200: GateOut, **problems()},
    auth=KeyAuth(keys.GATE_READ),
    url_name="publish_gate",
    summary="Whether a file passed the creative safeguarding review",
    description=(
        "Ask before publishing a file: give its SHA-256 (64 lowercase hexadecimal characters; the file as uploaded "
        "or as Haven stored it). `approved` is true only for a current file of a submission ready to publish (two "
        "approvals by two different people, one a safeguarding reviewer, neither the submitter). A key answers for "
        "its own company's files only: another company's file answers like one never uploaded. Every question is "
        "audited. This replaces the gate-token route /safeguarding/gate/<sha256>/, which keeps working."
    ),
)
def publish_gate(
    request: HttpRequest,
    sha256: str = Path(..., pattern=r"^[0-9a-f]{64}$", description="The file's SHA-256: 64 lowercase hex digits."),
) -> Any:
    return gate.query(company=request.auth.organization_id, sha256=sha256)  # type: ignore[attr-defined]
