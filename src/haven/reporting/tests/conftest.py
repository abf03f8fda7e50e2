"""Fixtures of the reporting tests: a program that began two years ago, a cohort, enrolled clinicians at the Ohio
CAC and at the Texas one, and a funder of the program with its viewer."""

from collections.abc import Callable

import pytest

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.programs.models import Program, ProgramFunder
from haven.training.models import Cohort
from haven.training.tests.factories import enroll, make_cohort, make_program


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


@pytest.fixture
def program_admin(national: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Planner")


@pytest.fixture
def cohort(program: Program, program_admin: User, provider: Organization, make_member: Callable[..., User]) -> Cohort:
    trainer = make_member(Role.TRAINER, provider, full_name="Tess Trainer")
    return make_cohort(program=program, actor=program_admin, trainers=[trainer])


def _enrolled(name: str, cac: Organization, program: Program, cohort: Cohort, actor: User, make: Callable) -> User:
    user: User = make(Role.CLINICIAN, cac, full_name=name)
    enroll(program=program, cac=cac, clinician=user, actor=actor, cohort=cohort)
    return user


@pytest.fixture
def clinician(
    program: Program, cohort: Cohort, cac: Organization, program_admin: User, make_member: Callable[..., User]
) -> User:
    """A clinician of the Ohio CAC, placed in the cohort."""
    return _enrolled("Dana Clinician", cac, program, cohort, program_admin, make_member)


@pytest.fixture
def colleague(
    program: Program, cohort: Cohort, cac: Organization, program_admin: User, make_member: Callable[..., User]
) -> User:
    """Another clinician of the Ohio CAC, placed in the cohort."""
    return _enrolled("Kim Colleague", cac, program, cohort, program_admin, make_member)


@pytest.fixture
def other_clinician(
    program: Program, cohort: Cohort, other_cac: Organization, program_admin: User, make_member: Callable[..., User]
) -> User:
    """A clinician of the Texas CAC, placed in the cohort."""
    return _enrolled("Olive Elsewhere", other_cac, program, cohort, program_admin, make_member)


@pytest.fixture
def funded(program: Program, national: Organization, funder: Organization) -> Program:
    """The program, paid for by the funder."""
    ProgramFunder.objects.create(organization=national, program=program, funder=funder)
    return program


@pytest.fixture
def funder_viewer(funder: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.FUNDER_VIEWER, funder, full_name="Fran Funder")


@pytest.fixture
def other_funder_viewer(make_member: Callable[..., User]) -> User:
    """A viewer of a funder that pays for another program, not this one."""
    other = OrganizationFactory(name="Another Foundation", kind=OrganizationKind.FUNDER)
    return make_member(Role.FUNDER_VIEWER, other, full_name="Otto Otherfund")
