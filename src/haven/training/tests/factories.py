"""Workforce records made through the real services, so a test starts where a user would have left things."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.training import services
from haven.training.models import Cohort, ConsultationCall, Enrollment


def today() -> date:
    return timezone.now().date()


def make_program(national: Organization) -> Program:
    start = today() - timedelta(days=730)
    return Program.objects.create(
        organization=national, name="Partnership", starts_on=start, ends_on=start + timedelta(days=1461)
    )


def make_cohort(*, program: Program, actor: User, trainers: Iterable[User], **overrides: Any) -> Cohort:
    """A cohort whose live training was 200 days ago, its twice-monthly calls all held by today."""
    starts_on = today() - timedelta(days=202)
    fields: dict[str, Any] = {
        "name": "Midwest Collaborative 1",
        "region": "Midwest",
        "states": ["OH"],
        "modality": "virtual",
        "capacity": 20,
        "call_schedule": "twice_monthly",
        "starts_on": starts_on,
        "ends_on": starts_on + timedelta(days=365),
        "live_training_on": starts_on + timedelta(days=2),
        "live_training_days": 2,
    }
    fields.update(overrides)
    return services.cohort_save(actor=actor, program=program, cohort=None, trainers=list(trainers), **fields)


def nominate(*, program: Program, cac: Organization, clinician: User, actor: User) -> Enrollment:
    return services.enrollment_nominate(
        actor=actor,
        cac=cac,
        program=program,
        clinician=clinician,
        degree="masters",
        license_state=cac.state or "OH",
        license_status="permanent",
    )


def enroll(*, program: Program, cac: Organization, clinician: User, actor: User, cohort: Cohort) -> Enrollment:
    enrollment = nominate(program=program, cac=cac, clinician=clinician, actor=actor)
    return services.enrollment_place(actor=actor, enrollment=enrollment, cohort=cohort)


def calls_of(cohort: Cohort) -> list[ConsultationCall]:
    return list(ConsultationCall.objects.in_org(cohort.organization_id).filter(cohort=cohort).order_by("number"))


def record_calls(*, cohort: Cohort, actor: User, present: dict[int, Iterable[Enrollment]]) -> None:
    """Record calls by number: ``{1: [a, b], 2: [a]}``; everyone else on the roster is absent."""
    calls = {call.number: call for call in calls_of(cohort)}
    for number, people in present.items():
        services.attendance_record(actor=actor, call=calls[number], present_ids={e.pk for e in people})
