"""The backup file: a small versioned header, then the database's bytes encrypted and authenticated in chunks.

Layout::

    MAGIC (13 bytes) | version (1 byte) | header length (4 bytes, big-endian) | header (JSON, UTF-8)
    then records: ciphertext length (4 bytes) | AES-256-GCM ciphertext of at most CHUNK plaintext bytes

The header names the engine, Haven's migration state and the source's row count per table, and carries a random
salt: the file's key is derived from the backup key and the salt (HKDF-SHA256), so every file has a key of its own
and the chunks' nonces can be their index. The last byte of each nonce says whether the chunk is the last one, and
every chunk is authenticated together with the whole header: a wrong key, a changed header or byte, chunks removed,
reordered or added after the end, or a file cut short are all refused. The header also holds a key check (derived
like the file's key), so a wrong key is told apart from an altered file before any chunk is read.
"""

import hmac
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"HAVEN-BACKUP\n"
VERSION = 1
CHUNK = 1 << 20
_MAX_HEADER = 1 << 20
_LENGTH = struct.Struct(">I")
_TAG = 16


class BackupFileError(Exception):
    """The file cannot be trusted or read: the message says why, in words an operator can act on."""


@dataclass(frozen=True)
class Header:
    engine: str
    migrations: list[str]
    counts: dict[str, int]
    created_at: str

    def content(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "migrations": self.migrations,
            "counts": self.counts,
            "created_at": self.created_at,
        }


def _derive(key: str, salt: bytes) -> tuple[bytes, bytes]:
    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=b"haven backup v1").derive(key.encode())
    return material[:32], material[32:]


def _nonce(index: int, *, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def write(out: IO[bytes], source: IO[bytes], *, header: Header, key: str) -> None:
    """Encrypt everything ``source`` yields into ``out``, after the header."""
    salt = os.urandom(16)
    file_key, check = _derive(key, salt)
    fields = {"format": VERSION, **header.content(), "salt": salt.hex(), "key_check": check.hex(), "chunk": CHUNK}
    header_bytes = json.dumps(fields, sort_keys=True).encode()
    preamble = MAGIC + bytes([VERSION]) + _LENGTH.pack(len(header_bytes)) + header_bytes
    out.write(preamble)
    aead = AESGCM(file_key)
    index = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sealed = aead.encrypt(_nonce(index, last=last), chunk, preamble)
        out.write(_LENGTH.pack(len(sealed)) + sealed)
        if last:
            return
        chunk, index = following, index + 1


@dataclass(frozen=True)
class Opened:
    header: Header
    preamble: bytes
    file_key: bytes


def read_header(handle: IO[bytes], *, key: str) -> Opened:
    """The header, once the key is known to be the one the file was made with (nothing else is checked yet)."""
    magic = handle.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupFileError("This is not a Haven backup file.")
    version = handle.read(1)
    if not version or version[0] != VERSION:
        raise BackupFileError(
            f"This backup file has format {version[0] if version else '?'}; this Haven reads {VERSION}."
        )
    length_bytes = handle.read(_LENGTH.size)
    if len(length_bytes) < _LENGTH.size:
        raise BackupFileError("The backup file is truncated: its header is incomplete.")
    (length,) = _LENGTH.unpack(length_bytes)
    header_bytes = handle.read(length) if length <= _MAX_HEADER else b""
    if len(header_bytes) != length:
        raise BackupFileError("The backup file is truncated or altered: its header is incomplete.")
    try:
        fields = json.loads(header_bytes)
        salt = bytes.fromhex(fields["salt"])
        check = bytes.fromhex(fields["key_check"])
        header = Header(
            engine=str(fields["engine"]),
            migrations=[str(name) for name in fields["migrations"]],
            counts={str(table): int(n) for table, n in fields["counts"].items()},
            created_at=str(fields["created_at"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupFileError("The backup file is altered: its header cannot be read.") from error
    file_key, expected = _derive(key, salt)
    if not hmac.compare_digest(check, expected):
        raise BackupFileError(
            "Wrong backup key: this file was encrypted with another key (HAVEN_BACKUP_KEY or backup.key in the key "
            "directory)."
        )
    return Opened(header=header, preamble=MAGIC + bytes([VERSION]) + length_bytes + header_bytes, file_key=file_key)


def chunks(handle: IO[bytes], opened: Opened) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each authenticated before it is yielded; raises at the first doubt."""
    aead = AESGCM(opened.file_key)
    index = 0
    while True:
        length_bytes = handle.read(_LENGTH.size)
        if not length_bytes:
            raise BackupFileError("The backup file is truncated: it ends before its last chunk.")
        if len(length_bytes) < _LENGTH.size:
            raise BackupFileError("The backup file is truncated.")
        (length,) = _LENGTH.unpack(length_bytes)
        if length < _TAG or length > CHUNK + _TAG:
            raise BackupFileError(f"The backup file is altered: chunk {index + 1} has an impossible length.")
        sealed = handle.read(length)
        if len(sealed) < length:
            raise BackupFileError("The backup file is truncated.")
        plain, last = _open_chunk(aead, sealed, index, opened.preamble)
        yield plain
        if last:
            if handle.read(1):
                raise BackupFileError("The backup file is altered: it goes on after its last chunk.")
            return
        index += 1


def _open_chunk(aead: AESGCM, sealed: bytes, index: int, preamble: bytes) -> tuple[bytes, bool]:
    for last in (False, True):
        try:
            return aead.decrypt(_nonce(index, last=last), sealed, preamble), last
        except InvalidTag:
            continue
    raise BackupFileError(f"The backup file is altered or corrupt: chunk {index + 1} fails its authentication.")


def verify(path: Path, *, key: str) -> Header:
    """Read the whole file, authenticating every chunk, without keeping the plaintext."""
    with path.open("rb") as handle:
        opened = read_header(handle, key=key)
        for _plain in chunks(handle, opened):
            pass
    return opened.header


def decrypt_to(path: Path, out: IO[bytes], *, key: str) -> Header:
    with path.open("rb") as handle:
        opened = read_header(handle, key=key)
        for plain in chunks(handle, opened):
            out.write(plain)
    return opened.header
