"""PostgreSQL: the application's own database role can append to the audit log and read it, nothing more.

Migrations run as the role that owns the tables (CI's trusted superuser ``postgres``); ``db_grant_app_role`` grants
the application's role what it needs. Here a separate role is made in the test cluster, granted, and used.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

import haven
from haven.audit.models import AuditEntry

TABLE = AuditEntry._meta.db_table

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's; SQLite has none"
)


@pytest.fixture
def app_role(transactional_db: None) -> Iterator[str]:
    """A login role of its own, per test process (roles belong to the whole cluster), dropped afterwards."""
    role = f"haven_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def connect_as(role: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or None, dbname=settings["NAME"], user=role, autocommit=True
    )


def record_as(role: str, tmp_path: Path, count: int) -> None:
    """``audit.record`` run by the application under its own role, in a process of its own."""
    src = Path(haven.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haven.settings.test",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])),
        "HAVEN_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "HAVEN_TEST_DB_USER": role,
        "HAVEN_TEST_READY_PREFIX": str(tmp_path / "ready-"),
        "HAVEN_TEST_START_FILE": str(tmp_path / "start"),
    }
    (tmp_path / "start").touch()
    writer = subprocess.run(
        [sys.executable, "-m", "haven.audit.tests.concurrent_writer", "0", str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert writer.returncode == 0, writer.stderr


def test_the_application_role_appends_to_the_log_and_cannot_change_it(app_role: str, tmp_path: Path) -> None:
    out = StringIO()
    call_command("db_grant_app_role", app_role, stdout=out)
    assert out.getvalue().startswith(f"Granted {app_role} read and write on ")

    record_as(app_role, tmp_path, 3)
    assert list(AuditEntry.objects.dangerously_unscoped().order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]
    verified = StringIO()
    call_command("audit_verify", stdout=verified)
    assert verified.getvalue().startswith("Audit log intact: 3 entries, #1 to #3.")

    with connect_as(app_role) as app, app.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
        assert cursor.fetchone() == (3,)
        # Everywhere else the application writes as it must.
        cursor.execute("UPDATE organizations_organization SET name = name")
        for refused in (
            f"UPDATE {TABLE} SET action = 'auth.sign_in' WHERE seq = 2",  # noqa: S608
            f"DELETE FROM {TABLE} WHERE seq = 3",  # noqa: S608
            f"TRUNCATE {TABLE}",
            f"INSERT INTO {TABLE} SELECT * FROM {TABLE} WHERE seq = 1 ON CONFLICT (seq) DO UPDATE SET action = 'x'",  # noqa: S608
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f"permission denied for table {TABLE}"):
                cursor.execute(refused)
        # Nor can it lift the triggers that would refuse the same to anyone else.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f"must be owner of table {TABLE}"):
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
    assert AuditEntry.objects.dangerously_unscoped().count() == 3


def test_granting_again_takes_back_what_was_granted_too_much(app_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT ALL ON {TABLE} TO {app_role}")
    call_command("db_grant_app_role", app_role, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s AND table_name = %s"
            " ORDER BY privilege_type",
            [app_role, TABLE],
        )
        assert [privilege for (privilege,) in cursor.fetchall()] == ["INSERT", "SELECT"]


def test_no_grant_is_made_to_a_role_that_could_ignore_it(app_role: str) -> None:
    with pytest.raises(CommandError, match="is a superuser"):
        call_command("db_grant_app_role", "postgres", stdout=StringIO())
    with pytest.raises(CommandError, match="There is no role 'nobody_at_all'"):
        call_command("db_grant_app_role", "nobody_at_all", stdout=StringIO())
