"""Fixtures of the money pillar: a program with a euro fund from its funder, the program admins who run it, a
chapter and a CAC to give grants to, and euro reference rates on every working day."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from haven.accounts.models import User
from haven.core.money import Money
from haven.grants import services
from haven.grants.models import EuroRate, Fund
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program, ProgramFunder
from haven.training.tests.factories import make_program

USD_PER_EUR = Decimal("1.0850")


@pytest.fixture
def euro_rates(db: None) -> None:
    """1 EUR = 1.0850 USD on every working day of the program's period (weekends have no rate, as at the ECB)."""
    day, end, rows = date(2020, 1, 1), date(2030, 12, 31), []
    while day <= end:
        if day.weekday() < 5:
            rows.append(EuroRate(currency="USD", on=day, rate=USD_PER_EUR))
        day += timedelta(days=1)
    EuroRate.objects.bulk_create(rows)


@pytest.fixture
def program(national: Organization, funder: Organization) -> Program:
    program = make_program(national)
    ProgramFunder.objects.create(organization=national, program=program, funder=funder)
    return program


@pytest.fixture
def program_admin(national: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Planner")


@pytest.fixture
def second_admin(national: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.PROGRAM_ADMIN, national, full_name="Sam Second")


@pytest.fixture
def chapter(cac: Organization) -> Organization:
    assert cac.parent is not None
    return cac.parent


@pytest.fixture
def fund(program: Program, funder: Organization, program_admin: User, euro_rates: None) -> Fund:
    """A fund of one million euros over the program's period."""
    return services.fund_create(
        actor=program_admin,
        program=program,
        funder=funder,
        name="Partnership fund",
        amount=Money.of("1000000", "EUR"),
        starts_on=program.starts_on,
        ends_on=program.ends_on,
    )
