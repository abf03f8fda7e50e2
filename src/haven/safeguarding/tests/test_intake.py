"""What is stored of an upload: for every format Haven takes, the location and camera metadata are gone from the
stored bytes, the SHA-256 is the stored bytes', and a file is recognised by its content, never its name. The MP4
is built here from its boxes (nothing downloaded)."""

import hashlib
import io
import struct

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from haven.organizations.models import Membership
from haven.safeguarding import intake, mp4, services
from haven.safeguarding.models import Asset, AssetKind, Submission

from .conftest import image_bytes

GPS_TEXT = b"+40.7484-073.9857/"


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full_box(kind: bytes, payload: bytes) -> bytes:
    return box(kind, b"\0\0\0\0" + payload)


def mp4_bytes(*, brand: bytes = b"isom", media: bytes = b"\x00\x11\x22\x33" * 64) -> bytes:
    """A small MP4 as a phone writes one: ftyp, the media data, and a movie box whose user data carries a GPS
    position (©xyz) and the camera (©mak, ©mod), a track with its own udta and an Apple location key in meta, and
    an XMP uuid box at the top level. The chunk offset (stco) points at the media data."""
    ftyp = box(b"ftyp", brand + b"\0\0\0\0" + brand + b"mp41")
    mdat = box(b"mdat", media)
    udta = box(
        b"udta",
        box(b"\xa9xyz", struct.pack(">HH", len(GPS_TEXT), 0) + GPS_TEXT)
        + box(b"\xa9mak", b"\0\x05\0\0Apple")
        + box(b"\xa9mod", b"\0\x09\0\0iPhone 15"),
    )
    keys = full_box(b"keys", struct.pack(">I", 1) + box(b"mdta", b"com.apple.quicktime.location.ISO6709"))
    meta = full_box(b"meta", box(b"hdlr", b"\0" * 24) + keys + box(b"ilst", box(b"\0\0\0\1", GPS_TEXT)))
    tkhd = full_box(b"tkhd", b"\0" * 72 + struct.pack(">II", 640 << 16, 360 << 16))
    stco = full_box(b"stco", struct.pack(">II", 1, len(ftyp) + 8))  # the media starts after mdat's header
    stbl = box(b"stbl", stco)
    trak = box(b"trak", tkhd + box(b"mdia", box(b"minf", stbl)) + box(b"udta", box(b"\xa9day", b"2026-11-30")))
    moov = box(b"moov", full_box(b"mvhd", b"\0" * 96) + trak + udta + meta)
    xmp = box(b"uuid", mp4.XMP_UUID + b'<x:xmpmeta xmlns:x="adobe:ns:meta/">exif:GPSLatitude 40,44.9N</x:xmpmeta>')
    return ftyp + mdat + moov + xmp


def _stored(asset: Asset) -> bytes:
    with asset.file.open("rb") as handle:
        return handle.read()


# Images -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["JPEG", "WEBP", "TIFF"])
def test_exif_and_gps_are_gone_from_a_stored_image(format: str) -> None:
    uploaded = image_bytes(format=format)
    assert b"SERIAL-123456" in uploaded and Image.open(io.BytesIO(uploaded)).getexif().get_ifd(0x8825)
    prepared = intake.prepare(uploaded)
    stored = Image.open(io.BytesIO(prepared.data))
    exif = stored.getexif()  # a TIFF's own tags (its size, compression) read as EXIF too: none of a camera's
    assert not exif.get_ifd(0x8825), "no GPS"
    assert not {0x010F, 0x0110, 0x0132, 0x8769, 0x8825} & set(exif), "no camera, time or EXIF directory"
    assert b"SERIAL-123456" not in prepared.data and b"PhoneMaker" not in prepared.data
    assert {"EXIF", "GPS"} <= set(prepared.stripped)
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest()
    assert prepared.original_sha256 == hashlib.sha256(uploaded).hexdigest()


def test_png_text_chunks_and_exif_are_gone() -> None:
    image = Image.new("RGB", (120, 80), "white")
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Children's hospital, ward 4")
    info.add_itxt("Author", "Photographer Name")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (40.0, 44.0, 54.0)}
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, exif=exif.tobytes())
    uploaded = out.getvalue()
    assert b"eXIf" in uploaded and b"ward 4" in uploaded
    prepared = intake.prepare(uploaded)
    for marker in (b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"ward 4", b"PhoneMaker", b"Photographer"):
        assert marker not in prepared.data
    assert Image.open(io.BytesIO(prepared.data)).size == (120, 80)


def test_a_multi_page_tiff_keeps_every_page_without_metadata() -> None:
    pages = [Image.new("RGB", (200, 100), colour) for colour in ("white", "red", "blue")]
    exif = Image.Exif()
    exif[0xA431] = "SERIAL-123456"
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:], exif=exif.tobytes())
    prepared = intake.prepare(out.getvalue())
    stored = Image.open(io.BytesIO(prepared.data))
    assert prepared.pages == 3 and getattr(stored, "n_frames", 1) == 3
    stored.seek(2)
    assert stored.convert("RGB").getpixel((10, 10)) == (0, 0, 255)
    assert b"SERIAL-123456" not in prepared.data
    assert prepared.thumbnail


# PDF ----------------------------------------------------------------------------------------------------------------


