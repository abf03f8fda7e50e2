"""Writing to the audit log. Every service that reads child-level data, exports or writes calls ``record``."""

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from . import chain
from .context import current
from .models import AuditEntry

# An arbitrary constant naming the PostgreSQL advisory lock that serializes appends to the chain.
_PG_CHAIN_LOCK = 0x4A7E11


def _lock_chain_head() -> None:
    """Make the read of the chain's head and the insert after it one step for concurrent writers.

    SQLite: the connection opens transactions IMMEDIATE (settings), so the write lock is already held.
    PostgreSQL: a transaction-scoped advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])


@transaction.atomic
def record(
    *,
    actor: Any,
    action: str,
    organization: Any = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``detail`` carries identifiers and counts only, never a sensitive value."""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    request = current.get()
    _lock_chain_head()
    head = AuditEntry.objects.dangerously_unscoped().order_by("-seq").values("seq", "hash").first()
    fields: dict[str, Any] = {
        "seq": (head["seq"] + 1) if head else 1,
        "at": timezone.now(),
        "actor_id": getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None,
        "organization_id": getattr(organization, "pk", organization),
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "detail": detail or {},
        "request_id": request.request_id,
        "ip": request.ip,
        "prev_hash": head["hash"] if head else chain.GENESIS_HASH,
    }
    entry = AuditEntry(**fields, hash=chain.entry_hash(fields))
    entry.save(force_insert=True)
    return entry
