"""The audit log's chain: appends, the database's refusal to change a row, audit_verify, concurrent writers.

These go through the real service, the real database (SQLite or PostgreSQL) and the management command an auditor
runs; the pure verification gets its property tests in ``test_verify.py``, tampering its cases in
``test_tampering.py``.
"""

import gc
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import haven
from haven.accounts.models import User
from haven.audit import chain, services, triggers
from haven.audit.chain import GENESIS_HASH, entry_mac
from haven.audit.context import RequestContext, current
from haven.audit.keyring import keyring
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role

TABLE = AuditEntry._meta.db_table


@contextmanager
def request_context(*, request_id: str, ip: str | None) -> Iterator[None]:
    """What RequestContextMiddleware sets for the length of a request."""
    token = current.set(RequestContext(request_id=request_id, ip=ip))
    try:
        yield
    finally:
        current.reset(token)


COLUMNS = (*chain.HASHED_FIELDS, "key_id", "hash")


def stored_rows() -> list[dict[str, Any]]:
    """The log as audit_verify reads it."""
    return list(AuditEntry.objects.dangerously_unscoped().order_by("seq").values(*COLUMNS))


def intact(rows: list[dict[str, Any]]) -> bool:
    return chain.verify(rows, keys=keyring().keys).intact


def verify_fails() -> str:
    with pytest.raises(CommandError) as failed:
        verify()
    return str(failed.value)


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def record_n(count: int) -> list[AuditEntry]:
    return [services.record(actor=None, action="auth.sign_in_failed", detail={"n": n}) for n in range(count)]


# --- Appending -------------------------------------------------------------------------------------------------


def test_record_appends_entries_linked_one_to_the_next(cac: Organization, make_member: Callable[..., User]) -> None:
    admin = make_member(Role.ORG_ADMIN, cac)
    with request_context(request_id="a" * 32, ip="203.0.113.7"):
        first = services.record(actor=admin, action="organization.create", organization=cac, target=cac)
        second = services.record(actor=None, action="auth.sign_in_failed", detail={"known_user": False})
    third = services.record(actor=admin, action="membership.create", organization=cac.pk, target_id=42)

    rows = stored_rows()
    assert [row["seq"] for row in rows] == [1, 2, 3]
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert rows[1]["prev_hash"] == rows[0]["hash"] == first.hash
    assert rows[2]["prev_hash"] == rows[1]["hash"] == second.hash
    assert rows[2]["hash"] == third.hash
    keys = keyring()
    for row in rows:
        assert row["key_id"] == keys.current_id
        assert row["hash"] == entry_mac(row, key=keys.current)
    assert intact(rows)

    assert {key: rows[0][key] for key in ("actor_id", "organization_id", "action", "target_type", "target_id")} == {
        "actor_id": admin.pk,
        "organization_id": cac.pk,
        "action": "organization.create",
        "target_type": "organizations.organization",
        "target_id": str(cac.pk),
    }
    assert (rows[0]["request_id"], rows[0]["ip"]) == ("a" * 32, "203.0.113.7")
    assert (rows[1]["actor_id"], rows[1]["organization_id"], rows[1]["detail"]) == (None, None, {"known_user": False})
    # Outside a request there is no request id or address.
    assert (rows[2]["request_id"], rows[2]["ip"], rows[2]["target_id"]) == ("", None, "42")
    assert verify().splitlines()[:2] == [
        "Audit log intact: 3 entries, #1 to #3.",
        f"Authenticated: 3 with key {keys.current_id}.",
    ]


def test_an_empty_log_is_intact(db: None) -> None:
    assert verify() == (
        "Audit log intact: 0 entries.\n"
        "No checkpoint yet: the newest entries could be removed unnoticed until one is taken "
        "(manage.py audit_checkpoint).\n"
    )


# Every spelling a client address can arrive in; the column does not keep the spelling (see chain.canonical_ip).
ADDRESS_SPELLINGS = [
    "198.51.100.23",
    "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "::ffff:192.0.2.1",
    "::FFFF:C000:0201",
    "::192.0.2.1",
    "fe80::1:0:0:0:1",
    "",
]


@pytest.mark.parametrize("ip", ADDRESS_SPELLINGS)
def test_entries_from_any_client_address_verify(ip: str, db: None) -> None:
    with request_context(request_id="b" * 32, ip=ip):
        services.record(actor=None, action="auth.sign_in_failed")
        services.record(actor=None, action="auth.sign_in_failed")
    assert verify().startswith("Audit log intact: 2 entries, #1 to #2.\n")


