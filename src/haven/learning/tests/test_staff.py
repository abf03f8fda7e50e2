"""A member of staff comes from the company's directory, signs in as a learner, and loses access when deactivated
while keeping their history."""

import pytest
from django.core.exceptions import ValidationError

from haven.learning import services
from haven.learning.models import StaffMember
from haven.organizations.models import Membership
from haven.organizations.roles import Role


def _learner_roles(staff: StaffMember) -> list[bool]:
    return list(
        Membership.objects.in_org(staff.organization_id)
        .filter(user_id=staff.user_id, role=Role.LEARNER)
        .values_list("is_active", flat=True)
    )


def test_a_new_member_of_staff_is_a_learner_of_the_company(make_staff):
    staff = make_staff(department="Marketing", country="fr", language="fr")
    assert _learner_roles(staff) == [True]
    assert staff.country == "FR"
    assert not staff.user.has_usable_password()


def test_deactivating_ends_access_and_keeps_the_record(make_staff, company):
    staff = make_staff()
    services.staff_deactivate(actor=None, staff=staff)
    staff.refresh_from_db()
    assert not staff.is_active and staff.deactivated_at is not None
    assert _learner_roles(staff) == [False]
    services.staff_reactivate(actor=None, staff=staff)
    assert _learner_roles(staff) == [True]


def test_saving_with_active_false_deactivates(make_staff, company):
    staff = make_staff()
    fields = services.StaffFields(user_name=staff.user_name, email=staff.user.email, is_active=False)
    services.staff_save(actor=None, organization=company, fields=fields, staff=staff)
    assert _learner_roles(staff) == [False]


def test_user_names_are_unique_in_the_company_whatever_their_case(make_staff):
    make_staff(user_name="ann@company.example")
    with pytest.raises(ValidationError):
        make_staff(user_name="ANN@company.example", email="other@company.example")


def test_only_a_corporate_partner_has_staff(cac):
    with pytest.raises(ValidationError):
        services.staff_save(
            actor=None, organization=cac, fields=services.StaffFields(user_name="x@y.example", email="x@y.example")
        )
