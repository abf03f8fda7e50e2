"""The audit key: where it comes from, its id, verification across a rotation, and the entries written before it."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

import haven
from haven.audit import services, triggers
from haven.audit.chain import GENESIS_HASH, UNKEYED, entry_hash, entry_mac
from haven.audit.keyring import key_id, keyring
from haven.audit.models import AuditEntry
from haven.keys import load_key, load_old_keys

TABLE = AuditEntry._meta.db_table
FORGED = "(no audit key authenticates it: written, or rewritten, without the key)"


def record_n(count: int) -> None:
    for n in range(count):
        services.record(actor=None, action="auth.sign_in_failed", detail={"n": n})


def run(command: str) -> str:
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def findings() -> list[str]:
    with pytest.raises(CommandError) as failed:
        run("audit_verify")
    return str(failed.value).splitlines()[1:]


# --- Loading the key -----------------------------------------------------------------------------------------


def test_the_audit_key_comes_from_the_environment_or_its_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAVEN_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("HAVEN_AUDIT_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Key 'audit' is missing"):
        load_key("audit", base_dir=tmp_path)
    created = load_key("audit", base_dir=tmp_path, create=True)  # what the demo does
    path = tmp_path / "keys" / "audit.key"
    assert (path.read_text(), path.stat().st_mode & 0o777) == (created + "\n", 0o600)
    assert len(created) >= 64
    assert load_key("audit", base_dir=tmp_path) == created
    monkeypatch.setenv("HAVEN_AUDIT_KEY", "from-the-environment")
    assert load_key("audit", base_dir=tmp_path) == "from-the-environment"


def test_older_audit_keys_come_from_the_environment_or_their_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAVEN_KEY_DIR", str(tmp_path))
    monkeypatch.delenv("HAVEN_AUDIT_KEYS_OLD", raising=False)
    assert load_old_keys("audit", base_dir=tmp_path) == []
    (tmp_path / "audit-old.keys").write_text("second-oldest\n\noldest\n")
    assert load_old_keys("audit", base_dir=tmp_path) == ["second-oldest", "oldest"]
    monkeypatch.setenv("HAVEN_AUDIT_KEYS_OLD", "one, two")
    assert load_old_keys("audit", base_dir=tmp_path) == ["one", "two"]


def test_production_refuses_to_start_without_an_audit_key(tmp_path: Path) -> None:
    src = Path(haven.__file__).resolve().parent.parent
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(src),
        "HAVEN_KEY_DIR": str(tmp_path),
        "HAVEN_SECRET_KEY": "production-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "HAVEN_HMAC_KEY": "production-test-hmac-key",
    }
    loaded = subprocess.run(
        [sys.executable, "-c", "import haven.settings.production"], env=env, capture_output=True, text=True
    )
    assert loaded.returncode != 0
    assert f"Key 'audit' is missing: set HAVEN_AUDIT_KEY or create {tmp_path}/audit.key." in loaded.stderr


def test_a_key_is_named_by_an_id_that_does_not_reveal_it() -> None:
    ids = {key_id(key) for key in ("a", "b", "test-only-audit-key", django_settings.HAVEN_HMAC_KEY)}
    assert len(ids) == 4
    assert all(len(kid) == 12 and set(kid) <= set("0123456789abcdef") for kid in ids)
    assert key_id("a") == key_id("a")


def test_the_audit_key_is_none_of_the_other_keys(settings: Any) -> None:
    keys = keyring()
    assert keys.current not in (settings.SECRET_KEY.encode(), settings.HAVEN_HMAC_KEY.encode())


# --- A rotation ----------------------------------------------------------------------------------------------


def test_entries_and_checkpoints_verify_across_a_rotation_with_the_older_key_kept(
    settings: Any, checkpoint_file: Path, db: None
) -> None:
    settings.HAVEN_AUDIT_KEY, settings.HAVEN_AUDIT_KEYS_OLD = "the first audit key", []
    first = key_id("the first audit key")
    record_n(2)
    run("audit_checkpoint")
    settings.HAVEN_AUDIT_KEY, settings.HAVEN_AUDIT_KEYS_OLD = "the second audit key", ["the first audit key"]
    second = key_id("the second audit key")
    record_n(2)
    run("audit_checkpoint")

    rows = list(AuditEntry.objects.dangerously_unscoped().order_by("seq").values_list("seq", "key_id"))
    assert rows == [(1, first), (2, first), (3, first), (4, second), (5, second), (6, second)]
    lines = [json.loads(line) for line in checkpoint_file.read_text().splitlines()]
    assert [(line["n"], line["key_id"]) for line in lines] == [(1, first), (2, second)]
    assert run("audit_verify").splitlines() == [
        "Audit log intact: 6 entries, #1 to #6.",
        f"Authenticated: 3 with key {first}, 3 with key {second}.",
        f"Checkpoint 2 of {lines[1]['at']} covers #6; 0 entries written since.",
    ]

    # Without the older key, what it authenticated can no longer be told from a forgery.
    settings.HAVEN_AUDIT_KEYS_OLD = []
    assert findings() == [
        f"- forged: #1 to #3 (its key id '{first}' is not among the audit keys)",
        f"- checkpoint file: line 1 names key id '{first}', which is not among the audit keys",
        "- checkpoint file: checkpoint 2 (line 2) does not follow the file's start (checkpoints removed or reordered)",
    ]


@pytest.mark.parametrize("other_key", ["SECRET_KEY", "HAVEN_HMAC_KEY"])
def test_an_entry_authenticated_with_another_of_havens_keys_is_forged(other_key: str, settings: Any, db: None) -> None:
    record_n(2)
    head = AuditEntry.objects.dangerously_unscoped().values().get(seq=2)
    forged = head | {"seq": 3, "at": timezone.now(), "action": "auth.sign_in", "prev_hash": head["hash"]}
    del forged["id"]
    forged["hash"] = entry_mac(forged, key=getattr(settings, other_key).encode())
    AuditEntry(**forged).save(force_insert=True)
    assert findings() == [f"- forged: #3 {FORGED}"]


# --- The entries written before the key ----------------------------------------------------------------------

AUDIT_0002 = [("audit", "0002_append_only")]


def migrate_to(targets: list[tuple[str, str]] | None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_unkeyed_entries_and_the_log_stays_append_only(checkpoint_file: Path) -> None:
    executor = migrate_to(AUDIT_0002)
    try:
        UnkeyedEntry = executor.loader.project_state(AUDIT_0002).apps.get_model("audit", "AuditEntry")
        prev_hash = GENESIS_HASH
        for seq in (1, 2, 3):  # as record() wrote them before the audit key
            fields = {
                "seq": seq,
                "at": timezone.now(),
                "actor_id": None,
                "organization_id": None,
                "action": "auth.sign_in_failed",
                "target_type": "",
                "target_id": "",
                "detail": {"n": seq},
                "request_id": "",
                "ip": "192.0.2.1",
                "prev_hash": prev_hash,
            }
            prev_hash = entry_hash(fields)
            UnkeyedEntry.objects.create(**fields, hash=prev_hash)
    finally:
        migrate_to(None)

    current = keyring().current_id
    rows = list(AuditEntry.objects.dangerously_unscoped().order_by("seq").values_list("seq", "key_id", "action"))
    assert rows == [
        (1, UNKEYED, "auth.sign_in_failed"),
        (2, UNKEYED, "auth.sign_in_failed"),
        (3, UNKEYED, "auth.sign_in_failed"),
        (4, current, "audit.seal"),
    ]
    assert AuditEntry.objects.dangerously_unscoped().get(seq=4).detail == {"unkeyed": 3}
    record_n(1)
    assert run("audit_verify").splitlines()[:2] == [
        "Audit log intact: 5 entries, #1 to #5.",
        f"Authenticated: 3 unkeyed (written before the audit key, sealed by #4), 2 with key {current}.",
    ]

    # On SQLite the new column rebuilt the table: the triggers were put back, the new one with them.
    statements = [f"UPDATE {TABLE} SET action = 'auth.sign_in' WHERE seq = 2", f"DELETE FROM {TABLE} WHERE seq = 5"]  # noqa: S608
    if connection.vendor == "sqlite":
        statements.append(f"INSERT OR REPLACE INTO {TABLE} SELECT * FROM {TABLE} WHERE seq = 1")  # noqa: S608
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)

    # A rewritten unkeyed entry no longer leads to the MAC of the entry that sealed them.
    triggers.dangerously_remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET detail = %s WHERE seq = 3", ['{"n": 9}'])  # noqa: S608
            row = AuditEntry.objects.dangerously_unscoped().values().get(seq=3)
            cursor.execute(f"UPDATE {TABLE} SET hash = %s WHERE seq = 3", [entry_hash(row)])  # noqa: S608
    finally:
        triggers.install(connection)
    assert findings() == [
        "- relinked: #4 (the entry written before it is gone: removed or replaced, and the later ones renumbered)"
    ]
