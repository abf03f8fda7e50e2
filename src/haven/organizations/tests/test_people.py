"""Organizations, invitations, memberships and deactivation, through the pages an admin uses."""

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Invitation, Membership, MembershipGrant, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.services import invitation_token_hash


@pytest.fixture
def cac_admin(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.ORG_ADMIN, cac, full_name="Casey Director")


def test_org_admin_invites_a_clinician(cac: Organization, cac_admin: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(cac_admin)
    response = client.post(
        f"/organizations/{cac.pk}/invitations/", {"email": "New.Person@Example.org", "role": Role.CLINICIAN}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.in_org(cac).get()
    assert invitation.email == "new.person@example.org"
    assert invitation.role == Role.CLINICIAN
    assert invitation.invited_by == cac_admin
    assert len(mail.outbox) == 1
    link = next(word for word in mail.outbox[0].body.split() if "/account/invitations/" in word)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == invitation_token_hash(token)
    assert token not in invitation.token_hash
    entry = AuditEntry.objects.in_org(cac).get(action="invitation.create")
    assert entry.actor == cac_admin
    assert token not in str(entry.detail)


def test_an_invitation_with_a_bad_role_keeps_what_was_typed(
    cac: Organization, cac_admin: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(cac_admin).post(
        f"/organizations/{cac.pk}/invitations/", {"email": "someone@example.org", "role": Role.FUNDER_VIEWER}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="someone@example.org"' in page
    assert "Select a valid choice" in page
    assert not Invitation.objects.in_org(cac).exists()


def test_only_a_program_admin_can_make_a_program_admin(
    national: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    national_admin = make_member(Role.ORG_ADMIN, national)
    response = signed_in(national_admin).post(
        f"/organizations/{national.pk}/invitations/", {"email": "x@example.org", "role": Role.PROGRAM_ADMIN}
    )
    assert response.status_code == 400
    program_admin = make_member(Role.PROGRAM_ADMIN, national)
    response = signed_in(program_admin).post(
        f"/organizations/{national.pk}/invitations/", {"email": "x@example.org", "role": Role.PROGRAM_ADMIN}
    )
    assert response.status_code == 302


def test_deactivating_a_member_ends_their_access_and_is_audited(
    cac: Organization, cac_admin: User, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    colleague = make_member(Role.ORG_ADMIN, cac)
    membership = Membership.objects.in_org(cac).get(user=colleague)
    colleague_client = signed_in(colleague)
    assert colleague_client.get("/organizations/").status_code == 200

    deactivate = f"/organizations/{cac.pk}/members/{membership.pk}/deactivate/"
    # The button asks first (test_confirmations); the answer acts.
    assert signed_in(cac_admin).post(deactivate).status_code == 200
    membership.refresh_from_db()
    assert membership.is_active is True
    response = signed_in(cac_admin).post(deactivate, {"confirmed": "yes"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is False
    assert membership.deactivated_at is not None
    assert colleague_client.get("/organizations/").status_code == 404
    entry = AuditEntry.objects.in_org(cac).get(action="membership.deactivate")
    assert (entry.actor, entry.target_id, entry.detail["user"]) == (cac_admin, str(membership.pk), colleague.pk)

    # Giving an admin of a CAC their role back waits for a second person (decision 0011): here, as the CAC has no
    # other admin, a program admin.
    signed_in(cac_admin).post(f"/organizations/{cac.pk}/members/{membership.pk}/reactivate/")
    membership.refresh_from_db()
    assert membership.is_active is False
    assert colleague_client.get("/organizations/").status_code == 404
    grant = MembershipGrant.objects.in_org(cac).get(membership=membership, status="pending")
    program_admin = make_member(Role.PROGRAM_ADMIN, cac.parent.parent)
    approve = f"/organizations/{cac.pk}/grants/{grant.pk}/approve/"
    assert signed_in(cac_admin).post(approve).status_code == 404
    assert signed_in(program_admin).post(approve).status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is True
    assert colleague_client.get("/organizations/").status_code == 200


def test_the_only_admin_cannot_remove_their_own_admin_role(
    cac: Organization, cac_admin: User, signed_in: Callable[[User], Client]
) -> None:
    """Another admin could (test_last_admin); the last one cannot."""
    membership = Membership.objects.in_org(cac).get(user=cac_admin)
    response = signed_in(cac_admin).post(
        f"/organizations/{cac.pk}/members/{membership.pk}/deactivate/", {"confirmed": "yes"}, follow=True
    )
    assert "is the last active admin of" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active is True


def test_a_membership_of_another_organization_is_not_found(
    cac: Organization,
    other_cac: Organization,
    cac_admin: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    stranger = make_member(Role.CLINICIAN, other_cac)
    theirs = Membership.objects.in_org(other_cac).get(user=stranger)
    # Their membership id, under my organization's URL: not found, and nothing changes.
    response = signed_in(cac_admin).post(f"/organizations/{cac.pk}/members/{theirs.pk}/deactivate/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active is True


def test_program_admin_adds_a_cac_under_a_chapter(
    national: Organization, cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    admin = make_member(Role.PROGRAM_ADMIN, national)
    chapter = cac.parent
    assert chapter is not None
    client = signed_in(admin)
    response = client.post(
        "/organizations/new/", {"name": "Madison County CAC", "kind": OrganizationKind.CAC, "parent": chapter.pk}
    )
    assert response.status_code == 302
    created = Organization.objects.get(name="Madison County CAC")
    assert (created.parent, created.state) == (chapter, chapter.state)
    assert AuditEntry.objects.in_org(created).get().action == "organization.create"

    # A CAC directly under the national office is refused, with the message next to the form.
    response = client.post(
        "/organizations/new/", {"name": "Loose CAC", "kind": OrganizationKind.CAC, "parent": national.pk}
    )
    assert response.status_code == 200
    assert "must sit under a State chapter" in response.content.decode()
    assert 'value="Loose CAC"' in response.content.decode()
    assert not Organization.objects.filter(name="Loose CAC").exists()


def test_org_admin_sees_their_tree_only(
    cac: Organization,
    other_cac: Organization,
    cac_admin: User,
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = signed_in(cac_admin)
    with django_assert_max_num_queries(12):
        page = client.get("/organizations/").content.decode()
    assert cac.name in page
    assert other_cac.name not in page


def test_program_admin_closes_an_account_everywhere(
    national: Organization, cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    admin = make_member(Role.PROGRAM_ADMIN, national)
    leaver = make_member(Role.CLINICIAN, cac)
    leaver_client = signed_in(leaver)
    membership = Membership.objects.in_org(cac).get(user=leaver)
    response = signed_in(admin).post(
        f"/organizations/{cac.pk}/members/{membership.pk}/deactivate-account/", {"confirmed": "yes"}
    )
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert leaver.is_active is False
    # Their open session ends at once, and the password no longer works.
    assert leaver_client.get("/").status_code == 302
    response = Client().post("/account/sign-in/", {"email": leaver.email, "password": "correct horse battery staple"})
    assert "The e-mail or password is not right." in response.content.decode()
    entry = AuditEntry.objects.dangerously_unscoped().get(action="user.deactivate")
    assert (entry.actor, entry.target_id) == (admin, str(leaver.pk))
    page = signed_in(admin).get(f"/organizations/{cac.pk}/").content.decode()
    assert "Account closed" in page
