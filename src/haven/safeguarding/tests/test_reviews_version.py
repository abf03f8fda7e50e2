"""The program dashboard's review figures are cached under the reviews version (``safeguarding.version``): after
each kind of write to a submission, the dashboard shows what counting every submission again shows, in this
process and in any other (the token is in the database, read before the submissions)."""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from haven.accounts.models import User
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import figures
from haven.safeguarding import selectors, services, version
from haven.safeguarding.models import Outcome, ReviewsVersion, Submission

from .conftest import answer_all, image_bytes

pytestmark = pytest.mark.django_db


def _second(creative: Membership, company: Organization) -> Submission:
    submission = services.submission_save(
        membership=creative,
        company=company,
        fields=services.SubmissionFields(title="Spring appeal", markets=("US",), channels=("social",)),
    )
    services.asset_add(membership=creative, submission=submission, file_name="spring.jpg", data=image_bytes())
    return submission


def test_each_write_to_a_submission_is_in_the_dashboard_s_next_view(
    draft: Submission,
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    company: Organization,
    program: Program,
    national: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(make_member(Role.PROGRAM_ADMIN, national))
    seen: list[tuple[int, int, int, int, int]] = []

    def shown_as_counted() -> None:
        shown = client.get("/reporting/", {"program": program.pk}).context["reviews"]
        cache.clear()  # counted again from every submission, as a process that never cached them would
        assert shown == figures.reviews_today(program)
        seen.append((shown.approved, shown.rejected, shown.in_review, shown.sent_back, len(shown.failed)))

    second = _second(creative, company)
    shown_as_counted()
    services.submit(membership=creative, submission=draft)
    shown_as_counted()
    answer_all(safeguarder, draft, "no")
    shown_as_counted()
    services.decide(membership=safeguarder, submission=draft, outcome=Outcome.CHANGES, note="Remove the papers")
    shown_as_counted()
    services.submit(membership=creative, submission=draft)
    shown_as_counted()
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, draft)
        services.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)
    shown_as_counted()
    services.asset_add(
        membership=creative, submission=draft, file_name="hero-2.jpg", data=image_bytes(size=(801, 500))
    )  # a new file: the approvals are voided and the ready work goes back to review
    shown_as_counted()
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, draft)
        services.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)
    services.asset_remove(membership=creative, asset=selectors.current_assets(draft)[-1])
    shown_as_counted()
    services.submit(membership=creative, submission=second)
    services.review_start(membership=safeguarder, submission=second)
    services.decide(membership=safeguarder, submission=second, outcome=Outcome.REJECT, note="Props near a child")
    shown_as_counted()
    # The figures moved at each step the test means them to (so the comparisons above compared something).
    failed = seen[2][4]
    assert failed > 0  # the items answered "no"
    assert seen == [
        (0, 0, 0, 0, 0),
        (0, 0, 1, 0, 0),
        (0, 0, 1, 0, failed),
        (0, 0, 1, 1, failed),
        (0, 0, 1, 1, failed),
        (1, 0, 0, 1, failed),
        (0, 0, 1, 1, failed),
        (0, 0, 1, 1, failed),
        (0, 1, 1, 1, failed),
    ]


def test_writes_inside_once_move_the_version_once_as_it_ends(program: Program) -> None:
    """The generator's thousands of writes in one transaction move the version once, at the end of its step."""
    before = version.current(program)
    with version.once():
        version.bump(program)
        version.bump(program)
        assert version.current(program) == before
    moved = version.current(program)
    assert moved != before
    assert ReviewsVersion.objects.in_org(program.organization_id).filter(program=program).count() == 1
    version.bump(program)  # outside, each write moves it
    assert version.current(program) not in (before, moved)
