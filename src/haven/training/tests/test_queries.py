"""The cohort page and the workforce page cost a fixed number of queries, however many clinicians they show."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.models import Attendance, Cohort, Placement

from .factories import enroll, make_cohort, record_calls
from .pages import table

BOUND = 20


def _fill(
    *,
    cohort: Cohort,
    size: int,
    cacs: list[Organization],
    program: Program,
    actor: User,
    trainer: User,
    make_member: Callable[..., User],
) -> None:
    """``size`` enrolled clinicians from alternating CACs, each with marks at the first three calls."""
    people = [
        enroll(
            program=program,
            cac=cacs[i % len(cacs)],
            clinician=make_member(Role.CLINICIAN, cacs[i % len(cacs)], full_name=f"{cohort.name} trainee {i:02d}"),
            actor=actor,
            cohort=cohort,
        )
        for i in range(size)
    ]
    assert all(p.placement == Placement.ENROLLED for p in people)
    record_calls(cohort=cohort, actor=trainer, present={1: people, 2: people[::2], 3: people[1:]})


def _count(client: Client, url: str, assert_max: Any) -> tuple[int, Any]:
    with assert_max(BOUND) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_cohort_page_does_not_grow_with_the_roster(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    program_admin: User,
    trainer: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    small = make_cohort(program=program, actor=program_admin, trainers=[trainer], name="Small", capacity=30)
    large = make_cohort(program=program, actor=program_admin, trainers=[trainer], name="Large", capacity=30)
    for cohort, size in ((small, 5), (large, 25)):
        _fill(
            cohort=cohort,
            size=size,
            cacs=[cac, other_cac],
            program=program,
            actor=program_admin,
            trainer=trainer,
            make_member=make_member,
        )
    assert Attendance.objects.in_orgs([cac, other_cac]).count() == 3 * 30

    for user in (program_admin, trainer):
        client = signed_in(user)
        client.get(f"/training/cohorts/{small.pk}/")  # warm the session and membership caches alike
        n_small, response_small = _count(client, f"/training/cohorts/{small.pk}/", django_assert_max_num_queries)
        n_large, response_large = _count(client, f"/training/cohorts/{large.pk}/", django_assert_max_num_queries)
        assert len(table(response_small, labelledby="roster-heading")) == 1 + 5
        assert len(table(response_large, labelledby="roster-heading")) == 1 + 25
        assert n_small == n_large


@pytest.mark.parametrize("pages", [("/training/",), ("/training/cohorts/",)])
def test_workforce_pages_do_not_grow_with_the_cohorts(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    program_admin: User,
    trainer: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Any,
    pages: tuple[str],
) -> None:
    client = signed_in(program_admin)
    counts = []
    for total in (2, 6):
        existing = Cohort.objects.in_org(program.organization_id).count()
        for index in range(existing, total):
            cohort = make_cohort(
                program=program, actor=program_admin, trainers=[trainer], name=f"Cohort {index}", capacity=5
            )
            _fill(
                cohort=cohort,
                size=3,
                cacs=[cac, other_cac],
                program=program,
                actor=program_admin,
                trainer=trainer,
                make_member=make_member,
            )
        client.get(pages[0])
        n, response = _count(client, pages[0], django_assert_max_num_queries)
        counts.append(n)
        if pages[0] == "/training/":
            assert response.context["funnel"].placed == 3 * total
            assert len(table(response, labelledby="cohort-heading")) == 1 + total
        else:
            assert len(table(response)) == 1 + total
    assert counts[0] == counts[1]
