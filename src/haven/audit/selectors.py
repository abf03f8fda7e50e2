from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.organizations.selectors import organizations_visible_to
from haven.organizations.tenancy import TenantQuerySet

from . import checkpoints
from .keyring import keyring
from .labels import RECORD_NAMES, action_label, actor_name, detail_items, is_child_level, record_kind
from .models import AuditEntry
from .services import checkpoint_path


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
    record: str  # the record it is about, in words ("" when none)
    details: list[tuple[str, str]]
    organization: str
    ip: str | None


def audit_rows(*, membership: Membership, entries: Iterable[AuditEntry]) -> list[AuditRow]:
    """The entries as ``membership`` may read them: a child-level event names its records only to an admin of the
    organization it belongs to (the CAC); to anyone else (the program admin) it shows no ids, counts only."""
    entries = list(entries)
    shown = {
        entry.seq: not is_child_level(entry.action, entry.target_type, entry.detail)
        or (membership.role == Role.ORG_ADMIN and entry.organization_id == membership.organization_id)
        for entry in entries
    }
    names = _record_names(entry for entry in entries if shown[entry.seq])
    rows = []
    for entry in entries:
        ids = shown[entry.seq]
        rows.append(
            AuditRow(
                seq=entry.seq,
                at=entry.at,
                actor=actor_name(entry),
                action=action_label(entry.action),
                record=_record(entry, names, ids=ids),
                details=detail_items(entry.detail, ids=ids),
                organization=entry.organization.name if entry.organization else "",
                ip=entry.ip,
            )
        )
    return rows


def _record(entry: AuditEntry, names: dict[tuple[str, str], str], *, ids: bool) -> str:
    """ "Cohort “Northeast 2025”", "Enrollment no. 12", or only the kind when its ids are not for this reader."""
    if not entry.target_type:
        return ""
    kind = record_kind(entry.target_type)
    if not ids or not entry.target_id:
        return kind
    if name := names.get((entry.target_type, entry.target_id)):
        return _("%(kind)s “%(name)s”") % {"kind": kind, "name": name}
    return _("%(kind)s no. %(id)s") % {"kind": kind, "id": entry.target_id}


def _record_names(entries: Iterable[AuditEntry]) -> dict[tuple[str, str], str]:
    """The names of the records these entries are about, one query per kind of record that has names. The entries
    are those the reader may see with their ids, so their records are read by id across organizations."""
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.target_type in RECORD_NAMES and entry.target_id.isdigit():
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    names = {}
    for target_type, ids in wanted.items():
        model = apps.get_model(target_type)
        records = model._default_manager.all()
        if isinstance(records, TenantQuerySet):
            records = records.dangerously_unscoped()
        records = records.filter(pk__in=[int(pk) for pk in ids])
        for pk, name in records.values_list("pk", RECORD_NAMES[target_type]):
            if name:
                names[(target_type, str(pk))] = str(name)
    return names


@dataclass(frozen=True)
class CheckpointLag:
    """How far the checkpoints trail the log: when the newest checkpoint was taken (None: never), and since when
    the oldest entry it does not cover has waited (None: every entry is covered)."""

    checkpoint_at: datetime | None
    uncovered_since: datetime | None


def checkpoint_lag() -> CheckpointLag:
    """Reads the checkpoint file's last line and at most one entry (by its unique ``seq``). Raises
    ``checkpoints.CheckpointFileError`` when the file's last line is not a valid checkpoint."""
    newest = checkpoints.newest(checkpoint_path(), keyring().keys)
    covered = newest.seq if newest else 0
    uncovered_since = (
        AuditEntry.objects.dangerously_unscoped()
        .filter(seq__gt=covered)
        .order_by("seq")
        .values_list("at", flat=True)
        .first()
    )
    return CheckpointLag(
        checkpoint_at=datetime.fromisoformat(newest.at) if newest else None, uncovered_since=uncovered_since
    )
