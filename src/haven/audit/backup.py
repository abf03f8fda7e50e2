"""Backing the database up to an encrypted file and restoring it, on SQLite and PostgreSQL.

SQLite: Python's ``sqlite3`` online backup API copies the database page by page into a private temporary file (a
consistent copy while Haven writes), whose rows are counted and which is then encrypted into the backup file.
PostgreSQL: the rows are counted in a read-only repeatable-read transaction whose snapshot ``pg_dump`` then shares
(``--snapshot``), so the counts in the header describe exactly the dumped rows; the custom-format dump streams
through the encryption and never lies on disk in clear. The password goes to ``pg_dump``/``pg_restore`` through
the environment (``PGPASSWORD``), never on their command line.

A restore authenticates the whole file before it touches the target (see ``backup_file``).
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from haven.keys import load_key

from . import backup_file
from .backup_file import BackupFileError, Header

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def backup_key() -> str:
    return load_key("backup", base_dir=settings.BASE_DIR)


def _tool(name: str) -> str:
    found = shutil.which(name) or (str(PG_BIN / name) if (PG_BIN / name).exists() else None)
    if found is None:
        raise BackupFileError(f"{name} is not installed: put PostgreSQL's client tools on PATH.")
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_rows(cursor: Any, tables: Iterable[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - names from the catalogue, quoted
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    return [name for (name,) in rows]


def _applied(tables: Iterable[str], cursor: Any) -> list[str]:
    if "django_migrations" not in set(tables):
        return []
    cursor.execute("SELECT app, name FROM django_migrations")
    return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def _pg_environment(connection: BaseDatabaseWrapper) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the client tools, and their environment holding the password."""
    params = connection.settings_dict
    arguments = []
    if params.get("HOST"):
        arguments += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        arguments += ["--port", str(params["PORT"])]
    if params.get("USER"):
        arguments += ["--username", str(params["USER"])]
    arguments += ["--dbname", str(params["NAME"])]
    environment = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if params.get("PASSWORD"):
        environment["PGPASSWORD"] = str(params["PASSWORD"])
    return arguments, environment


def _private_temp_dir() -> tempfile.TemporaryDirectory[str]:
    # Owner-only (0700): the database in clear lies here between the copy and the encryption.
    return tempfile.TemporaryDirectory(prefix="haven-backup-")


def create(path: Path, *, alias: str = "default", key: str) -> Header:
    """Write an encrypted backup of the database ``alias`` to ``path``; return its header."""
    connection = connections[alias]
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            if connection.vendor == "sqlite":
                header = _sqlite_create(connection, out, key=key)
            elif connection.vendor == "postgresql":
                header = _pg_create(connection, out, key=key)
            else:
                raise BackupFileError(f"Backups of {connection.vendor} are not supported.")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return header


def _sqlite_create(connection: BaseDatabaseWrapper, out: IO[bytes], *, key: str) -> Header:
    with _private_temp_dir() as temp:
        copy = Path(temp) / "copy.sqlite3"
        with (
            closing(sqlite3.connect(connection.settings_dict["NAME"])) as source,
            closing(sqlite3.connect(copy)) as dst,
        ):
            source.backup(dst)
        with closing(sqlite3.connect(copy)) as db:
            # One file, whatever journal mode the source used; counted from the copy itself.
            db.execute("PRAGMA journal_mode=DELETE")
            tables = _sqlite_tables(db)
            cursor = db.cursor()
            header = Header(
                engine="sqlite",
                migrations=_applied(tables, cursor),
                counts=count_rows(cursor, tables),
                created_at=timezone.now().isoformat(),
            )
        with copy.open("rb") as source_file:
            backup_file.write(out, source_file, header=header, key=key)
    return header


