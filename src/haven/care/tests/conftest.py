"""Fixtures of the care tests: a program, a CAC with two enrolled clinicians and its admin, and another CAC."""

from collections.abc import Callable

import pytest

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
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


@pytest.fixture
def clinician(
    program: Program, cohort: Cohort, cac: Organization, program_admin: User, make_member: Callable[..., User]
) -> User:
    """A clinician of the CAC, enrolled in the program."""
    user = make_member(Role.CLINICIAN, cac, full_name="Dana Clinician")
    enroll(program=program, cac=cac, clinician=user, actor=program_admin, cohort=cohort)
    return user


@pytest.fixture
def colleague(
    program: Program, cohort: Cohort, cac: Organization, program_admin: User, make_member: Callable[..., User]
) -> User:
    """Another enrolled clinician of the same CAC."""
    user = make_member(Role.CLINICIAN, cac, full_name="Kim Colleague")
    enroll(program=program, cac=cac, clinician=user, actor=program_admin, cohort=cohort)
    return user


@pytest.fixture
def cac_admin(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.ORG_ADMIN, cac, full_name="Casey Director")


@pytest.fixture
def other_clinician(
    program: Program, cohort: Cohort, other_cac: Organization, program_admin: User, make_member: Callable[..., User]
) -> User:
    """An enrolled clinician of another CAC."""
    user = make_member(Role.CLINICIAN, other_cac, full_name="Olive Elsewhere")
    enroll(program=program, cac=other_cac, clinician=user, actor=program_admin, cohort=cohort)
    return user
