"""What a role can grant never sees more than the role itself sees, unless a second person approved it.

Every role, at every kind of organization that may hold it, tries every way there is of giving someone a role, for
every (organization, role) of a tree: an invitation accepted by a newcomer, an invitation accepted by someone who
held that role before (and treated children there), giving a removed role back, and the direct grant. Whatever the
outcome, the person who received it sees no child record the granter does not see. A role that sees child records
(a CAC's admin or clinician) or approves them (a program admin) is inactive until a second person approves it, and
it may see children after that.
"""

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import count
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

import haven
from haven.accounts.models import User
from haven.accounts.tests.factories import PASSWORD, UserFactory
from haven.care.models import Episode
from haven.care.selectors import episodes_for
from haven.care.tests import factories as care_factories
from haven.conftest import sign_in_client
from haven.organizations import services
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import ROLE_ORGANIZATION_KINDS, OrganizationKind, Role
from haven.organizations.selectors import active_membership_for
from haven.organizations.tests.factories import CacFactory, ChapterFactory, NationalOfficeFactory, OrganizationFactory
from haven.programs.models import Program

# Written out here, not read from the code under test: the (kind, role) pairs a second person must approve.
NEEDS_SECOND_PERSON = frozenset(
    {
        (OrganizationKind.CAC, Role.ORG_ADMIN),
        (OrganizationKind.CAC, Role.CLINICIAN),
        (OrganizationKind.NATIONAL_OFFICE, Role.PROGRAM_ADMIN),
    }
)
GRANTERS = sorted((role, kind) for role, kinds in ROLE_ORGANIZATION_KINDS.items() for kind in kinds)
NEW_PASSWORD = "a long and fresh passphrase 42"


@dataclass
class Tree:
    """A national office with a chapter, a CAC with its admin, a CAC without one, and the partners outside."""

    orgs: dict[str, Organization]
    program: Program
    program_admins: list[User]
    cac_admin: User
    case_numbers: count


@pytest.fixture
def tree(db: None, make_member: Callable[..., User]) -> Tree:
    national = NationalOfficeFactory()
    chapter = ChapterFactory(parent=national)
    orgs = {
        "national": national,
        "chapter": chapter,
        "cac": CacFactory(parent=chapter),
        "bare_cac": CacFactory(parent=chapter),
        "funder": OrganizationFactory(kind=OrganizationKind.FUNDER),
        "provider": OrganizationFactory(kind=OrganizationKind.TRAINING_PROVIDER),
        "partner": OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER),
    }
    program = Program.objects.create(
        organization=national, name="Partnership", starts_on=date(2024, 1, 1), ends_on=date(2028, 1, 1)
    )
    result = Tree(
        orgs=orgs,
        program=program,
        program_admins=[make_member(Role.PROGRAM_ADMIN, national) for _ in range(2)],
        cac_admin=make_member(Role.ORG_ADMIN, orgs["cac"]),
        case_numbers=count(1),
    )
    # Both CACs have children in care, so that any membership that reaches them shows it.
    for cac in (orgs["cac"], orgs["bare_cac"]):
        treat(result, cac, make_member(Role.CLINICIAN, cac))
    return result


def treat(tree: Tree, cac: Organization, clinician: User) -> Episode:
    return care_factories.register(
        cac=cac, program=tree.program, clinician=clinician, case_number=f"2025-{next(tree.case_numbers):05d}"
    )


def granter_of(tree: Tree, role: str, kind: str, make_member: Callable[..., User]) -> User:
    if (role, kind) == (Role.PROGRAM_ADMIN, OrganizationKind.NATIONAL_OFFICE):
        return tree.program_admins[0]
    if (role, kind) == (Role.ORG_ADMIN, OrganizationKind.CAC):
        return tree.cac_admin
    home = next(org for name, org in tree.orgs.items() if org.kind == kind and name != "bare_cac")
    return make_member(role, home)


def seen(user: User) -> set[int]:
    """The episodes a person reaches through any of their active memberships."""
    memberships, _chosen = active_membership_for(user, None)
    return {pk for membership in memberships for pk in episodes_for(membership).values_list("pk", flat=True)}


def former_member(tree: Tree, organization: Organization, role: str) -> Membership:
    """Someone who held ``role`` here and lost it; a former clinician of a CAC still has a child in their caseload."""
    user = UserFactory()
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    if (organization.kind, role) == (OrganizationKind.CAC, Role.CLINICIAN):
        treat(tree, organization, user)
    Membership.objects.in_org(organization).filter(pk=membership.pk).update(
        is_active=False, deactivated_at=timezone.now()
    )
    return membership


def invited(granter_client: Client, organization: Organization, role: str, address: str) -> str | None:
    """The path of the invitation link, if the granter could send one."""
    response = granter_client.post(f"/organizations/{organization.pk}/invitations/", {"email": address, "role": role})
    if response.status_code != 302:
        assert response.status_code in (400, 404)
        return None
    message = next(m for m in reversed(mail.outbox) if m.to == [address])
    return urlsplit(next(word for word in message.body.split() if "/account/invitations/" in word)).path


