"""Nobody obtains child-level access alone (decision 0011): the attack observed, replayed through the pages.

An org admin of a state chapter invited an address of their own as org admin of a CAC below them, accepted it, set
up a second factor and read every child of that CAC. A program admin could do the same anywhere. A role that sees
child records now waits for a second person: an active admin of that CAC or, for a CAC that has none, another
program admin. The one who granted it never approves it.
"""

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from haven.accounts.models import User
from haven.accounts.tests.test_mfa import set_up_second_factor
from haven.audit.models import AuditEntry
from haven.care.models import Episode
from haven.care.tests import factories as care_factories
from haven.organizations.models import Membership, MembershipGrant, Organization
from haven.organizations.roles import Role
from haven.organizations.tests.factories import CacFactory
from haven.programs.models import Program
from haven.training.tests.factories import make_program

NEW_PASSWORD = "a long and fresh passphrase 42"


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


def children_of(cac: Organization, program: Program, make_member: Callable[..., User]) -> list[Episode]:
    """Three children in the care of one of the CAC's clinicians."""
    clinician = make_member(Role.CLINICIAN, cac, full_name="Dana Clinician")
    return [
        care_factories.register(cac=cac, program=program, clinician=clinician, case_number=f"2025-{n:04d}")
        for n in range(3)
    ]


def invitation_path(address: str) -> str:
    """The link of the invitation e-mailed to ``address``, as its reader would follow it."""
    message = next(m for m in reversed(mail.outbox) if m.to == [address])
    link = next(word for word in message.body.split() if "/account/invitations/" in word)
    return urlsplit(link).path


