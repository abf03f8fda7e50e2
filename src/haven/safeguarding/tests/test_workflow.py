"""The review's workflow through its services: two approvals by two different reviewers make work ready; a change of
any file voids them; the submitter never approves their own work; every step is audited."""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.safeguarding import selectors, services
from haven.safeguarding.models import Decision, Outcome, Status, Submission

from .conftest import answer_all, image_bytes, membership_of

pytestmark = pytest.mark.django_db


def _approve(membership: Membership, submission: Submission) -> None:
    answer_all(membership, submission)
    services.decide(membership=membership, submission=submission, outcome=Outcome.APPROVE)


def test_two_approvals_by_a_safeguarding_and_a_brand_reviewer_make_it_ready(
    draft: Submission, creative: Membership, safeguarder: Membership, brand: Membership
) -> None:
    services.submit(membership=creative, submission=draft)
    _approve(safeguarder, draft)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    assert selectors.still_needed(draft) == ["second"]
    _approve(brand, draft)
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED and selectors.is_ready(draft)


def test_two_brand_reviewers_are_not_enough(
    draft: Submission, creative: Membership, brand: Membership, make_member: Callable[..., User], company: Organization
) -> None:
    second_brand = membership_of(make_member(Role.BRAND_REVIEWER, company), company)
    services.submit(membership=creative, submission=draft)
    _approve(brand, draft)
    _approve(second_brand, draft)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    assert selectors.still_needed(draft) == ["safeguarding"]


def test_one_reviewer_cannot_approve_twice(draft: Submission, creative: Membership, safeguarder: Membership) -> None:
    services.submit(membership=creative, submission=draft)
    _approve(safeguarder, draft)
    with pytest.raises(ValidationError):
        services.decide(membership=safeguarder, submission=draft, outcome=Outcome.APPROVE)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW


def test_the_submitter_cannot_review_their_own_work_even_holding_a_reviewer_role(
    draft: Submission, creative: Membership, company: Organization
) -> None:
    own_review = Membership.objects.create(user=creative.user, organization=company, role=Role.SAFEGUARDING_REVIEWER)
    services.submit(membership=creative, submission=draft)
    with pytest.raises(ValidationError):
        answer_all(own_review, draft)
    with pytest.raises(ValidationError):
        services.decide(membership=own_review, submission=draft, outcome=Outcome.APPROVE)


def test_a_creative_cannot_decide(
    draft: Submission, creative: Membership, make_member: Callable[..., User], company: Organization
) -> None:
    other_creative = membership_of(make_member(Role.CREATIVE, company), company)
    services.submit(membership=creative, submission=draft)
    with pytest.raises(PermissionDenied):
        services.decide(membership=other_creative, submission=draft, outcome=Outcome.APPROVE)


def test_approving_needs_the_whole_checklist_with_nothing_failed(
    draft: Submission, creative: Membership, safeguarder: Membership
) -> None:
    services.submit(membership=creative, submission=draft)
    with pytest.raises(ValidationError):
        services.decide(membership=safeguarder, submission=draft, outcome=Outcome.APPROVE)
    answer_all(safeguarder, draft, answer="no")
    with pytest.raises(ValidationError):
        services.decide(membership=safeguarder, submission=draft, outcome=Outcome.APPROVE)
    with pytest.raises(ValidationError):  # a failed item needs its note
        first = selectors.applicable_items(draft)[0]
        services.checklist_answer(membership=safeguarder, submission=draft, answers={first.pk: ("no", " ")})


def test_a_new_file_after_an_approval_voids_it(
    draft: Submission, creative: Membership, safeguarder: Membership, brand: Membership
) -> None:
    services.submit(membership=creative, submission=draft)
    _approve(safeguarder, draft)
    services.asset_add(membership=creative, submission=draft, file_name="second.png", data=image_bytes(format="PNG"))
    assert Decision.objects.in_org(draft.organization).get(reviewer=safeguarder.user).voided_at is not None
    _approve(brand, draft)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    assert selectors.still_needed(draft) == ["safeguarding", "second"]


