"""Someone who can write to the database, but holds no audit key, tampers with the log: audit_verify names it.

Each test is one class of tampering, done as that writer would do it: with the triggers lifted and every hash
recomputed by the published algorithm (SHA-256 over the entry's canonical fields), the only one they can compute.
"""

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from haven.audit import services
from haven.audit.chain import HASHED_FIELDS, entry_hash
from haven.audit.models import AuditEntry

TABLE = AuditEntry._meta.db_table


def record_n(count: int) -> None:
    for n in range(count):
        services.record(actor=None, action="auth.sign_in_failed", detail={"n": n})


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def findings() -> list[str]:
    """What audit_verify names, one line per finding; it must fail."""
    with pytest.raises(CommandError) as failed:
        verify()
    header, *lines = str(failed.value).splitlines()
    assert header == "Audit log verification failed:"
    return lines


def row(seq: int) -> dict[str, Any]:
    """Every column of an entry, as a writer reads it."""
    return AuditEntry.objects.dangerously_unscoped().filter(seq=seq).values().get()


def writer_hash(fields: dict[str, Any]) -> str:
    """The best a writer without the key can do: the chain's published hash."""
    return entry_hash({name: fields[name] for name in HASHED_FIELDS})


def execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rechain_from(seq: int) -> None:
    """Recompute ``prev_hash`` and ``hash`` of entry ``seq`` and every later one, as the writer would."""
    prev_hash = row(seq - 1)["hash"] if seq > 1 else "0" * 64
    for later in AuditEntry.objects.dangerously_unscoped().filter(seq__gte=seq).order_by("seq"):
        fields = row(later.seq) | {"prev_hash": prev_hash}
        prev_hash = writer_hash(fields)
        rechained = f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE seq = %s"  # noqa: S608
        execute(rechained, [fields["prev_hash"], prev_hash, later.seq])


def checkpoint() -> str:
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue()


def test_an_intact_log_verifies(db: None) -> None:
    record_n(3)
    assert verify().splitlines()[0] == "Audit log intact: 3 entries, #1 to #3."


def test_a_backdated_entry_appended_with_its_hash_recomputed_is_forged(triggers_lifted: None) -> None:
    record_n(4)
    newest = row(4)
    forged = newest | {
        "seq": 5,
        "at": row(1)["at"] - timedelta(days=3),
        "action": "auth.sign_in",
        "detail": {},
        "prev_hash": newest["hash"],
    }
    del forged["id"]
    forged["hash"] = writer_hash(forged)
    AuditEntry(**forged).save(force_insert=True)
    assert findings() == ["- forged: #5 (no audit key authenticates it: written, or rewritten, without the key)"]


def test_a_middle_entry_edited_and_every_later_hash_recomputed_is_forged(triggers_lifted: None) -> None:
    record_n(5)
    execute(f"UPDATE {TABLE} SET action = %s WHERE seq = 3", ["auth.sign_in"])  # noqa: S608
    rechain_from(3)
    assert findings() == ["- forged: #3 to #5 (no audit key authenticates it: written, or rewritten, without the key)"]


def test_a_middle_entry_edited_in_place_is_altered(triggers_lifted: None) -> None:
    record_n(5)
    execute(f"UPDATE {TABLE} SET detail = %s WHERE seq = 3", ['{"n": 7}'])  # noqa: S608
    assert findings() == ["- altered: #3 (its content no longer matches the MAC it was written with)"]


def test_an_entry_deleted_and_the_rest_renumbered_and_rechained_is_forged(triggers_lifted: None) -> None:
    record_n(5)
    execute(f"DELETE FROM {TABLE} WHERE seq = 3", [])  # noqa: S608
    for seq in (4, 5):
        execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq - 1, seq])  # noqa: S608
    rechain_from(3)
    assert findings() == ["- forged: #3 to #4 (no audit key authenticates it: written, or rewritten, without the key)"]


def test_an_entry_deleted_and_the_rest_renumbered_is_relinked(triggers_lifted: None) -> None:
    record_n(5)
    execute(f"DELETE FROM {TABLE} WHERE seq = 3", [])  # noqa: S608
    for seq in (4, 5):
        execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq - 1, seq])  # noqa: S608
    assert findings() == [
        "- relinked: #3 (the entry written before it is gone: removed or replaced, and the later ones renumbered)"
    ]


def test_an_entry_deleted_leaves_it_missing(triggers_lifted: None) -> None:
    record_n(5)
    execute(f"DELETE FROM {TABLE} WHERE seq IN (2, 3)", [])  # noqa: S608
    assert findings() == ["- missing: #2 to #3 (removed)"]


