"""An organization keeps an admin (decision 0019): the last active admin of an organization cannot be removed, by
anyone or by themselves, whether their role is removed or their account closed; a national office keeps a program
admin. Anyone else may go, oneself included, after a confirmation. Invitations offer the least privileged role
first."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts import services as account_services
from haven.accounts.models import User
from haven.accounts.tests.factories import UserFactory
from haven.organizations import services
from haven.organizations.forms import InvitationForm
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import ROLES_BY_PRIVILEGE, OrganizationKind, Role, role_allowed_in
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory, OrganizationFactory


def _membership(organization: Organization, user: User, role: str) -> Membership:
    return Membership.objects.in_org(organization).get(user=user, role=role)


def test_the_last_admin_of_a_cac_cannot_be_removed_nor_remove_themselves(
    national: Organization, cac: Organization, make_member: Callable[..., User]
) -> None:
    director = make_member(Role.ORG_ADMIN, cac)
    program_admin = make_member(Role.PROGRAM_ADMIN, national)
    own = _membership(cac, director, Role.ORG_ADMIN)
    for actor in (director, program_admin):
        with pytest.raises(ValidationError, match="last active admin of"):
            services.membership_deactivate(actor=actor, membership=own)
    with pytest.raises(ValidationError, match="last active admin of"):
        account_services.user_deactivate(actor=program_admin, user=director)
    own.refresh_from_db()
    director.refresh_from_db()
    assert own.is_active and director.is_active


def test_an_admin_may_remove_their_own_role_while_another_admin_remains(
    cac: Organization, make_member: Callable[..., User]
) -> None:
    first, second = make_member(Role.ORG_ADMIN, cac), make_member(Role.ORG_ADMIN, cac)
    services.membership_deactivate(actor=first, membership=_membership(cac, first, Role.ORG_ADMIN))
    assert not _membership(cac, first, Role.ORG_ADMIN).is_active
    # Now the second is the last one.
    with pytest.raises(ValidationError, match="last active admin of"):
        services.membership_deactivate(actor=second, membership=_membership(cac, second, Role.ORG_ADMIN))


def test_an_admin_whose_account_is_closed_does_not_count(
    national: Organization, cac: Organization, make_member: Callable[..., User]
) -> None:
    first, second = make_member(Role.ORG_ADMIN, cac), make_member(Role.ORG_ADMIN, cac)
    program_admin = make_member(Role.PROGRAM_ADMIN, national)
    account_services.user_deactivate(actor=program_admin, user=second)
    with pytest.raises(ValidationError, match="last active admin of"):
        services.membership_deactivate(actor=program_admin, membership=_membership(cac, first, Role.ORG_ADMIN))


def test_a_national_office_keeps_a_program_admin(national: Organization, make_member: Callable[..., User]) -> None:
    office_admin = make_member(Role.ORG_ADMIN, national)
    first = make_member(Role.PROGRAM_ADMIN, national)
    # An org admin of the national office remains, but only a program admin manages program admins.
    with pytest.raises(ValidationError, match="last active program admin"):
        services.membership_deactivate(actor=first, membership=_membership(national, first, Role.PROGRAM_ADMIN))
    second = make_member(Role.PROGRAM_ADMIN, national)
    with pytest.raises(ValidationError, match="yourself"):
        account_services.user_deactivate(actor=first, user=first)
    services.membership_deactivate(actor=first, membership=_membership(national, first, Role.PROGRAM_ADMIN))
    with pytest.raises(ValidationError, match="last active program admin"):
        account_services.user_deactivate(actor=office_admin, user=second)
    # The office's org admin may go: a program admin remains to run it.
    services.membership_deactivate(actor=second, membership=_membership(national, office_admin, Role.ORG_ADMIN))


def test_another_role_of_the_last_admin_may_be_removed(cac: Organization, make_member: Callable[..., User]) -> None:
    director = make_member(Role.ORG_ADMIN, cac)
    Membership.objects.create(user=director, organization=cac, role=Role.CLINICIAN)
    services.membership_deactivate(actor=director, membership=_membership(cac, director, Role.CLINICIAN))
    assert not _membership(cac, director, Role.CLINICIAN).is_active


KINDS = [OrganizationKind.NATIONAL_OFFICE, OrganizationKind.CAC, OrganizationKind.FUNDER]
ADMIN_ROLES = {
    OrganizationKind.NATIONAL_OFFICE: [Role.PROGRAM_ADMIN, Role.ORG_ADMIN],
    OrganizationKind.CAC: [Role.ORG_ADMIN],
    OrganizationKind.FUNDER: [Role.ORG_ADMIN],
}


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    admins=st.lists(st.integers(min_value=0, max_value=1), min_size=1, max_size=4),
    steps=st.lists(
        st.tuples(st.sampled_from(["role", "account"]), st.integers(min_value=0), st.integers(min_value=0)),
        max_size=8,
    ),
)
def test_whatever_is_removed_an_organization_keeps_an_admin(
    kind: str, admins: list[int], steps: list[tuple[str, int, int]]
) -> None:
    """Admins remove roles and close accounts in any order: each removal either happens or is refused, and the
    organization always has an active admin (and a national office an active program admin)."""
    with transaction.atomic():
        factories = {OrganizationKind.NATIONAL_OFFICE: NationalOfficeFactory, OrganizationKind.CAC: CacFactory}
        organization = factories.get(kind, lambda: OrganizationFactory(kind=kind))()
        roles = ADMIN_ROLES[kind]
        # At least one holder of the first role (the one the organization must keep).
        people = [(UserFactory(), roles[0])] + [(UserFactory(), roles[i % len(roles)]) for i in admins[1:]]
        for user, role in people:
            Membership.objects.create(user=user, organization=organization, role=role)
        # Closing accounts takes a program admin; one from elsewhere has no admin role here.
        outsider = UserFactory()
        for what, who, by in steps:
            user, role = people[who % len(people)]
            actor = people[by % len(people)][0]
            try:
                if what == "role":
                    services.membership_deactivate(actor=actor, membership=_membership(organization, user, role))
                else:
                    account_services.user_deactivate(actor=outsider, user=user)
            except ValidationError:
                pass
            active = Membership.objects.in_org(organization).filter(is_active=True, user__is_active=True)
            assert active.filter(role__in=roles).exists()
            assert active.filter(role=roles[0]).exists()
        transaction.set_rollback(True)


def test_a_self_removal_is_confirmed_then_leads_home(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    first = make_member(Role.ORG_ADMIN, cac)
    make_member(Role.ORG_ADMIN, cac)
    own = _membership(cac, first, Role.ORG_ADMIN)
    client = signed_in(first)
    url = f"/organizations/{cac.pk}/members/{own.pk}/deactivate/"
    asked = client.get(url).content.decode()
    assert "Remove your own role" in asked
    assert _membership(cac, first, Role.ORG_ADMIN).is_active
    response = client.post(url, {"confirmed": "yes"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not _membership(cac, first, Role.ORG_ADMIN).is_active


def test_removing_the_last_admin_is_refused_in_words(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    director = make_member(Role.ORG_ADMIN, cac)
    own = _membership(cac, director, Role.ORG_ADMIN)
    response = signed_in(director).post(
        f"/organizations/{cac.pk}/members/{own.pk}/deactivate/", {"confirmed": "yes"}, follow=True
    )
    assert "is the last active admin of" in response.content.decode()
    assert _membership(cac, director, Role.ORG_ADMIN).is_active


def test_the_privilege_order_names_every_role_once() -> None:
    assert sorted(ROLES_BY_PRIVILEGE) == sorted(Role.values)
    assert len(set(ROLES_BY_PRIVILEGE)) == len(ROLES_BY_PRIVILEGE)
    # The ends: the learner sees only their own learning; the program admin runs the program.
    assert (ROLES_BY_PRIVILEGE[0], ROLES_BY_PRIVILEGE[-1]) == (Role.LEARNER, Role.PROGRAM_ADMIN)
    assert ROLES_BY_PRIVILEGE.index(Role.CLINICIAN) < ROLES_BY_PRIVILEGE.index(Role.ORG_ADMIN)


@pytest.mark.parametrize("kind", OrganizationKind.values)
@pytest.mark.parametrize("inviter_role", [Role.PROGRAM_ADMIN, Role.ORG_ADMIN])
def test_an_invitation_starts_on_the_least_privileged_role(kind: str, inviter_role: str) -> None:
    organization = Organization(name="Somewhere", kind=kind)
    form = InvitationForm(organization=organization, inviter_role=inviter_role)
    offered = [value for value, _label in form.fields["role"].choices]
    allowed = [
        role
        for role in ROLES_BY_PRIVILEGE
        if role_allowed_in(role, kind) and (role != Role.PROGRAM_ADMIN or inviter_role == Role.PROGRAM_ADMIN)
    ]
    assert offered == allowed
    assert form["role"].value() == allowed[0]
    # What the page shows selected is the same.
    assert f'<option value="{allowed[0]}" selected>' in str(form["role"])
