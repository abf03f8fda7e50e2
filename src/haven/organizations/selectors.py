from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Invitation, Membership, Organization
from .roles import OrganizationKind, Role


def active_membership_for(user: Any, chosen_id: int | None) -> tuple[list[Membership], Membership | None]:
    """A user's active memberships, and the one they chose (or the first)."""
    memberships = list(Membership.objects.of_user(user).active().select_related("organization"))
    chosen = next((m for m in memberships if m.pk == chosen_id), None)
    return memberships, chosen or (memberships[0] if memberships else None)


def _tree_below(organization: Organization) -> Q:
    """The organization and what lies under it (the tree is at most three deep)."""
    return Q(pk=organization.pk) | Q(parent_id=organization.pk) | Q(parent__parent_id=organization.pk)


def organizations_visible_to(membership: Membership) -> QuerySet[Organization]:
    """An org admin sees their organization and what lies below it. A program admin sees their national office's
    tree and the program's partners outside any tree (funders, corporate partners, training providers)."""
    own = membership.organization
    visible = _tree_below(own)
    if membership.role == Role.PROGRAM_ADMIN:
        visible |= Q(parent__isnull=True) & ~Q(kind=OrganizationKind.NATIONAL_OFFICE)
    return Organization.objects.filter(visible)


def organization_tree(membership: Membership) -> list[tuple[Organization, int]]:
    """The visible organizations in tree order, each with its depth, and its active member count."""
    organizations = list(
        organizations_visible_to(membership).annotate(
            member_count=Count("membership", filter=Q(membership__is_active=True))
        )
    )
    by_parent: dict[int | None, list[Organization]] = {}
    ids = {org.pk for org in organizations}
    for org in organizations:
        parent = org.parent_id if org.parent_id in ids else None
        by_parent.setdefault(parent, []).append(org)
    ordered: list[tuple[Organization, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for org in sorted(
            by_parent.get(parent, []), key=lambda o: (o.kind != OrganizationKind.NATIONAL_OFFICE, o.name)
        ):
            ordered.append((org, depth))
            walk(org.pk, depth + 1)

    walk(None, 0)
    return ordered


def access_organization(*, membership: Membership, organization_id: int) -> Organization:
    """The organization if the membership may manage it, else 404 (the same answer as a missing one)."""
    if membership.role not in (Role.PROGRAM_ADMIN, Role.ORG_ADMIN):
        raise Http404
    try:
        return organizations_visible_to(membership).get(pk=organization_id)
    except Organization.DoesNotExist:
        raise Http404 from None


def access_membership(*, organization: Organization, membership_id: int) -> Membership:
    try:
        return Membership.objects.select_related("user").get(pk=membership_id, organization=organization)
    except Membership.DoesNotExist:
        raise Http404 from None


def access_invitation(*, organization: Organization, invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(pk=invitation_id, organization=organization)
    except Invitation.DoesNotExist:
        raise Http404 from None


def members_of(organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.in_org(organization).select_related("user").order_by("-is_active", "user__full_name")


def open_invitations_of(organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.in_org(organization).filter(accepted_at__isnull=True, revoked_at__isnull=True)
