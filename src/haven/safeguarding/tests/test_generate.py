"""The generator's creative review step: a year of the demo partner's submissions in every state, with files made
here and written through the services (digests, stripped metadata, approvals bound to the files are real)."""

import hashlib
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

import pytest

from haven.accounts.models import User
from haven.core.generation import GenerationContext, Scale
from haven.organizations import generate as organizations
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.programs import generate as programs
from haven.safeguarding import generate, selectors
from haven.safeguarding.models import (
    Answer,
    Asset,
    AssetText,
    ChecklistAnswer,
    Decision,
    OcrStatus,
    Outcome,
    Status,
    Submission,
)
from haven.safeguarding.tests.conftest import name_the_program

SMALL = Scale("small", cacs=3, clinicians=10, children=10, trainers=1, learners=4, staff=10)


@pytest.fixture
def generated(db: None) -> GenerationContext:
    ctx = GenerationContext(scale=SMALL, seed=5, start=date(2025, 1, 1), rng=random.Random(5))
    organizations.run(ctx)
    programs.run(ctx)
    name_the_program(ctx)  # as the learning step does before this one in the full generator
    before = ctx.rng.getstate()
    generate.run(ctx)
    assert ctx.rng.getstate() == before  # the step draws from its own generator: later steps' draws do not shift
    return ctx


def _company() -> Organization:
    return Organization.objects.get(kind=OrganizationKind.CORPORATE_PARTNER)


def test_submissions_in_every_state_with_one_voided_by_a_replaced_file(generated: GenerationContext) -> None:
    company = _company()
    submissions = Submission.objects.in_org(company)
    assert submissions.count() == generate.SMALLEST == generated.counts["creative submissions"]
    assert set(submissions.values_list("status", flat=True)) == set(Status.values)
    for submission in submissions.filter(status=Status.APPROVED):
        assert selectors.is_ready(submission)
        roles = Decision.objects.in_org(company).filter(
            submission=submission, round=submission.round, outcome=Outcome.APPROVE, voided_at=None
        )
        assert sorted(roles.values_list("reviewer_role", flat=True)) == [
            Role.BRAND_REVIEWER,
            Role.SAFEGUARDING_REVIEWER,
        ]
    voided = Decision.objects.in_org(company).filter(outcome=Outcome.APPROVE, voided_at__isnull=False)
    assert voided.exists()
    assert Asset.objects.in_org(company).filter(retired_at__isnull=False).exists()
    # Sent back and rejected work carries failed items, each with its note.
    noes = ChecklistAnswer.objects.in_org(company).filter(answer=Answer.NO)
    assert noes.exists() and not noes.filter(note="").exists()
    # Decided work was decided after it was submitted.
    for submission in submissions.exclude(decided_at=None):
        assert submission.first_submitted_at <= submission.submitted_at <= submission.decided_at


def test_the_files_are_made_here_stored_and_their_digests_real(generated: GenerationContext) -> None:
    assets = list(Asset.objects.in_org(_company()))
    assert {"image", "pdf"} <= {asset.kind for asset in assets}
    assert all(asset.pages == 2 for asset in assets if asset.kind == "pdf")
    for asset in assets:
        with asset.file.open("rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == asset.sha256
    # Outside the demo scale the words are left to the worker: nothing read, nothing made up.
    assert not AssetText.objects.in_org(_company()).exists()
    assert {asset.ocr_status for asset in assets} == {OcrStatus.PENDING}


def test_the_demo_sign_ins_of_the_creative_review(generated: GenerationContext) -> None:
    for email, _name, role in generate.DEMO_LOGINS:
        user = User.objects.get(email=email)
        assert user.check_password("haven-demo-2026")
        assert Membership.objects.of_user(user).filter(role=role, organization=_company()).exists()
        assert generated.shared["demo_user_ids"][email] == user.pk


def test_a_year_of_past_decisions_e_mails_no_submitter(
    db: None, mailoutbox: list[object], django_capture_on_commit_callbacks: Any
) -> None:
    # The decisions are recorded now but dated over the past year: nobody is told of them, at the commit or later
    # (a decision taken in the review page still e-mails its submitter: test_reminders).
    ctx = GenerationContext(scale=SMALL, seed=5, start=date(2025, 1, 1), rng=random.Random(5))
    organizations.run(ctx)
    programs.run(ctx)
    name_the_program(ctx)
    with django_capture_on_commit_callbacks(execute=True):
        generate.run(ctx)
    decided = Submission.objects.in_org(_company()).filter(
        status__in=[Status.APPROVED, Status.CHANGES_REQUESTED, Status.REJECTED]
    )
    assert decided.exists()
    assert mailoutbox == []


def _digests(files: "generate._Files") -> list[str]:
    made = [*files.images, *([files.storyboard] if files.storyboard else []), files.replacement()]
    # A PDF as made carries its time of making; the stored copy (its document information stripped) does not.
    return [prepared.sha256 if prepared.kind == "pdf" else hashlib.sha256(data).hexdigest() for data, prepared in made]


# pytest-xdist's worker runs threads of its own; the forked child only draws and encodes images (no lock of theirs).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_submissions_files_are_the_same_made_ahead_in_another_process_or_here() -> None:
    # At the bench's scales ``ahead`` makes every submission's files in another process while care runs. Each
    # submission's files come from a generator of its own (the seed and its number), so they are the same made there
    # or here, in any order, and the same seed makes the same files.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        there = pool.submit(generate._files_of_many, 7, range(3, 6)).result()
    here = [generate._files_of(7, number) for number in (5, 4, 3)][::-1]
    assert [_digests(files) for files in there] == [_digests(files) for files in here]
    assert any(files.storyboard for files in here)  # the fifth submission's storyboard among them
    assert _digests(generate._files_of(8, 3)) != _digests(here[0])
