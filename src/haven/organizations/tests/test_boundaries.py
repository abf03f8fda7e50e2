"""Limits on what admins may do to roles and trees that are not theirs to manage."""

from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from haven.accounts.models import User
from haven.organizations.models import Invitation, Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import ChapterFactory, NationalOfficeFactory


def test_an_org_admin_cannot_touch_a_program_admin_role(
    national: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    office_admin = make_member(Role.ORG_ADMIN, national)
    program_admin = make_member(Role.PROGRAM_ADMIN, national)
    membership = Membership.objects.in_org(national).get(user=program_admin)
    response = signed_in(office_admin).post(f"/organizations/{national.pk}/members/{membership.pk}/deactivate/")
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.is_active is True


def test_an_admin_cannot_invite_themselves(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    admin = make_member(Role.ORG_ADMIN, cac)
    response = signed_in(admin).post(
        f"/organizations/{cac.pk}/invitations/", {"email": admin.email.upper(), "role": Role.CLINICIAN}
    )
    assert response.status_code == 400
    assert "You cannot invite yourself" in response.content.decode()
    assert not Invitation.objects.in_org(cac).exists()


def test_the_invitation_token_is_not_shown_outside_the_demo(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(make_member(Role.ORG_ADMIN, cac))
    page = client.post(
        f"/organizations/{cac.pk}/invitations/", {"email": "new@example.org", "role": Role.CLINICIAN}, follow=True
    ).content.decode()
    assert "Invitation sent to new@example.org." in page
    assert "/account/invitations/" not in page


def test_a_program_admin_cannot_add_to_another_national_office(
    national: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    foreign_chapter = ChapterFactory(parent=NationalOfficeFactory())
    response = signed_in(make_member(Role.PROGRAM_ADMIN, national)).post(
        "/organizations/new/", {"name": "Intruder CAC", "kind": OrganizationKind.CAC, "parent": foreign_chapter.pk}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Organization.objects.filter(name="Intruder CAC").exists()


@pytest.mark.django_db
@override_settings(DEBUG=False, HAVEN_ALLOW_DEMO_DATA=False)
def test_generated_demo_data_is_refused_in_a_deployment() -> None:
    with pytest.raises(CommandError, match="not a deployment"):
        call_command("generate", "--scale=demo")
    assert not Organization.objects.exists()