def by_invitation_to_a_newcomer(
    tree: Tree, granter: User, granter_client: Client, organization: Organization, role: str
) -> User | None:
    address = f"newcomer{next(tree.case_numbers)}@example.org"
    link = invited(granter_client, organization, role, address)
    if link is None:
        return None
    form = {"full_name": "New Comer", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert Client().post(link, form).status_code == 302
    return User.objects.get(email=address)


def by_invitation_to_a_former_member(
    tree: Tree, granter: User, granter_client: Client, organization: Organization, role: str
) -> User | None:
    former = former_member(tree, organization, role).user
    link = invited(granter_client, organization, role, former.email)
    if link is None:
        return None
    client = Client()
    client.post("/account/sign-in/", {"email": former.email, "password": PASSWORD})
    assert client.post(link).status_code == 302
    return former


def by_giving_a_role_back(
    tree: Tree, granter: User, granter_client: Client, organization: Organization, role: str
) -> User | None:
    membership = former_member(tree, organization, role)
    response = granter_client.post(f"/organizations/{organization.pk}/members/{membership.pk}/reactivate/")
    assert response.status_code in (302, 404)
    return membership.user if response.status_code == 302 else None


def by_direct_grant(
    tree: Tree, granter: User, granter_client: Client, organization: Organization, role: str
) -> User | None:
    """The service itself, which no page offers: it applies the same rule to whoever calls it."""
    membership = former_member(tree, organization, role)
    services.membership_grant(actor=granter, organization=organization, user=membership.user, role=role)
    return membership.user


PATHS = [by_invitation_to_a_newcomer, by_invitation_to_a_former_member, by_giving_a_role_back, by_direct_grant]


def approve_button(client: Client, organization: Organization, address: str) -> str | None:
    page = client.get(f"/organizations/{organization.pk}/").content.decode()
    for row in re.findall(r"<tr[^>]*data-grant[^>]*>(.*?)</tr>", page, re.S):
        if address in row:
            found = re.search(r'action="([^"]+/approve/)"', row)
            return found.group(1) if found else None
    return None


def second_person(tree: Tree, organization: Organization, granter: User, member: User) -> User:
    """Whom the rule names, read from the rows as they are now: an active admin of the CAC other than the two, else
    an active program admin other than the two."""

    def holders(place: Organization, role: str) -> list[User]:
        rows = Membership.objects.in_org(place).filter(role=role, is_active=True, user__is_active=True)
        return [m.user for m in rows.select_related("user").order_by("pk") if m.user not in (granter, member)]

    admins = holders(organization, Role.ORG_ADMIN) if organization.kind == OrganizationKind.CAC else []
    return (admins or holders(tree.orgs["national"], Role.PROGRAM_ADMIN))[0]


@pytest.mark.parametrize(("granter_role", "granter_kind"), GRANTERS)
def test_what_a_role_grants_sees_no_more_than_it_until_a_second_person_approves(
    granter_role: str, granter_kind: str, tree: Tree, make_member: Callable[..., User]
) -> None:
    granter = granter_of(tree, granter_role, granter_kind, make_member)
    granter_client = sign_in_client(Client(), granter)
    granter_sees = seen(granter)
    by_page = 0
    clients: dict[User, Client] = {}
    for organization in tree.orgs.values():
        for role in sorted(r for r, kinds in ROLE_ORGANIZATION_KINDS.items() if organization.kind in kinds):
            for path in PATHS:
                member = path(tree, granter, granter_client, organization, role)
                if member is None:
                    continue
                by_page += path is not by_direct_grant
                where = (path.__name__, organization.name, organization.kind, role)
                assert seen(member) <= granter_sees, where
                membership = Membership.objects.in_org(organization).get(user=member, role=role)
                if (organization.kind, role) not in NEEDS_SECOND_PERSON:
                    assert membership.is_active, where
                    continue
                assert not membership.is_active, where
                # The granter finds no button to approve it, and the member neither.
                assert approve_button(granter_client, organization, member.email) is None, where

                approver = second_person(tree, organization, granter, member)
                if approver not in clients:
                    clients[approver] = sign_in_client(Client(), approver)
                button = approve_button(clients[approver], organization, member.email)
                assert button is not None, where
                assert granter_client.post(button).status_code == 404, where
                assert clients[approver].post(button).status_code == 302, where
                membership.refresh_from_db()
                assert membership.is_active, where
                expected = set(episodes_for(membership).values_list("pk", flat=True))
                assert seen(member) >= expected, where
    # Admins grant through the pages; no other role can, by any page.
    assert (by_page > 0) == (granter_role in (Role.PROGRAM_ADMIN, Role.ORG_ADMIN))


WRITES = frozenset({"create", "bulk_create", "update_or_create", "get_or_create", "update", "bulk_update", "save"})


def _roots_at_membership(node: ast.expr) -> bool:
    """Whether an expression is ``Membership``/``MembershipGrant`` or a chain of attributes and calls on them."""
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id in ("Membership", "MembershipGrant")


def test_only_the_organizations_services_write_memberships() -> None:
    """No page, command or other app makes or turns on a membership except through ``organizations.services``, where
    the approval rule is (the generator seeds through ``memberships_seed_by_system`` there)."""
    source = Path(haven.__file__).parent
    allowed = {source / "organizations" / "services.py"}
    found = []
    for path in sorted(source.rglob("*.py")):
        if path in allowed or "tests" in path.parts or "migrations" in path.parts or path.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            writes = (
                isinstance(node, ast.Call)
                and (
                    (isinstance(node.func, ast.Name) and node.func.id in ("Membership", "MembershipGrant"))
                    or (
                        isinstance(node.func, ast.Attribute)
                        and node.func.attr in WRITES
                        and _roots_at_membership(node.func.value)
                    )
                )
            ) or (
                isinstance(node, ast.Assign)
                and any(
                    isinstance(target, ast.Attribute)
                    and target.attr == "is_active"
                    and "membership" in ast.unparse(target.value).lower()
                    for target in node.targets
                )
            )
            if writes:
                found.append(f"{path.relative_to(source)}:{node.lineno}")
    assert found == []
