from typing import Any

from django.db.models import Count, Q

from haven.organizations.models import Invitation, Membership
from haven.organizations.roles import Role
from haven.organizations.selectors import grants_waiting_for, organizations_visible_to
from haven.programs.selectors import programs_visible_to


def home_summary(*, membership: Membership) -> dict[str, Any]:
    """What the home page shows a membership: its programs and, for admins, the people they look after."""
    summary: dict[str, Any] = {"programs": list(programs_visible_to(membership).prefetch_related_targets())}
    if membership.role in (Role.PROGRAM_ADMIN, Role.ORG_ADMIN):
        summary["grants_waiting"] = list(grants_waiting_for(membership))
    if membership.role == Role.PROGRAM_ADMIN:
        visible = organizations_visible_to(membership).filter(is_active=True)
        summary["organizations_by_kind"] = list(visible.values("kind").annotate(n=Count("id")).order_by("kind"))
        summary["members_by_role"] = list(
            Membership.objects.in_orgs(visible.values("pk"))
            .filter(is_active=True)
            .values("role")
            .annotate(n=Count("id"))
            .order_by("role")
        )
    elif membership.role == Role.ORG_ADMIN:
        members = Membership.objects.in_org(membership.organization_id)
        summary["members_by_role"] = list(
            members.filter(is_active=True).values("role").annotate(n=Count("id")).order_by("role")
        )
        summary["open_invitations"] = (
            Invitation.objects.in_org(membership.organization_id)
            .filter(Q(accepted_at__isnull=True) & Q(revoked_at__isnull=True))
            .count()
        )
    return summary
