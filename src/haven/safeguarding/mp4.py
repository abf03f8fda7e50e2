"""A video's metadata removed in place: MP4 and QuickTime (MOV) files are ISO base media files, a sequence of boxes
(a 32-bit size, a four-letter type, then the payload; a size of 1 means a 64-bit size follows, 0 means to the end).

Location, camera and software metadata live in ``udta`` (user data, e.g. ``©xyz``, the GPS position a phone
writes), ``meta`` (e.g. Apple's ``com.apple.quicktime.location.ISO6709``) and XMP ``uuid`` boxes, at the top level,
in ``moov`` and in each ``trak``. Each is turned into a ``free`` box of the same size with its payload zeroed:
nothing moves, so the chunk offsets (``stco``/``co64``) still point at the right media data and the file still
plays. The file is worked on through a seekable binary stream (a temporary file for a large upload), never read
whole.
"""

import struct
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext_noop

# The brands of the ``ftyp`` box that say the file is an MP4 or a QuickTime movie.
QUICKTIME_BRANDS = frozenset({b"qt  "})
MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"MSNV",
        b"dash",
        b"f4v ",
    }
)
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
# Boxes whose payload is only boxes: walked to find the metadata inside.
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"edts", b"dinf", b"stbl"})
# What a metadata box's children say about what is removed, as the reviewer is told.
LABELS = {
    b"\xa9xyz": gettext_noop("GPS (©xyz)"),
    b"\xa9mak": gettext_noop("camera make/model"),
    b"\xa9mod": gettext_noop("camera make/model"),
    b"\xa9day": gettext_noop("date (©day)"),
    b"\xa9swr": gettext_noop("software (©swr)"),
    b"\xa9too": gettext_noop("software (©too)"),
    b"\xa9nam": gettext_noop("title (©nam)"),
    b"\xa9cmt": gettext_noop("comment (©cmt)"),
    b"\xa9ART": gettext_noop("author (©ART)"),
    b"\xa9aut": gettext_noop("author (©aut)"),
    b"loci": gettext_noop("GPS (loci)"),
}
KEY_LABELS = {
    b"location": gettext_noop("GPS (location key)"),
    b"make": gettext_noop("camera make/model"),
    b"model": gettext_noop("camera make/model"),
    b"software": gettext_noop("software (key)"),
    b"creationdate": gettext_noop("date (key)"),
}
CHUNK = 1 << 20


class NotAVideo(ValueError):
    """The stream is not an MP4 or QuickTime file this module understands."""


@dataclass(frozen=True)
class Box:
    type: bytes
    start: int  # where the header begins
    header: int  # 8 or 16 bytes
    size: int  # the whole box, header included

    @property
    def payload(self) -> int:
        return self.start + self.header

    @property
    def end(self) -> int:
        return self.start + self.size


def _length(stream: BinaryIO) -> int:
    here = stream.tell()
    end = stream.seek(0, 2)
    stream.seek(here)
    return end


