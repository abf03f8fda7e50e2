"""The cached workforce figures always equal a fresh derivation after every kind of write."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.core import changes
from haven.core.changes import WorkforceChanged
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training import dashboard, services

from .factories import calls_of, enroll, make_cohort, nominate, today


def _check(membership: Membership, program: Program) -> None:
    cached = dashboard.workforce_summary(membership=membership, program=program)
    fresh = dashboard._workforce_figures(membership=membership, program=program)
    assert cached["funnel"] == fresh["funnel"]
    assert [row[:3] for row in cached["timeline"]] == fresh["timeline"]
    assert cached["by_state"] == fresh["by_state"]
    assert cached["by_cohort"] == fresh["by_cohort"]
    assert cached["behind"] == fresh["behind"]
    assert [r.cohort.pk for r in cached["at_risk"]] == [r.cohort.pk for r in fresh["at_risk"]]
    assert (
        dashboard.capacity_plan(membership=membership, program=program)["observed"].trained == fresh["funnel"].trained
    )


def test_every_write_refreshes_the_cached_figures(
    program: Program,
    program_admin: User,
    trainer: User,
    cac: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    membership = Membership.objects.of_user(program_admin).get()
    _check(membership, program)
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer], capacity=2)
    _check(membership, program)
    people = [
        enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort)
        for _ in range(2)
    ]
    _check(membership, program)
    waiting = nominate(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin)
    _check(membership, program)
    services.enrollment_place(actor=program_admin, enrollment=waiting, cohort=cohort)
    _check(membership, program)
    for call in calls_of(cohort)[:9]:
        services.attendance_record(actor=trainer, call=call, present_ids={people[0].pk})
        _check(membership, program)
    # The twelfth call, six months after the live training: the consultation has run its length.
    services.attendance_record(actor=trainer, call=calls_of(cohort)[11], present_ids=set())
    _check(membership, program)
    services.milestone_record(
        actor=program_admin,
        enrollment=people[0],
        kind="online_course",
        achieved_on=cohort.live_training_on - timedelta(days=3),
    )
    _check(membership, program)
    assert dashboard.workforce_summary(membership=membership, program=program)["funnel"].trained == 1
    services.enrollment_withdraw(actor=program_admin, enrollment=people[1], reason="Moved away")
    _check(membership, program)
    other = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[trainer],
        name="Other",
        starts_on=today(),
        ends_on=today() + timedelta(days=300),
        live_training_on=today(),
    )
    services.enrollment_transfer(actor=program_admin, enrollment=people[0], to_cohort=other)
    _check(membership, program)
    services.cohort_save(
        actor=program_admin,
        program=program,
        cohort=other,
        trainers=[trainer],
        name="Renamed",
        region="",
        states=[],
        modality="virtual",
        capacity=30,
        call_schedule="monthly",
        starts_on=other.starts_on,
        ends_on=other.ends_on,
        live_training_on=other.live_training_on,
        live_training_days=2,
    )
    _check(membership, program)
    by_cohort = dict(dashboard.workforce_summary(membership=membership, program=program)["by_cohort"])
    assert "Renamed" in by_cohort


def test_a_write_nobody_keeps_leaves_a_stale_figure_the_check_catches(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    """The comparison is not vacuous: with no keeper of the workforce's changes, the version does not move, the
    cached funnel misses the new nominee, and ``_check`` fails."""
    membership = Membership.objects.of_user(program_admin).get()
    make_cohort(program=program, actor=program_admin, trainers=[trainer])
    _check(membership, program)
    with changes.kept_by({WorkforceChanged: []}):
        nominate(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin)
    with pytest.raises(AssertionError):
        _check(membership, program)


def test_a_warm_workforce_page_skips_the_derivation(
    program: Program,
    program_admin: User,
    trainer: User,
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    make_cohort(program=program, actor=program_admin, trainers=[trainer])
    client = signed_in(program_admin)
    client.get("/training/")
    with django_assert_max_num_queries(12):
        assert client.get("/training/").status_code == 200