# Values an audit entry is made of; ``detail`` holds identifiers and counts, never free text from a person.
identifiers = st.none() | st.integers(min_value=1, max_value=2**63 - 1)
# Text a request can carry: no NUL, and no lone surrogate (not UTF-8; PostgreSQL refuses it, found by this test).
characters = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
short_text = st.text(characters, max_size=64)
json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | short_text
details = st.dictionaries(st.text(characters, max_size=20), json_scalars, max_size=4)
request_ids = st.text("0123456789abcdef", max_size=32)
addresses = st.none() | st.ip_addresses()
address_spellings = st.none() | st.ip_addresses().flatmap(
    lambda a: st.sampled_from([str(a), a.exploded, a.exploded.upper(), str(a).upper()])
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ip=address_spellings,
    request_id=request_ids,
    detail=details,
    target_type=short_text,
    target_id=short_text,
)
def test_whatever_record_writes_reads_back_intact(
    ip: str | None, request_id: str, detail: dict[str, Any], target_type: str, target_id: str
) -> None:
    with request_context(request_id=request_id, ip=ip):
        entry = services.record(
            actor=None, action="test.any", target_type=target_type, target_id=target_id, detail=detail
        )
    row = AuditEntry.objects.dangerously_unscoped().filter(pk=entry.pk).values(*COLUMNS).get()
    assert row["hash"] == entry_mac(row, key=keyring().current)
    assert intact(stored_rows())


# --- The database refuses changes ------------------------------------------------------------------------------


def orm_save(entry: AuditEntry) -> None:
    entry.action = "auth.sign_out"
    entry.save()


def base_manager_save(entry: AuditEntry) -> None:
    row = AuditEntry._base_manager.get(pk=entry.pk)
    row.detail = {"n": 99}
    row.save(update_fields=["detail"])


def queryset_update(entry: AuditEntry) -> None:
    AuditEntry.objects.dangerously_unscoped().filter(pk=entry.pk).update(action="auth.sign_out")


def bulk_update(entry: AuditEntry) -> None:
    entry.action = "auth.sign_out"
    AuditEntry.objects.dangerously_unscoped().bulk_update([entry], ["action"])


def instance_delete(entry: AuditEntry) -> None:
    entry.delete()


def queryset_delete(entry: AuditEntry) -> None:
    AuditEntry.objects.dangerously_unscoped().filter(pk=entry.pk).delete()


def raw_update(entry: AuditEntry) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["auth.sign_out", entry.pk])  # noqa: S608


def raw_delete(entry: AuditEntry) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])  # noqa: S608


def raw_delete_all(entry: AuditEntry) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608


@pytest.mark.parametrize(
    "change",
    [
        orm_save,
        base_manager_save,
        queryset_update,
        bulk_update,
        instance_delete,
        queryset_delete,
        raw_update,
        raw_delete,
        raw_delete_all,
    ],
)
def test_the_database_refuses_to_change_or_remove_an_entry(change: Callable[[AuditEntry], None], db: None) -> None:
    entries = record_n(3)
    before = stored_rows()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(entries[1])
    assert stored_rows() == before
    assert intact(stored_rows())


def test_postgresql_refuses_to_truncate_the_log(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has none")
    record_n(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        # The inserts' deferred foreign-key checks run first; PostgreSQL will not truncate with them pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {TABLE}")
    assert AuditEntry.objects.dangerously_unscoped().count() == 2


# --- audit_verify names what it finds (the classes of tampering: test_tampering.py) ------------------------------

FAILED = "Audit log verification failed:\n"
ALTERED = "(its content no longer matches the MAC it was written with)"
FORGED = "(no audit key authenticates it: written, or rewritten, without the key)"


def execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "auth.sign_in"),
        ("detail", '{"n": 7}'),
        ("target_id", "12"),
        ("ip", "192.0.2.9"),
        ("prev_hash", "f" * 64),
        ("at", "2020-01-01 00:00:00"),
        ("key_id", "sha256"),
    ],
)
def test_audit_verify_names_an_altered_entry(column: str, value: str, triggers_lifted: None) -> None:
    record_n(4)
    assert verify().startswith("Audit log intact: 4 entries")
    execute(f"UPDATE {TABLE} SET {column} = %s WHERE seq = 2", [value])  # noqa: S608
    expected = "- forged: #2 (unkeyed, after keyed entries began)" if column == "key_id" else f"- altered: #2 {ALTERED}"
    assert verify_fails() == FAILED + expected


