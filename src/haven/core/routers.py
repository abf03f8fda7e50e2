"""Reporting reads on a PostgreSQL replica (issue 17, item 8; docs/scaling.md).

When ``HAVEN_REPLICA_URL`` names a replica, the settings add a ``replica`` database and this router. It sends to the
replica only the reads that may lag by seconds without being wrong: the kept figure cells and children-served rows
(``LAGGING_MODELS``), which are written in the same transaction as the care records they count, so a replica shows
them as of some earlier commit, never half-written. Everything else, and every write, goes to the primary:

- Records a user has just written (a session, a report asked for) are read back from the primary: a replica's lag
  must not hide a user's own write.
- A read inside a transaction on the primary stays there: a write's keeper reads the cells it is about to change,
  and the quarter's release reads the cells it protects and stores.
- :func:`primary` forces the primary for a block: the ``*_verify`` commands compare kept cells with the raw rows,
  and both must come from the same database.

No figure is cached under a version read from the primary while its rows come from the replica: the care figures
read from the cells are not cached at all (the workforce's, cached under their version, read the primary).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, models, transaction

REPLICA = "replica"
LAGGING_MODELS = frozenset(
    {"reporting.cacell", "reporting.statecell", "reporting.programcell", "reporting.childserved"}
)

_forced: ContextVar[bool] = ContextVar("haven_primary_forced", default=False)


@contextmanager
def primary() -> Iterator[None]:
    """Read everything from the primary inside the block, the lagging models included."""
    token = _forced.set(True)
    try:
        yield
    finally:
        _forced.reset(token)


class PrimaryOnlyRouter:
    """Nothing is migrated on, nor checked against, the replica: it follows the primary's schema by replication. The
    test settings use this router alone beside their mirror of the test database, so that a command's system checks
    never reach the replica's alias."""

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaRouter(PrimaryOnlyRouter):
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        if model._meta.label_lower not in LAGGING_MODELS or _forced.get():
            return DEFAULT_DB_ALIAS
        if transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: a row read from either relates to any other
