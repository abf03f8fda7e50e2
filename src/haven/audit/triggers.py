"""The SQL that makes the audit log append-only, per database vendor.

Each set is installed by one migration: a change needs a new set and a new migration, since old databases keep
the triggers they were given. Every statement can run again over what it made (IF NOT EXISTS, OR REPLACE).
``install`` and ``dangerously_remove`` without sets handle all of them (the test suite's flush, the tamper tests).
"""

from collections.abc import Mapping, Sequence

from django.db.backends.base.base import BaseDatabaseWrapper

Statements = Mapping[str, Sequence[str]]

# Migration 0002: refuse UPDATE and DELETE, and TRUNCATE on PostgreSQL.
APPEND_ONLY: Statements = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_auditentry
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_auditentry
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$""",
        """CREATE OR REPLACE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_auditentry
           FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()""",
        """CREATE OR REPLACE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
           FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()""",
    ],
}
APPEND_ONLY_REMOVE: Statements = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_entry_no_update",
        "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry",
        "DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_auditentry",
        "DROP FUNCTION IF EXISTS audit_entry_refuse_change()",
    ],
}

# Migration 0003: SQLite's REPLACE (INSERT OR REPLACE, REPLACE INTO) deletes the row in its way without firing
# delete triggers (unless recursive_triggers is on, which a writer's own connection need not set). An insert that
# would meet an existing id, seq or hash is refused before any conflict is resolved. (An upsert's DO UPDATE already
# meets the update trigger; PostgreSQL has no REPLACE.)
NO_REPLACE: Statements = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_entry_no_replace BEFORE INSERT ON audit_auditentry
           WHEN EXISTS (SELECT 1 FROM audit_auditentry
                        WHERE id = NEW.id OR seq = NEW.seq OR hash = NEW.hash)
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ],
}
NO_REPLACE_REMOVE: Statements = {"sqlite": ["DROP TRIGGER IF EXISTS audit_entry_no_replace"]}

ALL = (APPEND_ONLY, NO_REPLACE)
ALL_REMOVE = (NO_REPLACE_REMOVE, APPEND_ONLY_REMOVE)


def install(connection: BaseDatabaseWrapper, sets: Sequence[Statements] = ALL) -> None:
    with connection.cursor() as cursor:
        for statements in sets:
            for statement in statements.get(connection.vendor, []):
                cursor.execute(statement)


def dangerously_remove(connection: BaseDatabaseWrapper, sets: Sequence[Statements] = ALL_REMOVE) -> None:
    """Lets rows be altered or deleted. Only the test suite's flush and tamper tests call this."""
    install(connection, sets)