def test_two_entries_swapped_are_reordered(triggers_lifted: None) -> None:
    record_n(5)
    execute(f"UPDATE {TABLE} SET seq = 100 WHERE seq = 2", [])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = 2 WHERE seq = 3", [])  # noqa: S608
    execute(f"UPDATE {TABLE} SET seq = 3 WHERE seq = 100", [])  # noqa: S608
    assert findings() == ["- reordered: #2 (written after #3), #3 (written after #1), #4 (written after #2)"]


def test_the_newest_entries_deleted_are_truncated_since_the_checkpoint(triggers_lifted: None) -> None:
    record_n(3)
    assert checkpoint().startswith("Checkpoint 1 covers #4")
    record_n(2)
    execute(f"DELETE FROM {TABLE} WHERE seq >= 4", [])  # noqa: S608
    assert findings() == ["- truncated: the log ends at #3, but checkpoint 1 covered #4"]


def test_a_checkpointed_entry_rewritten_with_the_log_rechained_after_it(triggers_lifted: None) -> None:
    record_n(3)
    checkpoint()
    record_n(1)
    execute(f"UPDATE {TABLE} SET action = %s WHERE seq = 2", ["auth.sign_in"])  # noqa: S608
    rechain_from(2)
    assert findings() == [
        "- forged: #2 to #5 (no audit key authenticates it: written, or rewritten, without the key)",
        "- rewritten: #4 is not the entry checkpoint 1 covered",
    ]


def as_parameter(value: Any) -> Any:
    """A column's value as a raw statement takes it (JSON as text)."""
    return json.dumps(value) if isinstance(value, dict) else value


def insert_statement(verb: str, values: dict[str, Any], suffix: str = "") -> tuple[str, list[Any]]:
    columns = list(values)
    sql = f"{verb} INTO {TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}){suffix}"
    return sql, [as_parameter(values[column]) for column in columns]


def all_rows() -> list[dict[str, Any]]:
    return list(AuditEntry.objects.dangerously_unscoped().order_by("seq").values())


@pytest.mark.parametrize(
    ("verb", "same_id"),
    [("INSERT OR REPLACE", True), ("REPLACE", True), ("INSERT OR REPLACE", False), ("REPLACE", False)],
)
def test_sqlite_refuses_to_replace_an_entry(verb: str, same_id: bool, db: None) -> None:
    """REPLACE deletes the row in its way without firing delete triggers: the log must refuse it all the same."""
    if connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    record_n(3)
    before = all_rows()
    replacement = row(2) | {"action": "auth.sign_in"}
    replacement["hash"] = writer_hash(replacement)
    if not same_id:
        del replacement["id"]  # the conflict is then on seq alone
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(*insert_statement(verb, replacement))
    assert all_rows() == before


def test_an_upsert_cannot_overwrite_an_entry(db: None) -> None:
    record_n(3)
    before = all_rows()
    again = row(2)
    del again["id"]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(*insert_statement("INSERT", again, " ON CONFLICT (seq) DO UPDATE SET action = 'auth.sign_in'"))
    assert all_rows() == before


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_a_checkpoint_edited_in_the_file_is_named(checkpoint_file: Path, db: None) -> None:
    record_n(2)
    checkpoint()
    record_n(2)
    checkpoint()
    lines = lines_of(checkpoint_file)
    edited = json.loads(lines[1]) | {"seq": 4}
    checkpoint_file.write_text("\n".join([lines[0], json.dumps(edited)]) + "\n")
    assert findings() == ["- checkpoint file: line 2 is altered (its signature does not verify)"]


def test_a_checkpoint_cut_from_the_middle_of_the_file_is_named(checkpoint_file: Path, db: None) -> None:
    for _ in range(3):
        record_n(1)
        checkpoint()
    lines = lines_of(checkpoint_file)
    checkpoint_file.write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert findings() == [
        "- checkpoint file: checkpoint 3 (line 2) does not follow checkpoint 1 (checkpoints removed or reordered)"
    ]


def test_checkpoints_cut_from_the_end_of_the_file_are_named(checkpoint_file: Path, db: None) -> None:
    for _ in range(3):
        record_n(1)
        checkpoint()
    checkpoint_file.write_text(lines_of(checkpoint_file)[0] + "\n")
    assert findings() == ["- checkpoint file: cut after checkpoint 1: the log records checkpoint 3 (#6)"]


def test_a_checkpoint_file_removed_is_named(checkpoint_file: Path, db: None) -> None:
    record_n(1)
    checkpoint()
    checkpoint_file.unlink()
    assert findings() == ["- checkpoint file: cut: the file holds no checkpoint, but the log records checkpoint 1 (#2)"]
