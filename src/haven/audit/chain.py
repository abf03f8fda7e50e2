"""The chain of audit entries and its verification, as pure functions over plain values.

Each entry carries a MAC: HMAC-SHA256, under an audit key kept outside the database, over its canonical fields,
the previous entry's MAC among them. Entries written before the key (``key_id`` "sha256") carry the plain SHA-256
the log used then; they verify by that rule up to the first keyed entry, whose MAC covers their last hash.
"""

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
# The key id of the entries written before the audit key existed (decision 0012).
UNKEYED = "sha256"
ENTRY_DOMAIN = b"haven.audit.entry\n"
# The action of the entry each checkpoint records in the log before covering it.
CHECKPOINT_ACTION = "audit.checkpoint"


def canonical_ip(ip: str | None) -> str | None:
    """One spelling per address, so the hash holds whichever form the database hands back.

    The ``ip`` column does not keep what was written: Django stores IPv6 compressed and lower-case, PostgreSQL's
    ``inet`` prints IPv4-compatible addresses dotted, and an empty string is stored as NULL.
    """
    if not ip:
        return None
    if ":" not in ip:
        return ip
    try:
        address = ipaddress.IPv6Address(ip)
    except ValueError:
        return ip
    # Spelled as Django spells it (django.utils.ipv6.clean_ipv6_address), whatever the Python version.
    return f"::ffff:{address.ipv4_mapped}" if address.ipv4_mapped else str(address)


def canonical_json(fields: Mapping[str, Any]) -> bytes:
    """The bytes a hash or MAC is computed over: sorted keys, UTC times, one spelling per address."""
    canonical = dict(fields)
    at = canonical.get("at")
    if isinstance(at, datetime):
        canonical["at"] = at.astimezone(UTC).isoformat()
    if "ip" in canonical:
        canonical["ip"] = canonical_ip(canonical["ip"])
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode()


HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "organization_id",
    "action",
    "target_type",
    "target_id",
    "detail",
    "request_id",
    "ip",
    "prev_hash",
)
# ``seq`` is left out of the MAC: an entry's place is the chain of MACs (``prev_hash``), and ``seq`` is where the
# database stores it. Verification compares the two, so a renumbered entry still authenticates and is named for what
# happened to it (reordered, relinked) rather than lost among the altered.
MAC_FIELDS = (*(name for name in HASHED_FIELDS if name != "seq"), "key_id")


def entry_hash(fields: Mapping[str, Any]) -> str:
    """The unkeyed rule: SHA-256 over the canonical ``HASHED_FIELDS``. Anyone can compute it."""
    return hashlib.sha256(canonical_json({name: fields[name] for name in HASHED_FIELDS})).hexdigest()


def entry_mac(fields: Mapping[str, Any], *, key: bytes) -> str:
    """HMAC-SHA256 under ``key`` over the canonical ``MAC_FIELDS``, ``prev_hash`` and ``key_id`` included."""
    payload = canonical_json({name: fields[name] for name in MAC_FIELDS})
    return hmac.new(key, ENTRY_DOMAIN + payload, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """A signed record of the chain's head at a moment, kept outside the database (see ``checkpoints``)."""

    n: int
    seq: int
    hash: str
    at: str
    key_id: str
    prev: str
    sig: str


# --- Findings ------------------------------------------------------------------------------------------------

# The order audit_verify names them in.
KINDS = (
    "altered",
    "forged",
    "missing",
    "relinked",
    "reordered",
    "unsealed",
    "rewritten",
    "truncated",
    "checkpoint file",
)

FORGED = "no audit key authenticates it: written, or rewritten, without the key"
ALTERED = "its content no longer matches the MAC it was written with"
UNKEYED_AFTER_KEYED = "unkeyed, after keyed entries began"
RELINKED = "the entry written before it is gone: removed or replaced, and the later ones renumbered"
MAX_RANGES = 20
MAX_LOOKUPS = 1000


def seqs_text(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first} to #{last}"


@dataclass
class _Runs:
    """Sequence numbers of one kind of finding with one note, kept as runs, the first ``MAX_RANGES`` of them."""

    note: str
    runs: list[list[int]] = field(default_factory=list)
    more: int = 0

    def add(self, first: int, last: int) -> None:
        if self.runs and self.runs[-1][1] == first - 1:
            self.runs[-1][1] = last
        elif len(self.runs) < MAX_RANGES:
            self.runs.append([first, last])
        else:
            self.more += last - first + 1

    def text(self) -> str:
        listed = ", ".join(seqs_text(first, last) for first, last in self.runs)
        more = f" and {self.more} more" if self.more else ""
        return f"{listed}{more} ({self.note})"


@dataclass
class Report:
    """What a verification found, and what it walked."""

    entries: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    by_key: dict[str, int] = field(default_factory=dict)
    sealed_by: int | None = None
    checkpoint: Checkpoint | None = None
    # checkpoint number -> the entries that recorded it ("audit.checkpoint"), from authentic entries only
    recorded_checkpoints: dict[int, list[int]] = field(default_factory=dict)
    _runs: dict[tuple[str, str], _Runs] = field(default_factory=dict)
    _notes: dict[str, list[str]] = field(default_factory=dict)
    _more_notes: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, seq: int, note: str, *, last: int | None = None) -> None:
        """A finding about entry ``seq`` (to ``last``); consecutive entries with the same note read as one run."""
        self._runs.setdefault((kind, note), _Runs(note)).add(seq, seq if last is None else last)

    def note(self, kind: str, text: str) -> None:
        """A finding told in a sentence of its own."""
        notes = self._notes.setdefault(kind, [])
        if len(notes) < MAX_RANGES:
            notes.append(text)
        else:
            self._more_notes[kind] = self._more_notes.get(kind, 0) + 1

    def findings(self) -> list[str]:
        """One line per kind and note, in the order of ``KINDS``."""
        lines = []
        for kind in KINDS:
            lines += [f"{kind}: {runs.text()}" for (k, _), runs in self._runs.items() if k == kind]
            notes = self._notes.get(kind, [])
            if kind == "reordered" and notes:
                lines.append(f"{kind}: {', '.join(notes)}")
            else:
                lines += [f"{kind}: {text}" for text in notes]
            if kind in self._more_notes:
                lines.append(f"{kind}: and {self._more_notes[kind]} more")
        return lines

    @property
    def intact(self) -> bool:
        return not self._runs and not self._notes


