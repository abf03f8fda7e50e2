"""Every read of the creative review. A submission, its files and the words read in them are seen by the company's
creative team (what they submitted and their team's work), its reviewers and its org admin; by nobody outside the
company. Figures leave only as counts, through ``reporting``."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

from . import rules
from .models import Answer, Asset, ChecklistAnswer, ChecklistItem, Decision, Outcome, Status, Submission

# Who sees a company's submissions: its creative team, its reviewers, its org admin.
SEES_SUBMISSIONS = frozenset({Role.CREATIVE, Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER, Role.ORG_ADMIN})


def can_see_submissions(membership: Membership) -> bool:
    return membership.role in SEES_SUBMISSIONS and membership.organization.kind == "corporate_partner"


def submissions_of(company: Organization | int) -> QuerySet[Submission]:
    return Submission.objects.in_org(company)


def access_submission(*, membership: Membership, submission_id: int) -> Submission:
    """A submission of the member's company, for a role that sees them; 404 otherwise, as for none."""
    if not can_see_submissions(membership):
        raise Http404
    return get_object_or_404(
        Submission.objects.in_org(membership.organization_id).select_related("submitted_by", "checklist"),
        pk=submission_id,
    )


def access_asset(*, membership: Membership, asset_id: int) -> Asset:
    """A file of a submission the member may see; 404 otherwise."""
    if not can_see_submissions(membership):
        raise Http404
    return get_object_or_404(Asset.objects.in_org(membership.organization_id).select_related("submission"), pk=asset_id)


def ready_submissions(company: Organization | int) -> QuerySet[Submission]:
    """The company's submissions approved (ready to publish), newest first: what a campaign may name as its review."""
    return Submission.objects.in_org(company).filter(status=Status.APPROVED).order_by("-decided_at")


def program_of(company: Organization) -> Program:
    """The program the company's work counts toward: the one its learning settings name. A company that names
    none is refused rather than given a program it never chose."""
    from haven.learning.selectors import company_program

    program = company_program(company)
    if program is None:
        raise ValidationError(
            _(
                "Your company has not named the program its work counts toward: its learning admin names it in "
                "the learning settings."
            )
        )
    return program


def current_assets(submission: Submission) -> list[Asset]:
    return list(Asset.objects.in_org(submission.organization_id).filter(submission=submission, retired_at=None))


def digest_of(submission: Submission) -> str:
    shas = Asset.objects.in_org(submission.organization_id).filter(submission=submission, retired_at=None)
    return rules.assets_digest(shas.values_list("sha256", flat=True))


def _approvals(submission: Submission) -> list[rules.Approval]:
    decisions = Decision.objects.in_org(submission.organization_id).filter(
        submission=submission, round=submission.round, outcome=Outcome.APPROVE
    )
    return [
        rules.Approval(
            reviewer_id=d.reviewer_id,
            reviewer_role=d.reviewer_role,
            assets_digest=d.assets_digest,
            voided=bool(d.voided_at),
        )
        for d in decisions
    ]


def still_needed(submission: Submission, *, digest: str | None = None) -> list[str]:
    """What the submission still needs to be ready (``rules.missing``). ``digest``: ``digest_of(submission)``, where
    the caller has just read it."""
    if digest is None:
        digest = digest_of(submission)
    return rules.missing(_approvals(submission), submitter_id=submission.submitted_by_id, digest=digest)


def is_ready(submission: Submission) -> bool:
    """Ready to publish: approved, and the rule still holds for the assets it holds now."""
    return submission.status == Status.APPROVED and not still_needed(submission)


def applicable_items(submission: Submission) -> list[ChecklistItem]:
    items = ChecklistItem.objects.filter(version=submission.checklist_id)
    if not submission.shows_minors:
        items = items.filter(minors_only=False)
    return list(items)


def checklist_gaps(submission: Submission) -> tuple[list[str], list[str]]:
    """(codes not yet answered this round, codes answered "no") among the items that apply."""
    answered = dict(
        ChecklistAnswer.objects.in_org(submission.organization_id)
        .filter(submission=submission, round=submission.round)
        .values_list("item_id", "answer")
    )
    return gaps(applicable_items(submission), answered)


def gaps(items: list[ChecklistItem], answered: dict[int, str]) -> tuple[list[str], list[str]]:
    """``checklist_gaps`` of items already read and their answers by item id."""
    unanswered = [item.code for item in items if item.pk not in answered]
    failed = [item.code for item in items if answered.get(item.pk) == Answer.NO]
    return unanswered, failed


# Part A (submissions and their files) --------------------------------------------------------------------------------


def asset_read(*, membership: Membership, asset_id: int, thumbnail: bool = False) -> Asset:
    """A file (or its thumbnail) the member may see, 404 otherwise. Reading the file itself is audited, each time:
    who looked at which file of which submission. A thumbnail read is not: it is what every sight of the submission
    page loads (one per file, each view), the page's own read is what says who saw it, and a thumbnail at 480 px is
    a preview of a file whose every full read is recorded."""
    asset = access_asset(membership=membership, asset_id=asset_id)
    if thumbnail and not asset.thumbnail:
        raise Http404
    if not thumbnail:
        from haven.audit import services as audit

        audit.record(
            actor=membership.user,
            action="safeguarding.asset_view",
            organization=membership.organization_id,
            target=asset,
            detail={"submission": asset.submission_id},
        )
    return asset


def submission_assets(submission: Submission) -> list[Asset]:
    """The current files of a submission as its page lists them: a video with its contact sheet beside it (the
    sheet is not listed again on its own)."""
    assets = list(
        Asset.objects.in_org(submission.organization_id)
        .filter(submission=submission, retired_at=None)
        .select_related("contact_sheet")
    )
    sheets = {asset.contact_sheet_id for asset in assets if asset.contact_sheet_id}
    return [asset for asset in assets if asset.pk not in sheets]


def decisions_of(submission: Submission) -> QuerySet[Decision]:
    """Every decision on the submission, every round, oldest first (a voided approval shown as such)."""
    return Decision.objects.in_org(submission.organization_id).filter(submission=submission).select_related("reviewer")


def is_contact_sheet(asset: Asset) -> bool:
    """Whether the asset is a video's contact sheet (it goes with its video: replaced or removed with it)."""
    return Asset.objects.in_org(asset.organization_id).filter(contact_sheet=asset).exists()
