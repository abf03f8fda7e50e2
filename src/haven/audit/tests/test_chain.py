"""The audit log's hash chain: appends, the database's refusal to change a row, audit_verify, concurrent writers.

The pure functions of ``haven.audit.chain`` get property tests; the rest goes through the real service, the real
database (SQLite or PostgreSQL) and the management command an auditor runs.
"""

import copy
import gc
import ipaddress
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
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
from haven.audit import services, triggers
from haven.audit.chain import GENESIS_HASH, HASHED_FIELDS, Break, entry_hash, first_break
from haven.audit.context import RequestContext, current
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


def stored_rows() -> list[dict[str, Any]]:
    """The log as audit_verify reads it."""
    return list(AuditEntry.objects.dangerously_unscoped().order_by("seq").values(*HASHED_FIELDS, "hash"))


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
    for row in rows:
        assert row["hash"] == entry_hash({name: row[name] for name in HASHED_FIELDS})
    assert first_break(rows) is None

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
    assert verify() == "Audit chain intact: 3 entries.\n"


def test_an_empty_log_is_intact(db: None) -> None:
    assert verify() == "Audit chain intact: 0 entries.\n"


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
    assert verify() == "Audit chain intact: 2 entries.\n"


# Values an audit entry is made of; ``detail`` holds identifiers and counts, never free text from a person.
identifiers = st.none() | st.integers(min_value=1, max_value=2**63 - 1)
short_text = st.text(st.characters(exclude_characters="\x00"), max_size=64)
json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | short_text
details = st.dictionaries(st.text(st.characters(exclude_characters="\x00"), max_size=20), json_scalars, max_size=4)
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
    row = AuditEntry.objects.dangerously_unscoped().filter(pk=entry.pk).values(*HASHED_FIELDS, "hash").get()
    assert row["hash"] == entry_hash({name: row[name] for name in HASHED_FIELDS})
    assert first_break(stored_rows()) is None


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
    assert first_break(stored_rows()) is None


def test_postgresql_refuses_to_truncate_the_log(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has none")
    record_n(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        # The inserts' deferred foreign-key checks run first; PostgreSQL will not truncate with them pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {TABLE}")
    assert AuditEntry.objects.dangerously_unscoped().count() == 2


# --- audit_verify names the first broken link ------------------------------------------------------------------


@pytest.fixture
def triggers_lifted(db: None) -> Iterator[None]:
    """Lets a test tamper with the log as someone with direct database access could."""
    triggers.dangerously_remove(connection)
    try:
        yield
    finally:
        triggers.install(connection)


def execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    ("column", "value"),
    [("action", "auth.sign_in"), ("detail", '{"n": 7}'), ("target_id", "12"), ("ip", "192.0.2.9")],
)
def test_audit_verify_names_an_altered_entry(column: str, value: str, triggers_lifted: None) -> None:
    record_n(4)
    assert verify() == "Audit chain intact: 4 entries.\n"
    execute(f"UPDATE {TABLE} SET {column} = %s WHERE seq = 2", [value])  # noqa: S608
    with pytest.raises(CommandError) as broken:
        verify()
    assert str(broken.value) == "Audit chain broken: entry #2 does not match its hash (the row was altered)."


def test_audit_verify_names_the_first_of_two_altered_entries(triggers_lifted: None) -> None:
    record_n(5)
    execute(f"UPDATE {TABLE} SET action = %s WHERE seq IN (3, 5)", ["auth.sign_in"])  # noqa: S608
    with pytest.raises(CommandError, match=r"entry #3 does not match its hash \(the row was altered\)"):
        verify()


def test_audit_verify_names_a_removed_entry(triggers_lifted: None) -> None:
    record_n(4)
    execute(f"DELETE FROM {TABLE} WHERE seq = %s", [2])  # noqa: S608
    with pytest.raises(CommandError) as broken:
        verify()
    assert str(broken.value) == "Audit chain broken: entry #2 is missing (a row was removed)."


def test_audit_verify_sees_a_removal_hidden_by_renumbering(triggers_lifted: None) -> None:
    record_n(4)
    execute(f"DELETE FROM {TABLE} WHERE seq = %s", [2])  # noqa: S608
    for seq in (3, 4):
        execute(f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [seq - 1, seq])  # noqa: S608
    with pytest.raises(CommandError) as broken:
        verify()
    assert str(broken.value) == (
        "Audit chain broken: entry #2 does not link to the entry before it (a row was removed or replaced)."
    )


def test_audit_verify_sees_an_altered_entry_even_with_its_hash_recomputed(triggers_lifted: None) -> None:
    """Someone who knows the algorithm rewrites entry #2 and its hash: entry #3 no longer links to it."""
    record_n(4)
    forged = stored_rows()[1] | {"action": "auth.sign_in"}
    forged_hash = entry_hash({name: forged[name] for name in HASHED_FIELDS})
    execute(f"UPDATE {TABLE} SET action = %s, hash = %s WHERE seq = 2", ["auth.sign_in", forged_hash])  # noqa: S608
    with pytest.raises(CommandError) as broken:
        verify()
    assert str(broken.value) == (
        "Audit chain broken: entry #3 does not link to the entry before it (a row was removed or replaced)."
    )


def test_a_failed_verification_leaves_the_connection_usable(triggers_lifted: None) -> None:
    """audit_verify stops at the first break; the rows it had not read must not be left on an open cursor."""
    record_n(3)
    execute(f"UPDATE {TABLE} SET action = %s WHERE seq = 1", ["auth.sign_in"])  # noqa: S608
    with pytest.raises(CommandError, match="entry #1"), transaction.atomic():
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


# --- The chain as pure functions (property tests) -------------------------------------------------------------

offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis attaches the timezone
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC) | offsets,
)
hex_digests = st.text("0123456789abcdef", min_size=64, max_size=64)

