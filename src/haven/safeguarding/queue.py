"""The reviewers' queue, read in a constant number of queries whatever its length: the company's submissions
waiting for review (oldest due first, each with its turnaround clock, what it still needs and whether the viewer
already approved it) and those decided lately."""

import dataclasses
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from haven.organizations.models import Membership

from . import rules, turnaround
from .models import UNDER_REVIEW, Asset, Decision, Outcome, Status, Submission
from .services import REVIEWER_ROLES

DECIDED_SINCE = timedelta(days=90)
FILTERS = ("all", "mine", "overdue")
# What a row of the queue shows: the submission's other fields (its brief above all) are left in the database.
ROW_FIELDS = (
    "organization_id",
    "title",
    "kind",
    "status",
    "round",
    "shows_minors",
    "minor_ages",
    "submitted_at",
    "due_at",
    "updated_at",
    "decided_at",
    "submitted_by__full_name",
    "submitted_by__email",
)


@dataclasses.dataclass(frozen=True)
class Row:
    submission: Submission
    clock: turnaround.Clock
    needs: list[str]  # rules.missing: "safeguarding", "second"
    approved_by_me: bool
    needs_me: bool  # the viewer is a reviewer who may approve it and has not


def waiting(membership: Membership, *, show: str = "all", now: datetime | None = None) -> list[Row]:
    """The submissions under review at the viewer's company, the first due first. ``show``: "all", "mine" (those
    the viewer may approve and has not) or "overdue"."""
    now = timezone.localtime(now or timezone.now())
    company = membership.organization
    found = (
        Submission.objects.in_org(company)
        .filter(status__in=UNDER_REVIEW)
        .select_related("submitted_by")
        .only(*ROW_FIELDS)
        .order_by("due_at", "pk")
    )
    if show == "overdue":
        found = found.filter(due_at__lt=now)
    submissions = list(found)
    ids = [s.pk for s in submissions]
    shas: dict[int, list[str]] = defaultdict(list)
    for submission_id, sha in (
        Asset.objects.in_org(company).filter(submission__in=ids, retired_at=None).values_list("submission_id", "sha256")
    ):
        shas[submission_id].append(sha)
    approvals: dict[tuple[int, int], list[rules.Approval]] = defaultdict(list)
    given = Decision.objects.in_org(company).filter(submission__in=ids, outcome=Outcome.APPROVE)
    for submission_id, round, reviewer_id, role, digest, voided_at in given.values_list(
        "submission_id", "round", "reviewer_id", "reviewer_role", "assets_digest", "voided_at"
    ):
        approvals[submission_id, round].append(rules.Approval(reviewer_id, role, digest, voided_at is not None))
    is_reviewer = membership.role in REVIEWER_ROLES
    rows = []
    for submission in submissions:
        digest = rules.assets_digest(shas[submission.pk])
        given = approvals[submission.pk, submission.round]
        counting = rules.counting(given, submitter_id=submission.submitted_by_id, digest=digest)
        approved_by_me = any(a.reviewer_id == membership.user_id for a in counting)
        needs_me = is_reviewer and not approved_by_me and submission.submitted_by_id != membership.user_id
        row = Row(
            submission=submission,
            clock=turnaround.clock(
                submitted=timezone.localtime(submission.submitted_at or now),
                due=timezone.localtime(submission.due_at or now),
                now=now,
            ),
            needs=rules.missing(given, submitter_id=submission.submitted_by_id, digest=digest),
            approved_by_me=approved_by_me,
            needs_me=needs_me,
        )
        if show != "mine" or needs_me:
            rows.append(row)
    return rows


def decided(membership: Membership, *, now: datetime | None = None) -> list[Submission]:
    """The company's submissions approved, rejected or sent back in the last 90 days, the latest first."""
    since = (now or timezone.now()) - DECIDED_SINCE
    return list(
        Submission.objects.in_org(membership.organization)
        .filter(
            Q(status__in=(Status.APPROVED, Status.REJECTED), decided_at__gte=since)
            | Q(status=Status.CHANGES_REQUESTED, updated_at__gte=since)
        )
        .select_related("submitted_by")
        .only(*ROW_FIELDS)
        .order_by("-updated_at", "-pk")
    )
