"""The hash chain, as pure functions over plain values."""

import hashlib
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


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


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over a canonical JSON of the entry's fields, ``prev_hash`` included."""
    canonical = dict(fields)
    at = canonical["at"]
    if isinstance(at, datetime):
        canonical["at"] = at.astimezone(UTC).isoformat()
    if "ip" in canonical:
        canonical["ip"] = canonical_ip(canonical["ip"])
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


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


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def first_break(rows: Iterable[Mapping[str, Any]]) -> Break | None:
    """The first link that does not hold, walking the rows in ``seq`` order; None if the chain is intact."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for row in rows:
        if row["seq"] != expected_seq:
            return Break(expected_seq, "missing")
        if row["prev_hash"] != prev_hash:
            return Break(row["seq"], "relinked")
        if entry_hash({name: row[name] for name in HASHED_FIELDS}) != row["hash"]:
            return Break(row["seq"], "altered")
        prev_hash = row["hash"]
        expected_seq += 1
    return None
