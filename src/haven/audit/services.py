"""Writing to the audit log. Every service that reads child-level data, exports or writes calls ``record``."""

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone

from . import chain, checkpoints
from .context import current
from .keyring import keyring
from .labels import VIA
from .models import AuditEntry

logger = logging.getLogger(__name__)

# An arbitrary constant naming the PostgreSQL advisory lock that serializes appends to the chain.
_PG_CHAIN_LOCK = 0x4A7E11
# Present in the cache while this process (or, with a shared cache, every process) has a checkpoint scheduled.
_CHECKPOINT_SCHEDULED = "haven:audit:checkpoint-scheduled"


def _lock_chain_head() -> None:
    """Make the read of the chain's head and the insert after it one step for concurrent writers.

    SQLite: the connection opens transactions IMMEDIATE (settings), so the write lock is already held.
    PostgreSQL: a transaction-scoped advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK])


@transaction.atomic(savepoint=False)
def entry_append(*, model: type[models.Model] = AuditEntry, **content: Any) -> Any:
    """Append one entry with ``content`` (every field but the chain's), authenticated with the current audit key.

    In the writer's transaction without a savepoint of its own: an append that fails fails the write it records
    (nothing may go on without its entry), and a write's entries cost no two more round trips each on PostgreSQL.

    ``model`` is a migration's historical model when a migration appends: 0003 seals the unkeyed entries with it,
    so this must keep working with the fields that model has.
    """
    keys = keyring()
    _lock_chain_head()
    head = model._base_manager.order_by("-seq").values("seq", "hash").first()
    fields: dict[str, Any] = {
        **content,
        "seq": (head["seq"] + 1) if head else 1,
        "prev_hash": head["hash"] if head else chain.GENESIS_HASH,
        "key_id": keys.current_id,
    }
    entry = model(**fields, hash=chain.entry_mac(fields, key=keys.current))
    entry.save(force_insert=True)
    return entry


def record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
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
    entry: AuditEntry = entry_append(
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None,
        organization_id=getattr(organization, "pk", organization),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=_with_via(detail or {}),
        request_id=request.request_id,
        ip=request.ip,
    )
    if settings.HAVEN_AUDIT_CHECKPOINT_EVERY:
        transaction.on_commit(_schedule_checkpoint, robust=True)
    return entry


def _with_via(detail: dict[str, Any]) -> dict[str, Any]:
    """``detail`` with the task or command at work under ``VIA`` (its name, not a sensitive value), if any."""
    via = current.get().via
    return {**detail, VIA: via} if via else detail


def _schedule_checkpoint() -> None:
    """Enqueue a checkpoint at most once per interval (per process, or per deployment with a shared cache)."""
    if cache.add(_CHECKPOINT_SCHEDULED, True, timeout=settings.HAVEN_AUDIT_CHECKPOINT_EVERY):
        from .tasks import checkpoint_audit_log

        checkpoint_audit_log.enqueue()


def checkpoint_path() -> Path:
    return Path(settings.HAVEN_AUDIT_CHECKPOINTS)


def checkpoint_write(*, if_new: bool = False) -> chain.Checkpoint | None:
    """Record a checkpoint in the log, then append a signed checkpoint covering that entry to the file.

    With ``if_new``, nothing is written when the newest checkpoint still covers the log's head. Call it outside a
    transaction: the checkpoint must name a committed entry.
    """
    keys = keyring()
    with checkpoints.appending(checkpoint_path(), keys.keys) as journal:
        last = journal.last
        if if_new:
            head = AuditEntry.objects.dangerously_unscoped().order_by("-seq").values_list("seq", flat=True).first()
            if head is None or (last is not None and last.seq == head):
                return None
        n = last.n + 1 if last else 1
        entry = entry_append(
            at=timezone.now(),
            actor_id=None,
            organization_id=None,
            action=chain.CHECKPOINT_ACTION,
            target_type="",
            target_id="",
            detail=_with_via({"checkpoint": n}),
            request_id=current.get().request_id,
            ip=current.get().ip,
        )
        checkpoint = checkpoints.make(
            n=n,
            seq=entry.seq,
            hash=entry.hash,
            key_id=keys.current_id,
            key=keys.current,
            prev=last.sig if last else chain.GENESIS_HASH,
            at=entry.at,
        )
        journal.append(checkpoint)
    logger.info("Audit checkpoint %s covers entry #%s.", checkpoint.n, checkpoint.seq)
    return checkpoint