def boxes(stream: BinaryIO, start: int, end: int) -> list[Box]:
    """The boxes between ``start`` and ``end``; NotAVideo when one does not fit."""
    found = []
    at = start
    while at + 8 <= end:
        stream.seek(at)
        size, kind = struct.unpack(">I4s", stream.read(8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", stream.read(8))
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise NotAVideo(f"box {kind!r} at {at} overruns its container")
        found.append(Box(kind, at, header, size))
        at += size
    if at != end and end - at >= 8:
        raise NotAVideo("trailing bytes")
    return found


def kind_of(stream: BinaryIO) -> str | None:
    """``video/mp4`` or ``video/quicktime`` when the stream starts with an ``ftyp`` box naming a brand of either,
    else None. Only the content counts, never a file name."""
    stream.seek(0)
    head = stream.read(32)
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    (size,) = struct.unpack(">I", head[:4])
    brands = {head[8:12]} | {head[at : at + 4] for at in range(16, min(size, len(head)) - 3, 4)}
    if brands & QUICKTIME_BRANDS and head[8:12] == b"qt  ":
        return "video/quicktime"
    if brands & MP4_BRANDS:
        return "video/mp4"
    if brands & QUICKTIME_BRANDS:
        return "video/quicktime"
    return None


def strip(stream: BinaryIO) -> list[str]:
    """Turn every metadata box (``udta``, ``meta``, XMP ``uuid``) at the top level, in ``moov`` and in its tracks
    into a zeroed ``free`` box of the same size. Returns what was removed, each label once, in order of finding.
    The stream must be open for reading and writing; NotAVideo when its boxes do not parse (nothing is written
    then: every box is read before the first is blanked)."""
    end = _length(stream)
    metadata: list[Box] = []
    removed: list[str] = []
    top = boxes(stream, 0, end)
    if not any(box.type == b"moov" for box in top):
        raise NotAVideo("no movie box")
    _collect(stream, top, metadata, removed)
    for box in metadata:
        _blank(stream, box)
    stream.seek(0)
    return removed


def _collect(stream: BinaryIO, found: list[Box], metadata: list[Box], removed: list[str]) -> None:
    for box in found:
        if box.type in (b"udta", b"meta"):
            metadata.append(box)
            _note(removed, _describe(stream, box))
        elif box.type == b"uuid" and _uuid_of(stream, box) == XMP_UUID:
            metadata.append(box)
            _note(removed, ["XMP"])
        elif box.type in CONTAINERS:
            _collect(stream, boxes(stream, box.payload, box.end), metadata, removed)


def _note(removed: list[str], labels: list[str]) -> None:
    for label in labels:
        if label not in removed:
            removed.append(label)


def _uuid_of(stream: BinaryIO, box: Box) -> bytes:
    stream.seek(box.payload)
    return stream.read(16)


def _describe(stream: BinaryIO, box: Box) -> list[str]:
    """What a ``udta`` or ``meta`` box holds, in words; "user data" or "metadata" when nothing is recognised.
    Read from its payload (bounded: metadata boxes are small, a large one is described without reading it)."""
    generic = gettext_noop("user data (udta)") if box.type == b"udta" else gettext_noop("metadata (meta)")
    if box.size > 4 * CHUNK:
        return [generic]
    stream.seek(box.payload)
    payload = stream.read(box.size - box.header)
    labels = [label for marker, label in LABELS.items() if marker in payload]
    lowered = payload.lower()
    labels += [label for key, label in KEY_LABELS.items() if b"com.apple.quicktime." + key in lowered]
    if b"<x:xmpmeta" in payload or b"http://ns.adobe.com/xap/" in payload:
        labels.append("XMP")
    unique = list(dict.fromkeys(labels))
    return unique or [generic]


def _blank(stream: BinaryIO, box: Box) -> None:
    """The box as a ``free`` box of the same size, every byte of its payload zero (its size field is kept)."""
    stream.seek(box.start + 4)
    stream.write(b"free")
    stream.seek(box.payload)
    left = box.size - box.header
    zeros = bytes(min(left, CHUNK))
    while left > 0:
        written = stream.write(zeros[: min(left, CHUNK)])
        left -= written


def dimensions(stream: BinaryIO) -> tuple[int | None, int | None]:
    """The width and height of the first video track (its ``tkhd``), or (None, None)."""
    try:
        top = boxes(stream, 0, _length(stream))
        for moov in (box for box in top if box.type == b"moov"):
            for trak in (box for box in boxes(stream, moov.payload, moov.end) if box.type == b"trak"):
                for tkhd in (box for box in boxes(stream, trak.payload, trak.end) if box.type == b"tkhd"):
                    stream.seek(tkhd.end - 8)
                    width, height = struct.unpack(">II", stream.read(8))
                    if width and height:
                        return width >> 16, height >> 16
    except (NotAVideo, struct.error):
        pass
    finally:
        stream.seek(0)
    return None, None
