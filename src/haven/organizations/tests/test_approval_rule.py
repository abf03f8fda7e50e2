"""Who may approve a grant (decision 0011), as a property over random sets of admins, granters and members.

A role that sees child records at a CAC is approved by an active admin of that CAC, or, when the CAC has none other
than the granter and the member, by an active program admin of the national office above it; a program admin's role
by another program admin. Never by the granter, never by the member, never through an inactive membership or a
closed account. The oracle below is written from that sentence, not from the code.
"""

from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.accounts.tests.factories import UserFactory
from haven.audit.models import AuditEntry
from haven.organizations import services
from haven.organizations.models import GrantStatus, Membership, MembershipGrant, Organization
from haven.organizations.roles import Role
from haven.organizations.selectors import approvers_of, grants_waiting_for
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory

STATES = ["active", "deactivated", "closed", "waiting"]
GRANTS = [("cac", Role.CLINICIAN), ("cac", Role.ORG_ADMIN), ("national", Role.PROGRAM_ADMIN)]


@dataclass
class Person:
    user: User
    role: str  # the role they hold
    place: str  # where: "cac", "national", "chapter", "elsewhere"
    state: str

    @property
    def works(self) -> bool:
        return self.state == "active"


def seat(person_role: str, place: Organization, state: str, chapter_admin: User | None) -> User:
    """A person holding ``person_role`` at ``place`` in the given state, set up through the services."""
    user = UserFactory()
    if state == "waiting":
        assert chapter_admin is not None
        services.membership_grant(actor=chapter_admin, organization=place, user=user, role=person_role)
        return user
    membership = Membership.objects.create(user=user, organization=place, role=person_role)
    if state == "deactivated":
        membership.is_active, membership.deactivated_at = False, timezone.now()
        membership.save(update_fields=["is_active", "deactivated_at"])
    if state == "closed":
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


def eligible(person: Person, *, grant_place: str, granter: User, member: User, people: list[Person]) -> bool:
    if person.user in (granter, member) or not person.works:
        return False
    program_admin = (person.role, person.place) == (Role.PROGRAM_ADMIN, "national")
    if grant_place == "national":
        return program_admin
    if (person.role, person.place) == (Role.ORG_ADMIN, "cac"):
        return True
    others = [
        p
        for p in people
        if (p.role, p.place) == (Role.ORG_ADMIN, "cac") and p.works and p.user not in (granter, member)
    ]
    return program_admin and not others


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cac_admins=st.lists(st.sampled_from(STATES), max_size=3),
    program_admins=st.lists(st.sampled_from(STATES), max_size=3),
    grant=st.sampled_from(GRANTS),
    granter_index=st.integers(min_value=0),
    member_index=st.none() | st.integers(min_value=0),
    decider_index=st.integers(min_value=0),
    approve=st.booleans(),
)
def test_a_grant_is_decided_by_exactly_the_second_persons_the_rule_names(
    cac_admins: list[str],
    program_admins: list[str],
    grant: tuple[str, str],
    granter_index: int,
    member_index: int | None,
    decider_index: int,
    approve: bool,
) -> None:
    with transaction.atomic():
        national = NationalOfficeFactory()
        cac = CacFactory(parent__parent=national)
        chapter = cac.parent
        assert chapter is not None
        places = {"national": national, "cac": cac, "chapter": chapter, "elsewhere": NationalOfficeFactory()}
        chapter_admin = seat(Role.ORG_ADMIN, chapter, "active", None)
        people = [
            Person(chapter_admin, Role.ORG_ADMIN, "chapter", "active"),
            Person(seat(Role.CLINICIAN, cac, "active", None), Role.CLINICIAN, "cac", "active"),
            Person(
                seat(Role.PROGRAM_ADMIN, places["elsewhere"], "active", None), Role.PROGRAM_ADMIN, "elsewhere", "active"
            ),
        ]
        people += [Person(seat(Role.ORG_ADMIN, cac, s, chapter_admin), Role.ORG_ADMIN, "cac", s) for s in cac_admins]
        people += [
            Person(seat(Role.PROGRAM_ADMIN, national, s, chapter_admin), Role.PROGRAM_ADMIN, "national", s)
            for s in program_admins
        ]
        grant_place, role = grant
        granter = people[granter_index % len(people)].user
        member = UserFactory() if member_index is None else people[member_index % len(people)].user
        decider = people[decider_index % len(people)]
        already = Membership.objects.in_org(places[grant_place]).filter(user=member, role=role)
        if already.filter(is_active=True).exists() or already.filter(grants__status=GrantStatus.PENDING).exists():
            transaction.set_rollback(True)
            return  # the person holds this role already, or it waits: nothing to grant

        mail.outbox = []
        membership = services.membership_grant(actor=granter, organization=places[grant_place], user=member, role=role)
        pending = MembershipGrant.objects.in_org(places[grant_place]).get(membership=membership, status="pending")
        assert membership.is_active is False

        names = {
            p.user
            for p in people
            if eligible(p, grant_place=grant_place, granter=granter, member=member, people=people)
        }
        assert {m.user for m in approvers_of(pending)} == names
        # Everyone who may decide was told, and each finds it waiting on their pages.
        told = {address for message in mail.outbox for address in message.to}
        assert {u.email for u in names} <= told
        for person in people:
            for m in Membership.objects.of_user(person.user).active().select_related("organization", "user"):
                waiting = grants_waiting_for(m).filter(pk=pending.pk).exists()
                assert waiting == (person.user in names and m.organization == places[person.place])

        decide = services.membership_grant_approve if approve else services.membership_grant_decline
        if decider.user in names:
            decide(actor=decider.user, grant=pending)
            pending.refresh_from_db()
            membership.refresh_from_db()
            assert pending.status == ("approved" if approve else "declined")
            assert pending.decided_by == decider.user
            assert membership.is_active is approve
            action = "membership.approve" if approve else "membership.decline"
            assert AuditEntry.objects.in_org(places[grant_place]).filter(action=action, actor=decider.user).count() == 1
        else:
            with pytest.raises(ValidationError):
                decide(actor=decider.user, grant=pending)
            pending.refresh_from_db()
            membership.refresh_from_db()
            assert (pending.status, pending.decided_by, membership.is_active) == ("pending", None, False)
        transaction.set_rollback(True)


@pytest.mark.parametrize("who", ["granter", "member"])
def test_the_database_refuses_the_granter_or_the_member_as_the_one_who_decides(
    who: str, cac: Organization, national: Organization
) -> None:
    granter, member = UserFactory(), UserFactory()
    membership = services.membership_grant(actor=granter, organization=cac, user=member, role=Role.ORG_ADMIN)
    grant = MembershipGrant.objects.in_org(cac).get(membership=membership)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipGrant.objects.in_org(cac).filter(pk=grant.pk).update(
            status=GrantStatus.APPROVED,
            decided_by={"granter": granter, "member": member}[who],
            decided_at=timezone.now(),
        )


def test_the_database_keeps_one_pending_grant_per_membership(cac: Organization) -> None:
    granter, member = UserFactory(), UserFactory()
    membership = services.membership_grant(actor=granter, organization=cac, user=member, role=Role.CLINICIAN)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipGrant.objects.create(
            organization=cac,
            membership=membership,
            user=member,
            path="direct",
            granted_by=granter,
            granted_at=timezone.now(),
        )
    with pytest.raises(ValidationError, match="already waiting"):
        services.membership_grant(actor=granter, organization=cac, user=member, role=Role.CLINICIAN)
