"""The learning admin's rule pages: add a rule (it assigns at once), change it, deactivate it after confirming."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.learning.models import Assignment, AssignmentRule, StaffMember
from haven.learning.tests.test_rules import published_course
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory


@pytest.mark.django_db
def test_the_admin_adds_a_rule_for_a_department_and_it_assigns_at_once(
    company: Organization,
    learning_admin: User,
    make_staff: Callable[..., StaffMember],
    signed_in: Callable[[User], Client],
) -> None:
    course = published_course(company)
    studio = make_staff(department="Studio")
    make_staff(department="Sales")
    client = signed_in(learning_admin)
    form = client.get(reverse("learning:rule_create")).content.decode()
    assert 'value="Studio"' in form and 'value="Sales"' in form

    response = client.post(
        reverse("learning:rule_create"),
        {
            "course": course.pk,
            "target": "department",
            "value": "Studio",
            "due_days": "30",
            "due_from": "assignment",
            "refresh_months": "12",
        },
    )

    assert response.status_code == 302
    assert set(Assignment.objects.in_org(company).values_list("staff_id", flat=True)) == {studio.pk}
    rule = AssignmentRule.objects.in_org(company).get()
    assert "Studio" in client.get(reverse("learning:rules")).content.decode()

    asked = client.post(reverse("learning:rule_deactivate", args=[rule.pk]))
    assert asked.status_code == 200
    rule.refresh_from_db()
    assert rule.is_active
    client.post(reverse("learning:rule_deactivate", args=[rule.pk]), {"confirmed": "yes"})
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(reverse("learning:rule_reactivate", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.is_active


@pytest.mark.django_db
def test_a_rule_without_its_department_is_refused(
    company: Organization, learning_admin: User, signed_in: Callable[[User], Client]
) -> None:
    course = published_course(company)
    response = signed_in(learning_admin).post(
        reverse("learning:rule_create"),
        {
            "course": course.pk,
            "target": "department",
            "value": "",
            "due_days": "30",
            "due_from": "assignment",
            "refresh_months": "0",
        },
    )
    assert response.status_code == 400
    assert not AssignmentRule.objects.in_org(company).exists()


@pytest.mark.django_db
def test_another_companys_admin_and_a_cacs_admin_see_no_rule(
    company: Organization,
    make_member: Callable[..., User],
    cac: Organization,
    signed_in: Callable[[User], Client],
) -> None:
    rule = AssignmentRule.objects.create(organization=company, course=published_course(company))
    other = make_member(Role.ORG_ADMIN, OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER))
    assert signed_in(other).get(reverse("learning:rule_edit", args=[rule.pk])).status_code == 404
    assert signed_in(make_member(Role.ORG_ADMIN, cac)).get(reverse("learning:rules")).status_code == 404
