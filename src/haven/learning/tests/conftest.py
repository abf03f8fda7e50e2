"""Fixtures of the staff-education pillar: the company (the ``partner`` fixture), its learning admin, its staff."""

from collections.abc import Callable
from typing import Any

import pytest

from haven.accounts.models import User
from haven.learning import services
from haven.learning.models import StaffMember
from haven.organizations.models import Organization
from haven.organizations.roles import Role


@pytest.fixture
def company(partner: Organization) -> Organization:
    return partner


@pytest.fixture
def learning_admin(make_member: Callable[..., User], company: Organization) -> User:
    return make_member(Role.ORG_ADMIN, company)


@pytest.fixture
def make_staff(company: Organization) -> Callable[..., StaffMember]:
    """A member of staff of the company with a learner role; keyword arguments are :class:`StaffFields`'s."""
    made = iter(range(1, 1_000_000))

    def make(**fields: Any) -> StaffMember:
        n = next(made)
        fields.setdefault("user_name", f"staff{n}@company.example")
        fields.setdefault("email", fields["user_name"])
        fields.setdefault("given_name", f"Given{n}")
        fields.setdefault("family_name", f"Family{n}")
        return services.staff_save(actor=None, organization=company, fields=services.StaffFields(**fields))

    return make