# --- Walking the log -----------------------------------------------------------------------------------------


@dataclass
class _Row:
    seq: int
    hash: str
    authentic: bool


def verify(
    rows: Iterable[Mapping[str, Any]],
    *,
    keys: Mapping[str, bytes],
    checkpoints: Sequence[Checkpoint] = (),
    locate: Callable[[str], int | None] = lambda _hash: None,
) -> Report:
    """Walk ``rows`` in ``seq`` order once and name every entry that is not as it was written.

    ``keys`` maps key ids to audit keys (the current one and older ones). ``checkpoints`` are the valid signed
    checkpoints, in any order. ``locate`` finds the ``seq`` of the entry holding a MAC, to say where a moved entry's
    predecessor went; it is asked at most ``MAX_LOOKUPS`` times.

    An entry that fails its MAC is *altered* when the entry after it (or a checkpoint) still vouches for the MAC it
    carries, and *forged* otherwise: nothing shows that the key ever produced it.
    """
    report = Report()
    by_seq: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    lookups = 0
    expected_seq = 1
    prev: _Row | None = None
    last_authentic_hash = GENESIS_HASH
    keyed = False
    unkeyed_entries = 0
    last_unkeyed = 0
    pending: _Row | None = None  # an entry that failed its MAC, waiting to see whether the next one vouches for it

    def settle(vouched: bool) -> None:
        nonlocal pending
        if pending is not None:
            report.add("altered" if vouched else "forged", pending.seq, ALTERED if vouched else FORGED)
            pending = None

    for row in rows:
        seq, stored_hash, key_id = row["seq"], row["hash"], row["key_id"]
        report.entries += 1
        report.first_seq = seq if report.first_seq is None else report.first_seq
        report.last_seq = seq
        report.by_key[key_id] = report.by_key.get(key_id, 0) + 1
        gap = seq > expected_seq
        if gap:
            report.add("missing", expected_seq, "removed", last=seq - 1)

        authentic = False
        refused = ""  # why the entry cannot be authentic whatever its MAC
        if key_id == UNKEYED:
            if keyed:
                refused = UNKEYED_AFTER_KEYED
            else:
                authentic = entry_hash(row) == stored_hash
                unkeyed_entries += 1
                last_unkeyed = seq
        elif key_id in keys:
            authentic = hmac.compare_digest(entry_mac(row, key=keys[key_id]), stored_hash)
        else:
            refused = f"its key id {key_id!r} is not among the audit keys"

        if pending is not None:
            settle(authentic and row["prev_hash"] == pending.hash)

        if authentic:
            if key_id != UNKEYED and not keyed:
                keyed = True
                report.sealed_by = seq if unkeyed_entries else None
            link = row["prev_hash"]
            expected_link = prev.hash if prev is not None else GENESIS_HASH
            if link not in (expected_link, last_authentic_hash) and not gap and (prev is None or prev.authentic):
                if link == GENESIS_HASH:
                    report.note("reordered", f"#{seq} (written first)")
                elif lookups < MAX_LOOKUPS and (where := locate(link)) is not None:
                    report.note("reordered", f"#{seq} (written after #{where})")
                else:
                    report.add("relinked", seq, RELINKED)
                lookups += 1
            last_authentic_hash = stored_hash
            if row["action"] == CHECKPOINT_ACTION and key_id != UNKEYED:
                recorded = row["detail"].get("checkpoint") if isinstance(row["detail"], dict) else None
                if isinstance(recorded, int):
                    report.recorded_checkpoints.setdefault(recorded, []).append(seq)
        elif refused:
            report.add("forged", seq, refused)
        elif any(c.hash == stored_hash for c in by_seq.get(seq, ())):
            report.add("altered", seq, ALTERED)  # a checkpoint vouches for the MAC it carries
        else:
            pending = _Row(seq, stored_hash, authentic)

        for checkpoint in by_seq.get(seq, ()):
            if checkpoint.hash != stored_hash:
                report.note("rewritten", f"#{seq} is not the entry checkpoint {checkpoint.n} covered")
        prev = _Row(seq, stored_hash, authentic)
        expected_seq = seq + 1

    settle(False)
    if unkeyed_entries and not keyed:
        first = report.first_seq or 1
        report.add("unsealed", first, "unkeyed, and no keyed entry follows them", last=last_unkeyed)
    head = report.last_seq or 0
    beyond = [c for c in checkpoints if c.seq > head]
    if beyond:
        latest = max(beyond, key=lambda c: c.seq)
        ends = f"the log ends at #{head}" if head else "the log is empty"
        report.note("truncated", f"{ends}, but checkpoint {latest.n} covered #{latest.seq}")
    covered = [c for c in checkpoints if c.seq <= head]
    report.checkpoint = max(covered, key=lambda c: c.n, default=None)
    return report