def test_replacing_a_file_of_ready_work_sends_it_back_to_review(
    draft: Submission, creative: Membership, safeguarder: Membership, brand: Membership
) -> None:
    services.submit(membership=creative, submission=draft)
    _approve(safeguarder, draft)
    _approve(brand, draft)
    draft.refresh_from_db()
    assert selectors.is_ready(draft)
    old = selectors.current_assets(draft)[0]
    services.asset_add(
        membership=creative,
        submission=draft,
        file_name="hero-retouched.jpg",
        data=image_bytes(size=(801, 500)),
        replaces=old,
    )
    draft.refresh_from_db()
    assert draft.status == Status.RESUBMITTED and draft.round == 2
    assert not selectors.is_ready(draft)
    assert [a.file_name for a in selectors.current_assets(draft)] == ["hero-retouched.jpg"]
    assert (
        AuditEntry.objects.in_org(draft.organization)
        .filter(action="safeguarding.approvals_void", target_id=str(draft.pk))
        .exists()
    )


def test_changes_requested_then_resubmitted_is_a_new_round(
    draft: Submission, creative: Membership, safeguarder: Membership, brand: Membership
) -> None:
    services.submit(membership=creative, submission=draft)
    _approve(brand, draft)
    with pytest.raises(ValidationError):  # asking for changes says which
        services.decide(membership=safeguarder, submission=draft, outcome=Outcome.CHANGES)
    services.decide(membership=safeguarder, submission=draft, outcome=Outcome.CHANGES, note="Remove the papers")
    draft.refresh_from_db()
    assert draft.status == Status.CHANGES_REQUESTED
    services.submit(membership=creative, submission=draft)
    draft.refresh_from_db()
    assert (draft.status, draft.round) == (Status.RESUBMITTED, 2)
    assert selectors.still_needed(draft) == ["safeguarding", "second"]  # round 1's approval does not carry over
    _approve(safeguarder, draft)
    _approve(brand, draft)
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED


def test_rejected_work_is_final(draft: Submission, creative: Membership, safeguarder: Membership) -> None:
    services.submit(membership=creative, submission=draft)
    services.decide(membership=safeguarder, submission=draft, outcome=Outcome.REJECT, note="Props near a child")
    with pytest.raises(ValidationError):
        services.asset_add(membership=creative, submission=draft, file_name="x.jpg", data=image_bytes())
    with pytest.raises(ValidationError):
        services.submit(membership=creative, submission=draft)


def test_minors_need_their_ages(creative: Membership, company: Organization, program: object) -> None:
    with pytest.raises(ValidationError):
        services.submission_save(
            membership=creative, company=company, fields=services.SubmissionFields(title="Shoot", shows_minors=True)
        )


def test_every_step_is_audited(
    draft: Submission, creative: Membership, safeguarder: Membership, brand: Membership
) -> None:
    services.submit(membership=creative, submission=draft)
    _approve(safeguarder, draft)
    _approve(brand, draft)
    actions = set(
        AuditEntry.objects.in_org(draft.organization).filter(target_id=str(draft.pk)).values_list("action", flat=True)
    )
    assert {
        "safeguarding.submission_create",
        "safeguarding.submit",
        "safeguarding.review_start",
        "safeguarding.checklist_answer",
        "safeguarding.approve",
    } <= actions


def test_stored_images_carry_no_camera_or_location_metadata(draft: Submission) -> None:
    from PIL import Image

    asset = selectors.current_assets(draft)[0]
    with asset.file.open("rb") as stored:
        image = Image.open(stored)
        image.load()
        assert not image.getexif()
        data = b""
    with asset.file.open("rb") as stored:
        data = stored.read()
    assert b"SERIAL-123456" not in data and b"PhoneMaker" not in data
    assert {"EXIF", "GPS"} <= set(asset.metadata_stripped)
    assert asset.sha256 != asset.original_sha256
