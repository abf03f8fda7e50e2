"""What ``GET /health/`` checks: the database answers, a task worker is running, the audit log is checkpointed.

Each check gives ``ok`` and ages in seconds (ids and ages only: no child data, nothing about a user). A check that
raises is failing, named by its exception's class only (its message could name a host or a file). The limits are
settings: ``HAVEN_HEALTH_WORKER_MAX_SECONDS`` (the worker's last heartbeat), ``HAVEN_HEALTH_QUEUE_MAX_SECONDS`` (the
oldest due task still waiting) and ``HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS`` (the oldest audit entry no checkpoint
covers yet).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from haven.audit.selectors import checkpoint_lag
from haven.core.tasks import last_heartbeat, oldest_waiting

Check = dict[str, Any]


def _age(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else round(max(0.0, (now - since).total_seconds()), 1)


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"ok": one == 1}


def worker() -> Check:
    now = timezone.now()
    heartbeat_age = _age(last_heartbeat(), now)
    waiting_age = _age(oldest_waiting(), now)
    beating = heartbeat_age is not None and heartbeat_age <= settings.HAVEN_HEALTH_WORKER_MAX_SECONDS
    flowing = waiting_age is None or waiting_age <= settings.HAVEN_HEALTH_QUEUE_MAX_SECONDS
    return {"ok": beating and flowing, "heartbeat_age_s": heartbeat_age, "oldest_waiting_s": waiting_age}


def audit_checkpoint() -> Check:
    now = timezone.now()
    lag = checkpoint_lag()
    uncovered_age = _age(lag.uncovered_since, now)
    return {
        "ok": uncovered_age is None or uncovered_age <= settings.HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS,
        "checkpoint_age_s": _age(lag.checkpoint_at, now),
        "uncovered_age_s": uncovered_age,
    }


CHECKS: dict[str, Callable[[], Check]] = {
    "database": database,
    "worker": worker,
    "audit_checkpoint": audit_checkpoint,
}


def health() -> dict[str, Any]:
    """Every check's result, and ``failing``: the names of those not ok."""
    results: dict[str, Check] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 - any failure of a check is what the endpoint reports
            results[name] = {"ok": False, "error": type(error).__name__}
    failing = [name for name, result in results.items() if not result["ok"]]
    return {"status": "failing" if failing else "ok", "failing": failing, **results}
