from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.organizations.selectors import organizations_visible_to

from .labels import action_label, actor_name, detail_items, is_child_level
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


@dataclass(frozen=True)
class AuditRow:
    """One entry as the log page shows it to one membership."""

    seq: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    details: list[tuple[str, str]]
    organization: str
    ip: str | None


def audit_rows(*, membership: Membership, entries: Iterable[AuditEntry]) -> list[AuditRow]:
    """The entries as ``membership`` may read them: a child-level event names its records only to an admin of the
    organization it belongs to (the CAC); to anyone else (the program admin) it shows no ids, counts only."""
    rows = []
    for entry in entries:
        ids = not is_child_level(entry.action, entry.target_type, entry.detail) or (
            membership.role == Role.ORG_ADMIN and entry.organization_id == membership.organization_id
        )
        rows.append(
            AuditRow(
                seq=entry.seq,
                at=entry.at,
                actor=actor_name(entry),
                action=action_label(entry.action),
                target_type=entry.target_type,
                target_id=entry.target_id if ids else "",
                details=detail_items(entry.detail, ids=ids),
                organization=entry.organization.name if entry.organization else "",
                ip=entry.ip,
            )
        )
    return rows
