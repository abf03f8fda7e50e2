from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from .models import GrantStatus, Invitation, Membership, MembershipGrant, Organization
from .roles import OrganizationKind, Role


def active_membership_for(user: Any, chosen_id: int | None) -> tuple[list[Membership], Membership | None]:
    """A user's active memberships, and the one they chose (or the first)."""
    memberships = list(Membership.objects.of_user(user).active().select_related("organization"))
    chosen = next((m for m in memberships if m.pk == chosen_id), None)
    return memberships, chosen or (memberships[0] if memberships else None)


def tree_below(organization: Organization | int) -> Q:
    """The organization (or its id) and what lies under it (the tree is at most three deep)."""
    pk = organization if isinstance(organization, int) else organization.pk
    return Q(pk=pk) | Q(parent_id=pk) | Q(parent__parent_id=pk)


def organizations_visible_to(membership: Membership) -> QuerySet[Organization]:
    """An org admin sees their organization and what lies below it. A program admin sees their national office's
    tree and the program's partners outside any tree (funders, corporate partners, training providers)."""
    own = membership.organization
    visible = tree_below(own)
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
    """The organization's memberships, each with the status of its latest grant (None if it never had one)."""
    latest = MembershipGrant.objects.filter(organization=organization, membership=OuterRef("pk")).order_by(
        "-granted_at", "-pk"
    )
    return (
        Membership.objects.in_org(organization)
        .select_related("user")
        .annotate(grant_status=Subquery(latest.values("status")[:1]))
        .order_by("-is_active", "user__full_name")
    )


# --- Who decides a grant (decision 0011) ---------------------------------------------------------------------


def grants_to_decide(membership: Membership) -> QuerySet[MembershipGrant]:
    """The pending grants this membership may approve or decline: the rule of decision 0011, in one place.

    A CAC's active org admin decides the CAC's grants. The program admins of a national office decide a program
    admin's grant there, and a grant at a CAC below it that has no active admin other than the granter and the
    member. Never the granter, never the member, and only through an active membership of an active account.
    """
    organization = membership.organization
    if not (membership.is_active and organization.is_active and membership.user.is_active):
        return MembershipGrant.objects.none()
    if membership.role == Role.ORG_ADMIN and organization.kind == OrganizationKind.CAC:
        grants = MembershipGrant.objects.filter(organization=organization)
    elif membership.role == Role.PROGRAM_ADMIN and organization.kind == OrganizationKind.NATIONAL_OFFICE:
        another_admin = (
            Membership.objects.filter(organization=OuterRef("organization"))
            .active()
            .filter(role=Role.ORG_ADMIN, user__is_active=True)
            .exclude(user=OuterRef("granted_by"))
            .exclude(user=OuterRef("user"))
        )
        office_and_cacs_below = Organization.objects.filter(
            Q(pk=organization.pk) | Q(kind=OrganizationKind.CAC, parent__parent=organization)
        )
        grants = MembershipGrant.objects.filter(organization__in=office_and_cacs_below).filter(
            Q(organization=organization) | ~Exists(another_admin)
        )
    else:
        return MembershipGrant.objects.none()
    me = membership.user_id
    return grants.filter(status=GrantStatus.PENDING).exclude(granted_by_id=me).exclude(user_id=me)


def approvers_of(grant: MembershipGrant) -> list[Membership]:
    """The memberships whose holders may decide ``grant``: the same rule as ``grants_to_decide``, read the other way
    (every admin of the grant's organization and every program admin above it, kept if the rule lets them)."""
    organization = grant.organization
    places = [organization.pk]
    if organization.parent is not None and organization.parent.parent_id is not None:
        places.append(organization.parent.parent_id)
    candidates = (
        Membership.objects.in_orgs(places)
        .active()
        .filter(role__in=[Role.ORG_ADMIN, Role.PROGRAM_ADMIN])
        .select_related("organization", "user")
    )
    return [m for m in candidates if grants_to_decide(m).filter(pk=grant.pk).exists()]


def access_grant_to_decide(*, membership: Membership, organization: Organization, grant_id: int) -> MembershipGrant:
    """A pending grant of this organization that this membership may decide, else 404."""
    grant = (
        grants_to_decide(membership)
        .filter(organization=organization, pk=grant_id)
        .select_related("membership", "user", "granted_by")
        .first()
    )
    if grant is None:
        raise Http404
    return grant


def grants_waiting_for(membership: Membership, organization: Organization | None = None) -> QuerySet[MembershipGrant]:
    """The pending grants waiting for this membership's decision, oldest first (of one organization if given)."""
    grants = grants_to_decide(membership)
    if organization is not None:
        grants = grants.filter(organization=organization)
    return grants.select_related("membership", "user", "granted_by", "organization").order_by("granted_at", "pk")


def memberships_waiting_of(user: Any) -> QuerySet[Membership]:
    """A person's own memberships that wait for a second person's approval."""
    return (
        Membership.objects.of_user(user)
        .filter(is_active=False, grants__status=GrantStatus.PENDING)
        .select_related("organization")
    )


def open_invitations_of(organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.in_org(organization).filter(accepted_at__isnull=True, revoked_at__isnull=True)
