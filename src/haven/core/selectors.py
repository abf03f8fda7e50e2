from typing import Any

from django.db.models import Count, Q

from haven.care import selectors as care_selectors
from haven.organizations.models import Invitation, Membership
from haven.organizations.roles import Role
from haven.organizations.selectors import grants_waiting_for, organizations_visible_to
from haven.programs.selectors import programs_visible_to
from haven.training import selectors as training_selectors


def home_summary(*, membership: Membership) -> dict[str, Any]:
    """What the home page shows a membership: its programs; for admins, the people they look after; for a
    clinician, their to-do list (a CAC's admin sees its critical answers waiting)."""
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
        if care_selectors.sees_children(membership):  # a CAC's admin: the CAC's critical answers waiting
            summary["todo"] = care_selectors.todo(membership, measures=False)
        members = Membership.objects.in_org(membership.organization_id)
        summary["members_by_role"] = list(
            members.filter(is_active=True).values("role").annotate(n=Count("id")).order_by("role")
        )
        summary["open_invitations"] = (
            Invitation.objects.in_org(membership.organization_id)
            .filter(Q(accepted_at__isnull=True) & Q(revoked_at__isnull=True))
            .count()
        )
    elif membership.role == Role.CLINICIAN and care_selectors.sees_children(membership):
        summary["todo"] = care_selectors.todo(membership)
        summary["path"] = training_selectors.path_todo(membership)
    return summary
