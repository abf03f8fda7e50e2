"""Fixtures of the reporting tests: the care tests' program, CACs in two states and their enrolled clinicians,
and a funder of the program with its viewer."""

from collections.abc import Callable

import pytest

from haven.accounts.models import User
from haven.care.tests.conftest import (  # noqa: F401 - fixtures shared with the care tests
    cac_admin,
    clinician,
    cohort,
    colleague,
    other_clinician,
    program,
    program_admin,
)
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.programs.models import Program, ProgramFunder


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
