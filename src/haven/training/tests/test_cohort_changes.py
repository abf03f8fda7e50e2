"""Changing a cohort after it was planned: dates move its calls, more seats take people off the waitlist."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training import services
from haven.training.closed_days import Calendar
from haven.training.models import Enrollment, Placement
from haven.training.schedule import consultation_dates
from haven.training.tests.factories import calls_of, enroll, make_cohort, nominate, record_calls, today


def _fields(cohort, **changes):
    names = (
        "name",
        "region",
        "states",
        "modality",
        "capacity",
        "call_schedule",
        "starts_on",
        "ends_on",
        "live_training_on",
        "live_training_days",
    )
    return {**{name: getattr(cohort, name) for name in names}, **changes}


def test_new_dates_move_the_calls_until_attendance_is_taken(
    program: Program, program_admin: User, trainer: User
) -> None:
    start = today() + timedelta(days=30)
    cohort = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[trainer],
        starts_on=start,
        ends_on=start + timedelta(days=365),
        live_training_on=start,
    )
    later = start + timedelta(days=14)
    services.cohort_save(
        actor=program_admin,
        program=program,
        cohort=cohort,
        trainers=[trainer],
        **_fields(cohort, live_training_on=later, call_schedule="monthly"),
    )
    assert [c.held_on for c in calls_of(cohort)] == consultation_dates(
        live_training_on=later, schedule="monthly", calendar=Calendar()
    )


def test_dates_stay_once_attendance_was_taken(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    enrollment = enroll(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort
    )
    record_calls(cohort=cohort, actor=trainer, present={1: [enrollment]})
    with pytest.raises(ValidationError, match="Attendance was already recorded"):
        services.cohort_save(
            actor=program_admin,
            program=program,
            cohort=cohort,
            trainers=[trainer],
            **_fields(cohort, live_training_on=cohort.live_training_on + timedelta(days=1)),
        )


def test_more_seats_take_people_off_the_waitlist(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer], capacity=1)
    enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort)
    waiting = nominate(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin)
    services.enrollment_place(actor=program_admin, enrollment=waiting, cohort=cohort)
    assert Enrollment.objects.in_org(cac).get(pk=waiting.pk).placement == Placement.WAITLISTED
    services.cohort_save(
        actor=program_admin, program=program, cohort=cohort, trainers=[trainer], **_fields(cohort, capacity=2)
    )
    assert Enrollment.objects.in_org(cac).get(pk=waiting.pk).placement == Placement.ENROLLED


def test_the_waitlist_is_served_in_the_order_people_joined_it(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer], capacity=1)
    seated = enroll(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort
    )
    nominated_first = nominate(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin
    )
    nominated_second = nominate(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin
    )
    services.enrollment_place(actor=program_admin, enrollment=nominated_second, cohort=cohort)
    services.enrollment_place(actor=program_admin, enrollment=nominated_first, cohort=cohort)
    services.enrollment_withdraw(actor=program_admin, enrollment=seated, reason="Left the CAC")
    placements = dict(Enrollment.objects.in_org(cac).values_list("pk", "placement"))
    assert placements[nominated_second.pk] == Placement.ENROLLED
    assert placements[nominated_first.pk] == Placement.WAITLISTED


def test_a_move_keeps_the_live_training_already_attended(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    first = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    later_start = today() + timedelta(days=40)
    second = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[trainer],
        name="Midwest Collaborative 2",
        starts_on=later_start,
        ends_on=later_start + timedelta(days=365),
        live_training_on=later_start,
    )
    moved = enroll(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=first
    )
    services.enrollment_transfer(actor=program_admin, enrollment=moved, to_cohort=second)
    moved = Enrollment.objects.in_org(cac).get(pk=moved.pk)
    assert (moved.cohort, moved.live_training_on) == (second, first.live_training_on)


def test_a_move_before_the_live_training_takes_the_new_cohorts(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    starts = [today() + timedelta(days=days) for days in (30, 60)]
    first, second = (
        make_cohort(
            program=program,
            actor=program_admin,
            trainers=[trainer],
            name=f"Cohort {i}",
            starts_on=start,
            ends_on=start + timedelta(days=365),
            live_training_on=start,
        )
        for i, start in enumerate(starts)
    )
    moved = enroll(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=first
    )
    services.enrollment_transfer(actor=program_admin, enrollment=moved, to_cohort=second)
    assert Enrollment.objects.in_org(cac).get(pk=moved.pk).live_training_on == second.live_training_on