def test_pdf_document_information_and_xmp_are_gone() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=200)
    writer.add_metadata({"/Author": "Agency Person", "/Title": "Shoot at 12 Elm Street"})
    writer.xmp_metadata = None
    out = io.BytesIO()
    writer.write(out)
    uploaded = out.getvalue()
    # An XMP stream in the catalog, as design tools write one.
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>GPSLatitude 40N Elm Street</rdf:RDF></x:xmpmeta>'
    reader = PdfReader(io.BytesIO(uploaded))
    writer = PdfWriter(clone_from=reader)
    writer.xmp_metadata = xmp  # type: ignore[assignment]
    out = io.BytesIO()
    writer.write(out)
    uploaded = out.getvalue()
    assert b"Agency Person" in uploaded and b"Elm Street" in uploaded
    prepared = intake.prepare(uploaded)
    assert b"Agency Person" not in prepared.data and b"Elm Street" not in prepared.data
    stored = PdfReader(io.BytesIO(prepared.data))
    assert "/Metadata" not in stored.root_object
    assert not (stored.metadata or {}).get("/Author")
    assert prepared.kind == AssetKind.PDF and prepared.pages == 1


# Video --------------------------------------------------------------------------------------------------------------


def test_mp4_metadata_boxes_become_zeroed_free_boxes_of_the_same_size() -> None:
    uploaded = mp4_bytes()
    stream = io.BytesIO(uploaded)
    prepared = intake.prepare_video(stream)
    stored = stream.getvalue()
    assert len(stored) == len(uploaded), "nothing moves"
    for marker in (GPS_TEXT, b"\xa9xyz", b"Apple", b"iPhone", b"udta", b"meta", b"location", b"xmpmeta"):
        assert marker not in stored, marker
    assert "GPS (©xyz)" in prepared.stripped and "camera make/model" in prepared.stripped
    assert "XMP" in prepared.stripped
    # The media is where the chunk offset says it is, untouched.
    top = mp4.boxes(stream, 0, len(stored))
    assert [b.type for b in top] == [b"ftyp", b"mdat", b"moov", b"free"]
    offset = stored.index(b"stco") + 12
    (chunk,) = struct.unpack(">I", stored[offset : offset + 4])
    assert stored[chunk : chunk + 256] == b"\x00\x11\x22\x33" * 64
    assert prepared.sha256 == hashlib.sha256(stored).hexdigest()
    assert prepared.original_sha256 == hashlib.sha256(uploaded).hexdigest()
    assert (prepared.width, prepared.height) == (640, 360)
    assert prepared.content_type == "video/mp4"


def test_a_quicktime_movie_is_a_mov() -> None:
    prepared = intake.prepare_video(io.BytesIO(mp4_bytes(brand=b"qt  ")))
    assert prepared.content_type == "video/quicktime" and prepared.extension == "mov"


def test_a_damaged_video_is_refused_and_left_as_it_was() -> None:
    broken = bytearray(mp4_bytes())
    moov_at = broken.index(b"moov") - 4
    broken[moov_at : moov_at + 4] = struct.pack(">I", 10**6)  # a size running past the end
    stream = io.BytesIO(bytes(broken))
    with pytest.raises(intake.Refused):
        intake.prepare_video(stream)
    assert stream.getvalue() == bytes(broken)


# Refusals by content ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00" + b"\x00" * 200, b"<html><script>alert(1)</script></html>", b"GIF89a" + b"\x00" * 100],
    ids=["program", "html", "gif"],
)
def test_a_renamed_file_is_refused_by_its_content(content: bytes) -> None:
    """Named photo.jpg or not, what is not an image Haven takes is refused with a message that says what is."""
    with pytest.raises(intake.Refused) as refused:
        intake.prepare(content)
    assert "JPEG" in str(refused.value)
    with pytest.raises(intake.Refused):
        intake.prepare_video(io.BytesIO(content))


def test_a_video_is_not_taken_as_a_plain_file() -> None:
    with pytest.raises(intake.Refused, match="contact sheet"):
        intake.prepare(mp4_bytes())


# Through the service: what is in storage ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stored_video_and_its_contact_sheet_carry_no_metadata(draft: Submission, creative: Membership) -> None:
    video = services.video_add(
        membership=creative,
        submission=draft,
        file_name="spot.mp4",
        video=io.BytesIO(mp4_bytes()),
        sheet_name="spot-sheet.jpg",
        sheet_data=image_bytes(),
    )
    stored = _stored(video)
    assert GPS_TEXT not in stored and b"iPhone" not in stored
    assert video.sha256 == hashlib.sha256(stored).hexdigest() and video.size == len(stored)
    sheet = video.contact_sheet
    assert sheet is not None and sheet.kind == AssetKind.IMAGE
    assert b"SERIAL-123456" not in _stored(sheet)
    assert video.thumbnail


@pytest.mark.django_db
def test_removing_a_video_retires_its_contact_sheet(draft: Submission, creative: Membership) -> None:
    video = services.video_add(
        membership=creative,
        submission=draft,
        file_name="spot.mp4",
        video=io.BytesIO(mp4_bytes()),
        sheet_name="sheet.png",
        sheet_data=image_bytes(format="PNG"),
    )
    services.asset_remove(membership=creative, asset=video)
    current = {asset.pk for asset in Asset.objects.in_org(draft.organization_id).filter(retired_at=None)}
    assert video.pk not in current and video.contact_sheet_id not in current
