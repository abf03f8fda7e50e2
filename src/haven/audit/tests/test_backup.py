"""Backup and restore: the encrypted file refuses what it must, and a drill restores a backup on each engine.

The drill: a small program (a CAC, its clinicians enrolled in a cohort, completed and open cases recorded through
the services), backed up by ``manage.py backup``, restored by ``manage.py restore`` in a separate process into a
fresh database (as an operator would), then every table of the restored database counted by the test itself and
every ``*_verify`` command run there. SQLite runs it in the normal suite; PostgreSQL in CI's PostgreSQL stage.
"""

import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import haven
from haven.accounts.models import User
from haven.audit import backup, backup_file, triggers
from haven.audit.backup_file import BackupFileError, Header
from haven.audit.management.commands.restore import verify_commands
from haven.audit.models import AuditEntry
from haven.care.tests.factories import completed_case, register, sessions
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.training.tests.factories import enroll, make_cohort, make_program

REPO = Path(haven.__file__).resolve().parents[2]
KEY = "drill-backup-key-0123456789"
HEADER = Header(engine="sqlite", migrations=["audit.0001_initial"], counts={"t": 3}, created_at="2026-01-01T00:00")


# --- The file ------------------------------------------------------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 64 bytes, so a short content spans several and their order and end are exercised."""
    monkeypatch.setattr(backup_file, "CHUNK", 64)


def sealed(content: bytes, *, key: str = KEY, header: Header = HEADER) -> bytes:
    out = io.BytesIO()
    backup_file.write(out, io.BytesIO(content), header=header, key=key)
    return out.getvalue()


def opened(data: bytes, *, key: str = KEY) -> tuple[Header, bytes]:
    handle = io.BytesIO(data)
    found = backup_file.read_header(handle, key=key)
    return found.header, b"".join(backup_file.chunks(handle, found))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=400))
def test_the_content_and_header_come_back_as_written(small_chunks: None, content: bytes) -> None:
    assert opened(sealed(content)) == (HEADER, content)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(min_size=1, max_size=300), data=st.data())
def test_any_altered_byte_is_refused(small_chunks: None, content: bytes, data: st.DataObject) -> None:
    original = sealed(content)
    at = data.draw(st.integers(0, len(original) - 1), label="byte")
    flip = data.draw(st.integers(1, 255), label="xor")
    altered = bytearray(original)
    altered[at] ^= flip
    with pytest.raises(BackupFileError):
        opened(bytes(altered))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300), data=st.data())
def test_a_file_cut_short_or_extended_is_refused(small_chunks: None, content: bytes, data: st.DataObject) -> None:
    original = sealed(content)
    cut = data.draw(st.integers(0, len(original) - 1), label="length kept")
    with pytest.raises(BackupFileError):
        opened(original[:cut])
    with pytest.raises(BackupFileError, match="after its last chunk"):
        opened(original + data.draw(st.binary(min_size=1, max_size=40), label="appended"))


def test_a_wrong_key_is_named_as_such() -> None:
    with pytest.raises(BackupFileError, match="Wrong backup key"):
        opened(sealed(b"rows"), key="another key")


def test_chunks_moved_between_files_or_reordered_are_refused(small_chunks: None) -> None:
    content = bytes(range(200))
    first, second = sealed(content), sealed(content)
    # Same key, same content: each file's salt gives it a key of its own, so the second's body fails under the
    # first's header.
    start = body_start(first)
    with pytest.raises(BackupFileError, match="fails its authentication"):
        opened(first[:start] + second[start:])
    record = 4 + 64 + 16
    swapped = first[:start] + first[start + record : start + 2 * record] + first[start : start + record]
    with pytest.raises(BackupFileError, match="fails its authentication"):
        opened(swapped + first[start + 2 * record :])


def body_start(data: bytes) -> int:
    return len(backup_file.read_header(io.BytesIO(data), key=KEY).preamble)


# --- Refusals before anything is touched -------------------------------------------------------------------------


@pytest.fixture
def backup_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAVEN_BACKUP_KEY", KEY)


def current_counts() -> dict[str, int]:
    return backup.counts_now()


def restore(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def program_data(
    national: Organization, cac: Organization, provider: Organization, make_member: Callable[..., User]
) -> Organization:
    """A small program: two clinicians of a CAC enrolled in a cohort, two completed cases and an open one."""
    program = make_program(national)
    admin = make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Planner")
    trainer = make_member(Role.TRAINER, provider, full_name="Tess Trainer")
    cohort = make_cohort(program=program, actor=admin, trainers=[trainer])
    clinicians = [make_member(Role.CLINICIAN, cac, full_name=name) for name in ("Dana Clinician", "Kim Colleague")]
    for clinician in clinicians:
        enroll(program=program, cac=cac, clinician=clinician, actor=admin, cohort=cohort)
    completed_case(cac=cac, program=program, clinician=clinicians[0], case_number="2025-0001")
    completed_case(cac=cac, program=program, clinician=clinicians[1], case_number="2025-0002")
    sessions(register(cac=cac, program=program, clinician=clinicians[0], case_number="2025-0003"), clinicians[0], 3)
    return cac


@pytest.mark.django_db(transaction=True)
def test_a_wrong_key_an_altered_file_and_the_other_engine_are_refused_before_anything_is_touched(
    program_data: Organization, backup_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "haven.backup"
    call_command("backup", str(path), stdout=StringIO())
    before = current_counts()

    monkeypatch.setenv("HAVEN_BACKUP_KEY", "not the key it was made with")
    with pytest.raises(CommandError, match="Wrong backup key"):
        restore(path, "--replace")
    monkeypatch.setenv("HAVEN_BACKUP_KEY", KEY)

    altered = tmp_path / "altered.backup"
    data = bytearray(path.read_bytes())
    data[body_start(bytes(data[:100_000])) + 4 + 100] ^= 0x01  # a byte of the first chunk's ciphertext
    altered.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="altered or corrupt"):
        restore(altered, "--replace")

    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CommandError, match="truncated"):
        restore(truncated, "--replace")

    other_engine = {"sqlite": "postgresql", "postgresql": "sqlite"}[connection.vendor]
    other = tmp_path / "other.backup"
    other.write_bytes(sealed(b"a dump", header=Header(other_engine, [], {}, "2026-01-01T00:00")))
    with pytest.raises(CommandError, match=f"this Haven runs on {backup.ENGINES[connection.vendor]}"):
        restore(other, "--replace")

    newer = tmp_path / "newer.backup"
    newer.write_bytes(sealed(b"rows", header=Header(connection.vendor, ["audit.9999_future"], {}, "2026-01-01T00:00")))
    with pytest.raises(CommandError, match=r"newer Haven.*audit\.9999_future"):
        restore(newer, "--replace")

    with pytest.raises(CommandError, match="already holds data"):
        restore(path)
    assert current_counts() == before


