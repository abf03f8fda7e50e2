"""The verification of the chain and of the checkpoint file, as pure functions: property tests.

A random log (unkeyed entries first, then entries under one key and, after a rotation, another), one random
tampering by someone without the keys, and what ``chain.verify`` names: exactly the findings the tampering calls for.
"""

import copy
import ipaddress
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.audit import checkpoints
from haven.audit.chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    MAC_FIELDS,
    UNKEYED,
    Checkpoint,
    entry_hash,
    entry_mac,
    verify,
)

OLD, NEW, GONE = "0123456789ab", "ba9876543210", "feedfacecafe"
KEYS = {OLD: b"the key before the rotation", NEW: b"the key after it"}
# Building a log computes a MAC per entry: on a busy machine that can look like slow input generation.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALTERED = "(its content no longer matches the MAC it was written with)"
FORGED = "(no audit key authenticates it: written, or rewritten, without the key)"

# Values an audit entry is made of; ``detail`` holds identifiers and counts, never free text from a person.
identifiers = st.none() | st.integers(min_value=1, max_value=2**63 - 1)
# Text a request can carry: no NUL, and no lone surrogate (not UTF-8; PostgreSQL refuses it, found by this test).
characters = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
short_text = st.text(characters, max_size=64)
json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | short_text
details = st.dictionaries(st.text(characters, max_size=20), json_scalars, max_size=4)
request_ids = st.text("0123456789abcdef", max_size=32)
addresses = st.none() | st.ip_addresses()
offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis attaches the timezone
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC) | offsets,
)
hex_digests = st.text("0123456789abcdef", min_size=64, max_size=64)

# Per field of an entry's content, the values it can hold; ``ip`` is drawn as an address and written as text.
CONTENT_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "at": moments,
    "actor_id": identifiers,
    "organization_id": identifiers,
    "action": short_text,
    "target_type": short_text,
    "target_id": short_text,
    "detail": details,
    "request_id": request_ids,
    "ip": addresses,
}


def as_stored(field: str, value: Any) -> Any:
    return (str(value) if value is not None else None) if field == "ip" else value


def as_compared(field: str, value: Any) -> Any:
    """Two addresses are the same address whatever their spelling, two moments the same whatever their zone."""
    if field == "ip" and value:
        return ipaddress.ip_address(value)
    return value.astimezone(UTC) if isinstance(value, datetime) else value


entry_contents = st.fixed_dictionaries(
    {name: values.map(lambda value, name=name: as_stored(name, value)) for name, values in CONTENT_VALUES.items()}
)


def chained(contents: list[dict[str, Any]], key_ids: list[str]) -> list[dict[str, Any]]:
    """Rows as ``append`` makes them: numbered from 1, each linked to the one before, under the key named."""
    rows, prev_hash = [], GENESIS_HASH
    for seq, (content, key_id) in enumerate(zip(contents, key_ids, strict=True), start=1):
        fields = {**content, "seq": seq, "prev_hash": prev_hash, "key_id": key_id}
        prev_hash = entry_hash(fields) if key_id == UNKEYED else entry_mac(fields, key=KEYS[key_id])
        rows.append({**fields, "hash": prev_hash})
    return rows


@st.composite
def logs(draw: st.DrawFn, *, unkeyed: int | None = None, min_size: int = 1) -> list[dict[str, Any]]:
    """A log of keyed entries, rotated from OLD to NEW somewhere, after ``unkeyed`` unkeyed ones (any number by
    default, never only unkeyed)."""
    contents = draw(st.lists(entry_contents, min_size=max(min_size, (unkeyed or 0) + 1), max_size=8))
    size = len(contents)
    first_keyed = draw(st.integers(0, size - 1)) if unkeyed is None else unkeyed
    rotation = draw(st.integers(first_keyed, size))
    key_ids = [UNKEYED] * first_keyed + [OLD] * (rotation - first_keyed) + [NEW] * (size - rotation)
    return chained(contents, key_ids)


def keyed_logs(min_size: int = 1) -> st.SearchStrategy[list[dict[str, Any]]]:
    return logs(unkeyed=0, min_size=min_size)


def locator(rows: list[dict[str, Any]]) -> Callable[[str], int | None]:
    where = {row["hash"]: row["seq"] for row in rows}
    return where.get


def found(rows: list[dict[str, Any]], checkpoints: tuple[Checkpoint, ...] = ()) -> list[str]:
    """What verification names, the rows taken in ``seq`` order as the database hands them."""
    rows = sorted(rows, key=lambda row: row["seq"])
    return verify(rows, keys=KEYS, checkpoints=checkpoints, locate=locator(rows)).findings()


def renumbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row | {"seq": seq} for seq, row in enumerate(rows, start=1)]


def writer_rechained(rows: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    """Rows from index ``start`` given new links and hashes by the published hash, the best a writer can do."""
    rows = copy.deepcopy(rows)
    for index in range(start, len(rows)):
        rows[index]["prev_hash"] = rows[index - 1]["hash"] if index else GENESIS_HASH
        rows[index]["hash"] = entry_hash(rows[index])
    return rows


def seqs(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first} to #{last}"


# --- An intact log -------------------------------------------------------------------------------------------


@relaxed
@given(logs())
def test_a_log_built_entry_by_entry_verifies(rows: list[dict[str, Any]]) -> None:
    report = verify(rows, keys=KEYS, locate=locator(rows))
    assert report.findings() == []
    assert (report.entries, report.first_seq, report.last_seq) == (len(rows), 1, len(rows))
    unkeyed = sum(row["key_id"] == UNKEYED for row in rows)
    assert report.sealed_by == (unkeyed + 1 if unkeyed else None)
    assert report.by_key == {key_id: sum(row["key_id"] == key_id for row in rows) for key_id in report.by_key}


@relaxed
@given(entry_contents, st.ip_addresses(), moments)
def test_the_mac_does_not_depend_on_how_the_database_spells_a_time_or_an_address(
    content: dict[str, Any], address: ipaddress.IPv4Address | ipaddress.IPv6Address, at: datetime
) -> None:
    fields = {**content, "prev_hash": GENESIS_HASH, "key_id": NEW, "at": at}
    spellings = {str(address), address.exploded, address.exploded.upper(), str(address).upper()}
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        spellings.add(f"::ffff:{address.ipv4_mapped}")
    macs = {entry_mac(fields | {"ip": spelling, "at": at.astimezone(UTC)}, key=KEYS[NEW]) for spelling in spellings}
    assert macs == {entry_mac(fields | {"ip": str(address)}, key=KEYS[NEW])}


# --- One tampering, and what it is named ---------------------------------------------------------------------


@relaxed
@given(st.data())
def test_an_entry_changed_in_place_is_altered_or_with_nothing_after_it_forged(data: st.DataObject) -> None:
    rows = data.draw(logs())
    index = data.draw(st.integers(0, len(rows) - 1))
    field = data.draw(st.sampled_from([*CONTENT_VALUES, "prev_hash", "key_id"]))
    old = rows[index][field]
    if field == "prev_hash":
        new = data.draw(hex_digests.filter(lambda value: value != old))
    elif field == "key_id":
        new = data.draw(st.sampled_from([key_id for key_id in (OLD, NEW, UNKEYED) if key_id != old]))
    else:
        values = CONTENT_VALUES[field].map(lambda value: as_stored(field, value))
        new = data.draw(values.filter(lambda value: as_compared(field, value) != as_compared(field, old)))
    tampered = copy.deepcopy(rows)
    tampered[index][field] = new

    seq, keyed_before = index + 1, any(row["key_id"] != UNKEYED for row in rows[:index])
    if new == UNKEYED and keyed_before:
        expected = [f"forged: #{seq} (unkeyed, after keyed entries began)"]
    elif seq < len(rows):
        expected = [f"altered: #{seq} {ALTERED}"]
    else:
        expected = [f"forged: #{seq} {FORGED}"]
    unkeyed = [place for place, row in enumerate(tampered, start=1) if row["key_id"] == UNKEYED]
    if unkeyed and not any(row["key_id"] != UNKEYED for row in tampered[:index] + tampered[index + 1 :]):
        # The only keyed entry was the one changed: nothing authentic seals the unkeyed ones any more.
        last_unkeyed = unkeyed[-1]
        expected.append(f"unsealed: {seqs(1, last_unkeyed)} (unkeyed, and no keyed entry follows them)")
    assert found(tampered) == expected


@relaxed
@given(st.data())
def test_an_entry_of_an_unknown_key_is_forged(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs())
    index = data.draw(st.integers(0, len(rows) - 1))
    tampered = copy.deepcopy(rows)
    tampered[index]["key_id"] = GONE
    assert found(tampered) == [f"forged: #{index + 1} (its key id '{GONE}' is not among the audit keys)"]


@relaxed
@given(st.data())
def test_a_removed_entry_is_missing_except_the_newest(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs())
    index = data.draw(st.integers(0, len(rows) - 1))
    shortened = rows[:index] + rows[index + 1 :]
    # Cutting off the newest entries leaves a shorter log that holds: only a checkpoint shows it (below).
    assert found(shortened) == ([f"missing: #{index + 1} (removed)"] if index < len(rows) - 1 else [])


@relaxed
@given(st.data())
def test_a_removed_entry_with_the_later_ones_renumbered_is_relinked(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs(min_size=2))
    index = data.draw(st.integers(0, len(rows) - 2))
    shortened = renumbered(rows[:index] + rows[index + 1 :])
    assert found(shortened) == [
        f"relinked: #{index + 1} (the entry written before it is gone: removed or replaced, and the later ones "
        "renumbered)"
    ]


@relaxed
@given(st.data())
def test_a_removed_entry_with_the_later_ones_renumbered_and_rechained_is_forged(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs(min_size=2))
    index = data.draw(st.integers(0, len(rows) - 2))
    shortened = writer_rechained(renumbered(rows[:index] + rows[index + 1 :]), index)
    assert found(shortened) == [f"forged: {seqs(index + 1, len(rows) - 1)} {FORGED}"]


@relaxed
@given(st.data())
def test_an_entry_edited_with_every_later_hash_recomputed_is_forged(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs())
    index = data.draw(st.integers(0, len(rows) - 1))
    edited = copy.deepcopy(rows)
    edited[index]["action"] += "!"
    assert found(writer_rechained(edited, index)) == [f"forged: {seqs(index + 1, len(rows))} {FORGED}"]


@relaxed
@given(st.data())
def test_an_entry_slipped_in_anywhere_is_forged(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs())
    index = data.draw(st.integers(0, len(rows)))
    slipped = data.draw(entry_contents) | {
        "key_id": data.draw(st.sampled_from([OLD, NEW])),
        "prev_hash": rows[index - 1]["hash"] if index else GENESIS_HASH,
    }
    slipped["hash"] = data.draw(st.sampled_from([entry_hash(slipped | {"seq": index + 1}), "0" * 63 + "1"]))
    assert found(renumbered([*rows[:index], slipped, *rows[index:]])) == [f"forged: #{index + 1} {FORGED}"]


@relaxed
@given(st.data())
def test_entries_put_in_another_order_are_reordered_where_their_predecessor_is_not_before_them(
    data: st.DataObject,
) -> None:
    rows = data.draw(keyed_logs(min_size=2))
    order = data.draw(st.permutations(range(len(rows))).filter(lambda order: list(order) != sorted(order)))
    shuffled = renumbered([rows[index] for index in order])
    # Where each entry's predecessor now stands (0: it was the first entry written).
    position = {rows[index]["hash"]: place for place, index in enumerate(order, start=1)}
    expected = []
    for place, index in enumerate(order, start=1):
        before = position[rows[index - 1]["hash"]] if index else 0
        if before != place - 1:
            expected.append(f"#{place} (written first)" if before == 0 else f"#{place} (written after #{before})")
    assert found(shuffled) == [f"reordered: {', '.join(expected)}"]


def checkpoint_of(row: dict[str, Any], n: int = 1) -> Checkpoint:
    return checkpoints.make(
        n=n, seq=row["seq"], hash=row["hash"], key_id=NEW, key=KEYS[NEW], prev=GENESIS_HASH, at=row["at"]
    )


@relaxed
@given(st.data())
def test_the_newest_entries_removed_after_a_checkpoint_are_truncated(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs())
    checkpoint = checkpoint_of(rows[-1])
    assert found(rows, (checkpoint,)) == []
    kept = data.draw(st.integers(0, len(rows) - 1))
    ends = f"the log ends at #{kept}" if kept else "the log is empty"
    assert found(rows[:kept], (checkpoint,)) == [f"truncated: {ends}, but checkpoint 1 covered #{len(rows)}"]


@relaxed
@given(st.data())
def test_a_checkpointed_entry_replaced_is_rewritten(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs())
    index = data.draw(st.integers(0, len(rows) - 1))
    checkpoint = checkpoint_of(rows[index])
    edited = copy.deepcopy(rows)
    edited[index]["action"] += "!"
    assert found(writer_rechained(edited, index), (checkpoint,)) == [
        f"forged: {seqs(index + 1, len(rows))} {FORGED}",
        f"rewritten: #{index + 1} is not the entry checkpoint 1 covered",
    ]


@relaxed
@given(st.data())
def test_an_unkeyed_entry_after_keyed_ones_is_forged(data: st.DataObject) -> None:
    rows = data.draw(keyed_logs())
    appended = data.draw(entry_contents) | {"seq": len(rows) + 1, "key_id": UNKEYED, "prev_hash": rows[-1]["hash"]}
    appended["hash"] = entry_hash(appended)
    assert found([*rows, appended]) == [f"forged: #{len(rows) + 1} (unkeyed, after keyed entries began)"]


@relaxed
@given(st.lists(entry_contents, min_size=1, max_size=8))
def test_a_log_of_unkeyed_entries_only_is_unsealed(contents: list[dict[str, Any]]) -> None:
    rows = chained(contents, [UNKEYED] * len(contents))
    assert found(rows) == [f"unsealed: {seqs(1, len(rows))} (unkeyed, and no keyed entry follows them)"]


@relaxed
@given(st.data())
def test_unkeyed_entries_rewritten_before_the_keyed_ones_break_the_first_keyed_link(data: st.DataObject) -> None:
    first_keyed = data.draw(st.integers(1, 6))
    rows = data.draw(logs(unkeyed=first_keyed))
    index = data.draw(st.integers(0, first_keyed - 1))
    edited = copy.deepcopy(rows)
    edited[index]["action"] += "!"
    rewritten = writer_rechained(edited[:first_keyed], index) + edited[first_keyed:]
    assert found(rewritten) == [
        f"relinked: #{first_keyed + 1} (the entry written before it is gone: removed or replaced, and the later ones "
        "renumbered)"
    ]


# --- The checkpoint file -------------------------------------------------------------------------------------


@st.composite
def checkpoint_files(draw: st.DrawFn) -> list[Checkpoint]:
    """A file of checkpoints as writers append them, the key rotated somewhere."""
    count = draw(st.integers(1, 6))
    rotation = draw(st.integers(0, count))
    file, prev, seq = [], GENESIS_HASH, 0
    for n in range(1, count + 1):
        seq += draw(st.integers(1, 5))
        key_id = OLD if n <= rotation else NEW
        checkpoint = checkpoints.make(
            n=n, seq=seq, hash=draw(hex_digests), key_id=key_id, key=KEYS[key_id], prev=prev, at=draw(moments)
        )
        file.append(checkpoint)
        prev = checkpoint.sig
    return file


def lines(file: list[Checkpoint]) -> list[str]:
    return [checkpoints.as_line(checkpoint).rstrip("\n") for checkpoint in file]


@relaxed
@given(checkpoint_files())
def test_a_checkpoint_file_as_written_is_valid(file: list[Checkpoint]) -> None:
    check = checkpoints.check_lines(lines(file), KEYS)
    assert (check.valid, check.claimed, check.notes) == (file, len(file), [])


@relaxed
@given(st.data())
def test_any_checkpoint_edited_no_longer_verifies(data: st.DataObject) -> None:
    file = data.draw(checkpoint_files())
    index = data.draw(st.integers(0, len(file) - 1))
    name = data.draw(st.sampled_from(checkpoints.SIGNED_FIELDS))
    old = getattr(file[index], name)
    new = data.draw((st.integers(0, 2**40) if name in ("n", "seq") else hex_digests).filter(lambda v: v != old))
    edited = [*file[:index], replace(file[index], **{name: new}), *file[index + 1 :]]
    check = checkpoints.check_lines(lines(edited), KEYS)
    if name == "key_id":
        expected = f"line {index + 1} names key id {new!r}, which is not among the audit keys"
    else:
        expected = f"line {index + 1} is altered (its signature does not verify)"
    assert check.notes[0] == expected
    assert file[index] not in check.valid


@relaxed
@given(st.data())
def test_checkpoints_removed_or_reordered_in_the_file_break_its_chain(data: st.DataObject) -> None:
    file = data.draw(checkpoint_files().filter(lambda file: len(file) >= 2))
    order = data.draw(
        st.permutations(range(len(file))).filter(lambda order: list(order) != sorted(order))
        | st.integers(0, len(file) - 2).map(lambda gone: [i for i in range(len(file)) if i != gone])
    )
    check = checkpoints.check_lines(lines([file[index] for index in order]), KEYS)
    assert check.notes
    assert all("does not follow" in note for note in check.notes)


def test_a_checkpoint_is_signed_over_every_field_but_its_signature() -> None:
    checkpoint = checkpoints.make(
        n=3, seq=9, hash="a" * 64, key_id=NEW, key=KEYS[NEW], prev="b" * 64, at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert checkpoints.sign(asdict(checkpoint), key=KEYS[NEW]) == checkpoint.sig
    assert checkpoints.parse(checkpoints.as_line(checkpoint)) == checkpoint
    assert set(checkpoints.SIGNED_FIELDS) == set(asdict(checkpoint)) - {"sig"}
    assert set(MAC_FIELDS) == (set(HASHED_FIELDS) - {"seq"}) | {"key_id"}
