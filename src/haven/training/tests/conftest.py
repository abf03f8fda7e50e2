"""Fixtures of the workforce tests: a program of the national office, its admin, trainers and CAC staff."""

from collections.abc import Callable

import pytest

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

from .factories import make_program


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


@pytest.fixture
def program_admin(national: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Planner")


@pytest.fixture
def trainer(provider: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.TRAINER, provider, full_name="Tess Trainer")


@pytest.fixture
def cac_admin(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.ORG_ADMIN, cac, full_name="Casey Director")


@pytest.fixture
def other_cac_admin(other_cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.ORG_ADMIN, other_cac, full_name="Olive Director")