def _pg_create(connection: BaseDatabaseWrapper, out: IO[bytes], *, key: str) -> Header:
    arguments, environment = _pg_environment(connection)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = connection.introspection.table_names(cursor)
        header = Header(
            engine="postgresql",
            migrations=_applied(tables, cursor),
            counts=count_rows(cursor, tables),
            created_at=timezone.now().isoformat(),
        )
        command = [_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password", *arguments]
        # Its messages go to a file, not a pipe nobody reads while the dump streams (a full pipe would stall it).
        with (
            tempfile.TemporaryFile() as messages,
            subprocess.Popen(  # noqa: S603 - a fixed tool with arguments from the settings
                command, stdout=subprocess.PIPE, stderr=messages, env=environment
            ) as dump,
        ):
            assert dump.stdout is not None  # noqa: S101 - PIPE asked for
            backup_file.write(out, dump.stdout, header=header, key=key)
            status = dump.wait()
            _raise_on_failure("pg_dump", status, messages)
    return header


# Restore ----------------------------------------------------------------------------------------------------------

# What a bare `migrate` never writes: a database holding any of these holds Haven's data.
DATA_TABLES = ("audit_auditentry", "accounts_user", "organizations_organization")


def target_holds_data(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        for table in DATA_TABLES:
            if table in present:
                cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608 - a constant name
                if cursor.fetchone() is not None:
                    return True
    return False


def unknown_migrations(header: Header) -> list[str]:
    """Migrations the backup's database had that this Haven does not know (a backup made by a newer Haven)."""
    known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    ours = {name.partition(".")[0] for name in known}
    return [name for name in header.migrations if name not in known and name.partition(".")[0] in ours]


def check(path: Path, *, alias: str, key: str, replace: bool) -> Header:
    """Everything that must hold before a restore touches anything; raises ``BackupFileError`` with the reason."""
    header = backup_file.verify(path, key=key)
    vendor = connections[alias].vendor
    if header.engine != vendor:
        raise BackupFileError(
            f"This is a {ENGINES.get(header.engine, header.engine)} backup; this Haven runs on "
            f"{ENGINES.get(vendor, vendor)}. Restore it into a Haven on {ENGINES.get(header.engine, header.engine)}."
        )
    newer = unknown_migrations(header)
    if newer:
        raise BackupFileError(
            f"The backup was made by a newer Haven: this code does not know {len(newer)} of its migrations "
            f"(first {newer[0]}). Restore it with that version."
        )
    if not replace and target_holds_data(connections[alias]):
        raise BackupFileError("The target database already holds data: restore with --replace to overwrite it.")
    return header


def restore(path: Path, *, alias: str = "default", key: str, replace: bool = False) -> Header:
    header = check(path, alias=alias, key=key, replace=replace)
    connection = connections[alias]
    connection.close()
    if header.engine == "sqlite":
        _sqlite_restore(path, connection, key=key)
    else:
        _pg_restore(path, connection, key=key)
    connection.close()
    return header


def _sqlite_restore(path: Path, connection: BaseDatabaseWrapper, *, key: str) -> None:
    with _private_temp_dir() as temp:
        plain = Path(temp) / "restore.sqlite3"
        with plain.open("wb") as out:
            backup_file.decrypt_to(path, out, key=key)
        target = Path(connection.settings_dict["NAME"])
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(plain)) as source, closing(sqlite3.connect(target, timeout=30)) as dst:
            # The backup API writes the target under its own lock: other connections see the old database or the
            # restored one, never half of each.
            source.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")


def _pg_restore(path: Path, connection: BaseDatabaseWrapper, *, key: str) -> None:
    arguments, environment = _pg_environment(connection)
    command = [
        _tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        *arguments,
    ]
    with (
        tempfile.TemporaryFile() as messages,
        subprocess.Popen(  # noqa: S603 - a fixed tool with arguments from the settings
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=messages, env=environment
        ) as load,
    ):
        assert load.stdin is not None  # noqa: S101 - PIPE asked for
        _feed(path, load.stdin, key=key)
        status = load.wait()
        _raise_on_failure("pg_restore", status, messages)


def _raise_on_failure(tool: str, status: int, messages: IO[bytes]) -> None:
    if status != 0:
        messages.seek(0)
        text = messages.read(20_000).decode(errors="replace").strip()
        raise BackupFileError(f"{tool} failed (exit status {status}): {text}")


def _feed(path: Path, stdin: IO[bytes], *, key: str) -> None:
    try:
        backup_file.decrypt_to(path, stdin, key=key)
    except BrokenPipeError:
        pass  # pg_restore stopped early; its exit status and message say why
    finally:
        stdin.close()


def counts_now(alias: str = "default") -> dict[str, int]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return count_rows(cursor, connection.introspection.table_names(cursor))


def count_differences(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    return [
        f"{table}: {found.get(table, 'missing')} rows, the source had {n}"
        for table, n in sorted(expected.items())
        if found.get(table) != n
    ]