def accept_as_newcomer(address: str) -> tuple[Client, User]:
    """Follow the invitation, create the account, and set up a second factor, as the attacker did."""
    client = Client()
    response = client.post(
        invitation_path(address),
        {"full_name": "Second Address", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    user = User.objects.get(email=address)
    set_up_second_factor(client, user)
    return client, user


def sees_no_child(client: Client, episodes: list[Episode]) -> bool:
    """Every care page of these children answers 404: the caseload, each child and each episode."""
    statuses = {client.get("/care/").status_code, client.get("/care/alerts/").status_code}
    for episode in episodes:
        statuses.add(client.get(f"/care/children/{episode.child_id}/").status_code)
        statuses.add(client.get(f"/care/episodes/{episode.pk}/").status_code)
    return statuses == {404}


def sees_every_child(client: Client, episodes: list[Episode]) -> bool:
    caseload = client.get("/care/")
    if caseload.status_code != 200:
        return False
    page = caseload.content.decode()
    return all(episode.child.display_code in page for episode in episodes) and all(
        client.get(f"/care/episodes/{episode.pk}/").status_code == 200 for episode in episodes
    )


def approval_forms(page: str, address: str) -> dict[str, str]:
    """The approve and decline buttons the page offers for the person with this e-mail, by their visible label (a
    screen reader also hears whom and which role)."""
    rows = re.findall(r"<tr[^>]*data-grant[^>]*>(.*?)</tr>", page, re.S)
    row = next((row for row in rows if address in row), "")
    return {
        label: action
        for action, label in re.findall(
            r'<form method="post" action="([^"]+)".*?<button[^>]*>([^<]+)<',
            row,
            re.S,  # the label a sighted user reads
        )
    }


def test_a_chapter_admin_cannot_read_a_cacs_children_through_a_second_address(
    cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    episodes = children_of(cac, program, make_member)
    chapter = cac.parent
    assert chapter is not None
    chapter_admin = make_member(Role.ORG_ADMIN, chapter, email="chapter.admin@example.org")
    director = make_member(Role.ORG_ADMIN, cac, email="director@example.org", full_name="Casey Director")
    alias = "chapter.admin+x@example.org"

    response = signed_in(chapter_admin).post(
        f"/organizations/{cac.pk}/invitations/", {"email": alias, "role": Role.ORG_ADMIN}
    )
    assert response.status_code == 302
    alias_client, alias_user = accept_as_newcomer(alias)

    # Invited, accepted, second factor on: still not one child.
    assert sees_no_child(alias_client, episodes)
    membership = Membership.objects.in_org(cac).get(user=alias_user)
    assert (membership.role, membership.is_active) == (Role.ORG_ADMIN, False)
    home = alias_client.get("/").content.decode()
    assert "Your role as Organization admin at Franklin County CAC is waiting for a second person's approval." in home

    # The CAC's admin is told, with the address that was given the role.
    [told] = [m for m in mail.outbox if m.to == [director.email]]
    assert alias in told.body
    assert "Franklin County CAC" in told.body

    # The inviter cannot approve their own grant: no button on their page, and 404 when they post anyway.
    director_page = signed_in(director).get(f"/organizations/{cac.pk}/").content.decode()
    buttons = approval_forms(director_page, alias)
    assert set(buttons) == {"Approve", "Decline"}
    chapter_page = signed_in(chapter_admin).get(f"/organizations/{cac.pk}/").content.decode()
    assert approval_forms(chapter_page, alias) == {}
    assert signed_in(chapter_admin).post(buttons["Approve"]).status_code == 404
    # Nor can the address it was given to.
    assert alias_client.post(buttons["Approve"]).status_code == 404
    assert sees_no_child(alias_client, episodes)

    # The CAC's admin sees it waiting, on their home page too, and approves it.
    assert "1 role is waiting for your approval." in signed_in(director).get("/").content.decode()
    assert signed_in(director).post(buttons["Approve"]).status_code == 302
    assert sees_every_child(alias_client, episodes)

    grant = MembershipGrant.objects.in_org(cac).get(membership=membership)
    assert (grant.status, grant.granted_by, grant.decided_by) == ("approved", chapter_admin, director)
    log = AuditEntry.objects.in_org(cac).filter(action__startswith="membership.").order_by("seq")
    assert [(e.action, e.actor_id, e.detail) for e in log] == [
        (
            "membership.grant",
            alias_user.pk,
            {
                "role": Role.ORG_ADMIN,
                "user": alias_user.pk,
                "granted_by": chapter_admin.pk,
                "path": "invitation",
                "grant": grant.pk,
            },
        ),
        (
            "membership.approve",
            director.pk,
            {
                "role": Role.ORG_ADMIN,
                "user": alias_user.pk,
                "granted_by": chapter_admin.pk,
                "grant": grant.pk,
            },
        ),
    ]


def test_a_program_admin_needs_a_second_program_admin_for_a_cac_without_admins(
    national: Organization,
    program: Program,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    cac = CacFactory(parent__parent=national, name="Adams County CAC")  # no admin of its own
    episodes = children_of(cac, program, make_member)
    planner = make_member(Role.PROGRAM_ADMIN, national, email="pat@example.org")
    second = make_member(Role.PROGRAM_ADMIN, national, email="sam@example.org")
    alias = "pat+x@example.org"

    response = signed_in(planner).post(
        f"/organizations/{cac.pk}/invitations/", {"email": alias, "role": Role.ORG_ADMIN}
    )
    assert response.status_code == 302
    alias_client, alias_user = accept_as_newcomer(alias)
    assert sees_no_child(alias_client, episodes)

    # The other program admin is told and finds it on the CAC's page; the inviter gets no button and a 404.
    [told] = [m for m in mail.outbox if m.to == [second.email]]
    assert alias in told.body
    assert not [m for m in mail.outbox if m.to == [planner.email]]
    buttons = approval_forms(signed_in(second).get(f"/organizations/{cac.pk}/").content.decode(), alias)
    assert set(buttons) == {"Approve", "Decline"}
    assert approval_forms(signed_in(planner).get(f"/organizations/{cac.pk}/").content.decode(), alias) == {}
    assert signed_in(planner).post(buttons["Approve"]).status_code == 404
    assert sees_no_child(alias_client, episodes)

    assert signed_in(second).post(buttons["Approve"]).status_code == 302
    assert sees_every_child(alias_client, episodes)
    entry = AuditEntry.objects.in_org(cac).get(action="membership.approve")
    assert (entry.actor_id, entry.detail["user"], entry.detail["granted_by"]) == (second.pk, alias_user.pk, planner.pk)


def test_a_declined_role_stays_without_access_and_keeps_its_history(
    cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    episodes = children_of(cac, program, make_member)
    chapter = cac.parent
    assert chapter is not None
    chapter_admin = make_member(Role.ORG_ADMIN, chapter)
    director = make_member(Role.ORG_ADMIN, cac)
    signed_in(chapter_admin).post(
        f"/organizations/{cac.pk}/invitations/", {"email": "someone@example.org", "role": Role.CLINICIAN}
    )
    alias_client, alias_user = accept_as_newcomer("someone@example.org")
    buttons = approval_forms(
        signed_in(director).get(f"/organizations/{cac.pk}/").content.decode(), "someone@example.org"
    )

    assert signed_in(director).post(buttons["Decline"]).status_code == 302
    assert sees_no_child(alias_client, episodes)
    membership = Membership.objects.in_org(cac).get(user=alias_user)
    assert membership.is_active is False
    grant = MembershipGrant.objects.in_org(cac).get(membership=membership)
    assert (grant.status, grant.granted_by, grant.decided_by) == ("declined", chapter_admin, director)
    assert grant.granted_at is not None and grant.decided_at is not None
    # Declined is final for this grant: approving it afterwards finds nothing.
    assert signed_in(director).post(buttons["Approve"]).status_code == 404
    page = signed_in(director).get(f"/organizations/{cac.pk}/").content.decode()
    assert approval_forms(page, "someone@example.org") == {}
    assert "Declined" in page
    entry = AuditEntry.objects.in_org(cac).get(action="membership.decline")
    assert (entry.actor_id, entry.detail["user"], entry.detail["grant"]) == (director.pk, alias_user.pk, grant.pk)
    assert "waiting for" not in alias_client.get("/").content.decode()


def test_giving_back_a_removed_role_waits_for_a_second_person(
    cac: Organization,
    national: Organization,
    program: Program,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    """A chapter admin cannot bring back a clinician the CAC removed: the CAC's admin decides."""
    episodes = children_of(cac, program, make_member)
    clinician = episodes[0].clinician
    director = make_member(Role.ORG_ADMIN, cac)
    chapter = cac.parent
    assert chapter is not None
    chapter_admin = make_member(Role.ORG_ADMIN, chapter)
    membership = Membership.objects.in_org(cac).get(user=clinician)
    clinician_client = signed_in(clinician)
    assert sees_every_child(clinician_client, episodes)

    deactivate = f"/organizations/{cac.pk}/members/{membership.pk}/deactivate/"
    assert signed_in(director).post(deactivate, {"confirmed": "yes"}).status_code == 302
    assert sees_no_child(clinician_client, episodes)
    assert (
        signed_in(chapter_admin).post(f"/organizations/{cac.pk}/members/{membership.pk}/reactivate/").status_code == 302
    )
    membership.refresh_from_db()
    assert membership.is_active is False
    assert sees_no_child(clinician_client, episodes)
    entry = AuditEntry.objects.in_org(cac).get(action="membership.grant")
    assert (entry.actor_id, entry.detail["path"], entry.detail["granted_by"]) == (
        chapter_admin.pk,
        "reactivation",
        chapter_admin.pk,
    )

    buttons = approval_forms(signed_in(director).get(f"/organizations/{cac.pk}/").content.decode(), clinician.email)
    assert signed_in(director).post(buttons["Approve"]).status_code == 302
    assert sees_every_child(clinician_client, episodes)


def test_a_role_without_child_records_is_given_at_once(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    """A chapter's admin is not a CAC's admin: the chapter's new admin starts at once, as before."""
    chapter = cac.parent
    assert chapter is not None
    chapter_admin = make_member(Role.ORG_ADMIN, chapter)
    signed_in(chapter_admin).post(
        f"/organizations/{chapter.pk}/invitations/", {"email": "coordinator@example.org", "role": Role.ORG_ADMIN}
    )
    client = Client()
    client.post(
        invitation_path("coordinator@example.org"),
        {"full_name": "Cora Coordinator", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    user = User.objects.get(email="coordinator@example.org")
    assert Membership.objects.in_org(chapter).get(user=user).is_active is True
    assert not AuditEntry.objects.in_org(chapter).filter(action="membership.grant").exists()