def test_audit_verify_names_every_altered_entry(triggers_lifted: None) -> None:
    record_n(6)
    execute(f"UPDATE {TABLE} SET action = %s WHERE seq IN (2, 4, 5)", ["auth.sign_in"])  # noqa: S608
    # #5 is vouched for by #6, which links to the MAC it carries; #4 by nothing authentic (#5 is altered itself).
    assert verify_fails() == FAILED + f"- altered: #2, #5 {ALTERED}\n- forged: #4 {FORGED}"


def test_audit_verify_names_an_entry_rewritten_with_its_hash_recomputed(triggers_lifted: None) -> None:
    """Someone who knows the published hash rewrites entry #2 and its hash: nothing authenticates it any more."""
    record_n(4)
    forged = stored_rows()[1] | {"action": "auth.sign_in"}
    forged_hash = chain.entry_hash(forged)
    execute(f"UPDATE {TABLE} SET action = %s, hash = %s WHERE seq = 2", ["auth.sign_in", forged_hash])  # noqa: S608
    assert verify_fails() == FAILED + f"- forged: #2 {FORGED}"


def test_a_failed_verification_leaves_the_connection_usable(triggers_lifted: None) -> None:
    """audit_verify reads the log through a cursor: it must not be left open for the garbage collector."""
    record_n(3)
    execute(f"UPDATE {TABLE} SET action = %s WHERE seq = 1", ["auth.sign_in"])  # noqa: S608
    with pytest.raises(CommandError, match="altered: #1"), transaction.atomic():
        verify()
    gc.collect()  # whatever the command left behind is cleaned up now, in the test's transaction
    assert services.record(actor=None, action="auth.sign_out").seq == 4


def test_the_triggers_come_back_after_tampering(db: None) -> None:
    entry = record_n(1)[0]
    triggers.dangerously_remove(connection)
    try:
        queryset_update(entry)
    finally:
        triggers.install(connection)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        queryset_update(entry)


# --- Several processes writing at once -------------------------------------------------------------------------

WRITERS = 4
ENTRIES_PER_WRITER = 25


@pytest.mark.django_db(transaction=True)
def test_the_chain_stays_intact_with_several_processes_writing_at_once(tmp_path: Path) -> None:
    assert AuditEntry.objects.dangerously_unscoped().count() == 0
    src = Path(haven.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haven.settings.test",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])),
        "HAVEN_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "HAVEN_TEST_READY_PREFIX": str(tmp_path / "ready-"),
        "HAVEN_TEST_START_FILE": str(tmp_path / "start"),
    }
    command = [sys.executable, "-m", "haven.audit.tests.concurrent_writer"]
    writers = [
        subprocess.Popen(
            [*command, str(writer), str(ENTRIES_PER_WRITER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for writer in range(WRITERS)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("ready-*"))) < WRITERS and time.monotonic() < deadline:
            if any(writer.poll() is not None for writer in writers):
                break
            time.sleep(0.01)
        (tmp_path / "start").touch()
        outcomes = [writer.communicate(timeout=120) for writer in writers]
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
    for writer, (_out, err) in zip(writers, outcomes, strict=True):
        assert writer.returncode == 0, err.decode()

    rows = stored_rows()
    assert [row["seq"] for row in rows] == list(range(1, WRITERS * ENTRIES_PER_WRITER + 1))
    for writer in range(WRITERS):
        # Each writer's entries, in the order of the chain, are its own in the order it wrote them.
        assert [row["detail"]["n"] for row in rows if row["detail"]["writer"] == writer] == list(
            range(ENTRIES_PER_WRITER)
        )
    assert intact(rows)
    assert verify().startswith("Audit log intact: 100 entries, #1 to #100.\n")


@pytest.mark.django_db(transaction=True)
def test_the_test_suite_flush_empties_the_log_and_puts_the_triggers_back() -> None:
    """Transactional tests are cleaned up by ``flush``; it must get past the triggers and restore them."""
    record_n(3)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.dangerously_unscoped().count() == 0
    entry = record_n(1)[0]
    assert entry.seq == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        queryset_delete(entry)
    assert AuditEntry.objects.dangerously_unscoped().count() == 1


def test_flush_is_refused_outside_the_test_suite(db: None) -> None:
    record_n(2)
    with override_settings(HAVEN_ALLOW_AUDIT_FLUSH=False), pytest.raises(CommandError) as refused:
        call_command("flush", interactive=False, verbosity=0)
    assert str(refused.value) == "Refused: flushing would erase the append-only audit log."
    assert AuditEntry.objects.dangerously_unscoped().count() == 2
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        queryset_delete(AuditEntry.objects.dangerously_unscoped().get(seq=1))