@pytest.mark.django_db(transaction=True)
def test_a_backup_is_audited_with_counts_only(program_data: Organization, backup_env: None, tmp_path: Path) -> None:
    call_command("backup", str(tmp_path / "haven.backup"), stdout=StringIO())
    entry = AuditEntry.objects.dangerously_unscoped().order_by("-seq").first()
    assert entry is not None
    assert entry.action == "backup.create"
    assert set(entry.detail) == {"engine", "tables", "rows", "bytes"}
    assert entry.detail["rows"] == sum(current_counts().values()) - 1  # all but this entry
    assert KEY not in str(entry.detail)


@pytest.mark.django_db(transaction=True)
def test_a_restore_whose_checks_fail_fails_loudly(program_data: Organization, backup_env: None, tmp_path: Path) -> None:
    """A backup of a tampered log restores, then audit_verify fails and the restore says so."""
    if connection.vendor != "sqlite":
        pytest.skip("restores into the test database in place; the PostgreSQL drill restores into a fresh one")
    triggers.dangerously_remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {AuditEntry._meta.db_table} SET action = 'auth.sign_in' WHERE seq = 2")  # noqa: S608
    finally:
        triggers.install(connection)
    path = tmp_path / "haven.backup"
    call_command("backup", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match=r"(?s)Restore FAILED verification.*audit_verify"):
        restore(path, "--replace")


def test_the_restore_runs_every_verify_command() -> None:
    assert {"audit_verify", "reporting_verify", "served_verify"} <= set(verify_commands())


# --- The drill ---------------------------------------------------------------------------------------------------


def drill(fresh_url: str, read_counts: Callable[[], dict[str, int]], tmp_path: Path) -> None:
    path = tmp_path / "haven.backup"
    source = current_counts()
    call_command("backup", str(path), stdout=StringIO())
    assert KEY.encode() not in path.read_bytes()

    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haven.settings.test",
        "DATABASE_URL": fresh_url,
        "HAVEN_BACKUP_KEY": KEY,
        "HAVEN_KEY_DIR": str(tmp_path / "keys"),
        "HAVEN_AUDIT_CHECKPOINTS": str(tmp_path / "keys" / "audit-checkpoints.jsonl"),
    }
    done = subprocess.run(  # noqa: S603 - this interpreter, this repository's manage.py
        [sys.executable, "manage.py", "restore", str(path)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in verify_commands():
        assert f"{name}: passed." in done.stdout

    restored = read_counts()
    # Every table as the source had it, and one more audit entry: the restore's own.
    assert restored == {**source, AuditEntry._meta.db_table: source[AuditEntry._meta.db_table] + 1}
    assert source[AuditEntry._meta.db_table] > 10
    assert sum(source.values()) > 500

    # A second restore onto the restored database is refused: it holds data now.
    again = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "restore", str(path)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode != 0
    assert "already holds data" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_drill_on_sqlite(program_data: Organization, backup_env: None, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite drill; this run is on PostgreSQL, whose drill is test_drill_on_postgresql")
    fresh = tmp_path / "fresh.sqlite3"

    def read_counts() -> dict[str, int]:
        with closing(sqlite3.connect(fresh)) as db:
            return backup.count_rows(db.cursor(), backup._sqlite_tables(db))

    drill(f"sqlite:///{fresh}", read_counts, tmp_path)


@pytest.fixture
def fresh_postgresql(transactional_db: None) -> Iterator[dict[str, Any]]:
    """An empty database of its own in the test cluster, dropped afterwards."""
    name = f"haven_drill_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    params = connection.settings_dict
    try:
        yield {
            "name": name,
            "url": f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:{params['PORT']}/{name}",
            "connect": {"host": params["HOST"], "port": params["PORT"] or None, "user": params["USER"]},
        }
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.django_db(transaction=True)
def test_drill_on_postgresql(request: pytest.FixtureRequest, backup_env: None, tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL drill runs in CI's PostgreSQL stage (DATABASE_URL=postgres://...); this is SQLite")
    request.getfixturevalue("program_data")
    fresh = request.getfixturevalue("fresh_postgresql")

    def read_counts() -> dict[str, int]:
        with closing(psycopg.connect(dbname=fresh["name"], autocommit=True, **fresh["connect"])) as db:
            cursor = db.cursor()
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return backup.count_rows(cursor, [table for (table,) in cursor.fetchall()])

    drill(fresh["url"], read_counts, tmp_path)
