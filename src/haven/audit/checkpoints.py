"""Signed checkpoints of the audit chain's head, appended to a file outside the database.

One JSON object a line: ``n`` (1, 2, ...), the ``seq`` and ``hash`` of the entry it covers, ``at`` (UTC),
``key_id``, ``prev`` (the signature of checkpoint ``n - 1``, zeros for the first) and ``sig``: HMAC-SHA256 under the
audit key over the others. Someone who can write to the database but not to the file cannot cut the log's end
before a checkpoint unnoticed; someone who can write to the file but holds no key cannot forge, alter, reorder or
remove a checkpoint unnoticed (the log records each one, so cutting the file's end shows too).

Writers append under an exclusive lock on the file and fsync each line, so several processes can take
checkpoints at once (a local filesystem is assumed: ``flock`` does not lock across NFS clients).
"""

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .chain import GENESIS_HASH, Checkpoint, Report

DOMAIN = b"haven.audit.checkpoint\n"
SIGNED_FIELDS = ("n", "seq", "hash", "at", "key_id", "prev")


class CheckpointFileError(Exception):
    """The checkpoint file cannot be appended to as it stands."""


def sign(fields: Mapping[str, Any], *, key: bytes) -> str:
    payload = json.dumps({name: fields[name] for name in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, DOMAIN + payload.encode(), hashlib.sha256).hexdigest()


def make(*, n: int, seq: int, hash: str, key_id: str, key: bytes, prev: str, at: datetime) -> Checkpoint:
    unsigned = Checkpoint(n=n, seq=seq, hash=hash, at=at.astimezone(UTC).isoformat(), key_id=key_id, prev=prev, sig="")
    return replace(unsigned, sig=sign(asdict(unsigned), key=key))


def as_line(checkpoint: Checkpoint) -> str:
    return json.dumps(asdict(checkpoint), separators=(",", ":")) + "\n"


def parse(line: str) -> Checkpoint | None:
    """The checkpoint a line spells, whatever its signature; None if it spells none."""
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    if not isinstance(fields, dict) or set(fields) != {*SIGNED_FIELDS, "sig"}:
        return None
    ints, texts = ("n", "seq"), ("hash", "at", "key_id", "prev", "sig")
    if any(type(fields[name]) is not int for name in ints) or any(type(fields[name]) is not str for name in texts):
        return None
    return Checkpoint(**fields)


def signed(checkpoint: Checkpoint, keys: Mapping[str, bytes]) -> bool:
    key = keys.get(checkpoint.key_id)
    return key is not None and hmac.compare_digest(sign(asdict(checkpoint), key=key), checkpoint.sig)


@dataclass
class FileCheck:
    """The checkpoints of a file whose signature verifies, and what is wrong with the file."""

    valid: list[Checkpoint] = field(default_factory=list)
    claimed: int = 0  # the highest number a readable line claims, signed or not
    notes: list[str] = field(default_factory=list)


def check_lines(lines: Iterable[str], keys: Mapping[str, bytes]) -> FileCheck:
    """Each line must be signed with a known key and follow the one before it (number and signature)."""
    check = FileCheck()
    expected_n, prev_sig = 1, GENESIS_HASH
    for number, line in enumerate(lines, start=1):
        checkpoint = parse(line)
        if checkpoint is None:
            check.notes.append(f"line {number} is unreadable (not a checkpoint)")
            continue
        check.claimed = max(check.claimed, checkpoint.n)
        if checkpoint.key_id not in keys:
            check.notes.append(f"line {number} names key id {checkpoint.key_id!r}, which is not among the audit keys")
            continue
        if not signed(checkpoint, keys):
            check.notes.append(f"line {number} is altered (its signature does not verify)")
            continue
        if checkpoint.n != expected_n or checkpoint.prev != prev_sig:
            follows = f"checkpoint {expected_n - 1}" if expected_n > 1 else "the file's start"
            check.notes.append(
                f"checkpoint {checkpoint.n} (line {number}) does not follow {follows}"
                " (checkpoints removed or reordered)"
            )
        check.valid.append(checkpoint)
        expected_n, prev_sig = checkpoint.n + 1, checkpoint.sig
    return check


def cross_check(report: Report, check: FileCheck) -> None:
    """The file against the log: every checkpoint the log records must be in the file, where the log says."""
    for note in check.notes:
        report.note("checkpoint file", note)
    if report.recorded_checkpoints:
        latest = max(report.recorded_checkpoints)
        if latest > check.claimed:
            cut = (
                f"cut after checkpoint {check.claimed}:" if check.claimed else "cut: the file holds no checkpoint, but"
            )
            where = report.recorded_checkpoints[latest][-1]
            report.note("checkpoint file", f"{cut} the log records checkpoint {latest} (#{where})")
    for checkpoint in check.valid:
        recorded = report.recorded_checkpoints.get(checkpoint.n)
        if recorded and checkpoint.seq not in recorded:
            report.note(
                "checkpoint file",
                f"checkpoint {checkpoint.n} covers #{checkpoint.seq}, but the log recorded it at #{recorded[-1]}",
            )


def read_lines(path: Path) -> Iterator[str]:
    """The file's lines, streamed; none if it does not exist."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with handle:
        yield from (line.rstrip("\n") for line in handle)


def _last_line(fd: int) -> str:
    end = os.fstat(fd).st_size
    if end == 0:
        return ""
    chunk, data, start = 4096, b"", end
    while start > 0:
        start = max(0, start - chunk)
        data = os.pread(fd, end - start, start)
        if b"\n" in data.rstrip(b"\n"):
            break
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")


@dataclass
class Journal:
    """The checkpoint file, open for appending under its lock; ``last`` is its newest checkpoint."""

    fd: int
    directory: Path
    created: bool
    last: Checkpoint | None

    def append(self, checkpoint: Checkpoint) -> None:
        # One write of one line on a file opened O_APPEND: no other writer's line can interleave with it.
        line = as_line(checkpoint).encode()
        if os.write(self.fd, line) != len(line):
            raise CheckpointFileError("The checkpoint was written in part (is the disk full?): run audit_verify.")
        os.fsync(self.fd)
        if self.created:  # the new file's name must survive a crash too
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self.created = False


@contextmanager
def appending(path: Path, keys: Mapping[str, bytes]) -> Iterator[Journal]:
    """Hold the file's lock while the caller reads the newest checkpoint and appends the next one.

    Refuses a file whose last line is not a checkpoint signed with a known key: the next checkpoint would link to
    something the key never wrote. audit_verify says what is wrong with it.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        line = _last_line(fd)
        last = parse(line) if line else None
        if line and (last is None or not signed(last, keys)):
            raise CheckpointFileError(f"The last line of {path} is not a valid checkpoint: run audit_verify.")
        yield Journal(fd=fd, directory=path.parent, created=created, last=last)
    finally:
        os.close(fd)  # releases the lock


def newest(path: Path, keys: Mapping[str, bytes]) -> Checkpoint | None:
    """The file's last checkpoint if it is signed with a known key; None if the file is missing or empty.

    Raises CheckpointFileError when the last line is not such a checkpoint (audit_verify says what is wrong).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        line = _last_line(fd)
    finally:
        os.close(fd)
    if not line:
        return None
    checkpoint = parse(line)
    if checkpoint is None or not signed(checkpoint, keys):
        raise CheckpointFileError(f"The last line of {path} is not a valid checkpoint: run audit_verify.")
    return checkpoint
