from typing import Any

from django.db.models import QuerySet

from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.organizations.selectors import organizations_visible_to

from .models import AuditEntry


def audit_entries_for(*, membership: Membership, action: str = "") -> QuerySet[AuditEntry]:
    """What a membership may browse: program admins the whole log, org admins their organization's."""
    entries: Any
    if membership.role == Role.PROGRAM_ADMIN:
        # Everything that happened in the organizations the program admin oversees, and every sign-in event.
        visible = organizations_visible_to(membership).values("pk")
        entries = AuditEntry.objects.in_orgs_or_unowned(visible)
    else:
        member_ids = Membership.objects.in_org(membership.organization_id).values("user_id")
        entries = AuditEntry.objects.visible_to_organization(membership.organization_id, member_ids)
    if action:
        entries = entries.filter(action__startswith=action)
    return entries.select_related("actor", "organization").order_by("-seq")