# Per hashed field, the values it can hold; ``ip`` is drawn as an address and written as text.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "seq": st.integers(min_value=0, max_value=2**63 - 1),
    "at": moments,
    "actor_id": identifiers,
    "organization_id": identifiers,
    "action": short_text,
    "target_type": short_text,
    "target_id": short_text,
    "detail": details,
    "request_id": request_ids,
    "ip": addresses,
    "prev_hash": hex_digests,
    "hash": hex_digests,
}


def as_stored(field: str, value: Any) -> Any:
    return (str(value) if value is not None else None) if field == "ip" else value


def as_compared(field: str, value: Any) -> Any:
    """Two addresses are the same address whatever their spelling."""
    return ipaddress.ip_address(value) if field == "ip" and value else value


def chained(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as record() makes them: numbered from 1, each linked to the one before."""
    rows, prev_hash = [], GENESIS_HASH
    for seq, content in enumerate(contents, start=1):
        fields = {**content, "seq": seq, "prev_hash": prev_hash}
        prev_hash = entry_hash(fields)
        rows.append({**fields, "hash": prev_hash})
    return rows


entry_contents = st.fixed_dictionaries(
    {
        field: FIELD_VALUES[field].map(lambda value, field=field: as_stored(field, value))
        for field in HASHED_FIELDS
        if field not in ("seq", "prev_hash")
    }
)
chains = st.lists(entry_contents, min_size=1, max_size=8).map(chained)


@given(chains)
def test_a_chain_built_link_by_link_is_intact(rows: list[dict[str, Any]]) -> None:
    assert first_break(rows) is None


@given(st.data())
def test_changing_any_field_of_any_row_breaks_the_chain_at_that_row(data: st.DataObject) -> None:
    rows = data.draw(chains)
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    field = data.draw(st.sampled_from([*HASHED_FIELDS, "hash"]))
    old = rows[index][field]
    new = data.draw(
        FIELD_VALUES[field].filter(lambda value: as_compared(field, as_stored(field, value)) != as_compared(field, old))
    )
    tampered = copy.deepcopy(rows)
    tampered[index][field] = as_stored(field, new)

    # A changed number reads as a gap at the number expected there, which is the row's own.
    reason = {"seq": "missing", "prev_hash": "relinked"}.get(field, "altered")
    assert first_break(tampered) == Break(seq=index + 1, reason=reason)


@given(st.data())
def test_removing_a_row_breaks_the_chain_where_it_was_except_at_the_end(data: st.DataObject) -> None:
    rows = data.draw(chains)
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    shortened = rows[:index] + rows[index + 1 :]
    if index < len(rows) - 1:
        assert first_break(shortened) == Break(seq=index + 1, reason="missing")
    else:
        # Cutting off the newest entries leaves a shorter chain that holds: the chain alone cannot show it.
        # audit_verify prints the count so that it can be compared with an earlier run.
        assert first_break(shortened) is None


@given(st.data())
def test_swapping_two_rows_breaks_the_chain_at_the_first(data: st.DataObject) -> None:
    rows = data.draw(chains.filter(lambda rows: len(rows) >= 2))
    i, j = sorted(data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=2, unique=True)))
    swapped = list(rows)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert first_break(swapped) == Break(seq=i + 1, reason="missing")


@given(entry_contents, st.ip_addresses(), moments)
def test_the_hash_does_not_depend_on_how_the_database_spells_a_time_or_an_address(
    content: dict[str, Any], address: ipaddress.IPv4Address | ipaddress.IPv6Address, at: datetime
) -> None:
    fields = {**content, "seq": 1, "prev_hash": GENESIS_HASH, "at": at}
    spellings = {str(address), address.exploded, address.exploded.upper(), str(address).upper()}
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        spellings.add(f"::ffff:{address.ipv4_mapped}")
    hashes = {entry_hash(fields | {"ip": spelling, "at": at.astimezone(UTC)}) for spelling in spellings}
    assert hashes == {entry_hash(fields | {"ip": str(address)})}


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
    assert first_break(rows) is None
    assert verify() == "Audit chain intact: 100 entries.\n"


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
