"""What happens to a file between its upload and its storage: recognised by its content (never its name), its
location and camera metadata stripped (EXIF, XMP, GPS, IPTC; PDF document information and XMP), a thumbnail made.

Only the stripped file is kept. Its SHA-256 is the stored file's; the upload's own SHA-256 is kept too, as the
company's asset-management system knows the file by it (the publish gate answers for either).
"""

import hashlib
import io
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from . import mp4
from .models import AssetKind

THUMBNAIL_SIZE = (480, 480)
# Pillow refuses images above this many pixels (a decompression bomb); a 100-megapixel photograph is allowed.
MAX_PIXELS = 120_000_000
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}


class Refused(ValueError):
    """The file is not one Haven takes (the message says why, for the person who uploaded it)."""


@dataclass
class Prepared:
    kind: str
    content_type: str
    data: bytes  # the file to store, metadata stripped
    sha256: str
    original_sha256: str
    extension: str
    width: int | None = None
    height: int | None = None
    pages: int = 1
    stripped: list[str] = field(default_factory=list)
    thumbnail: bytes | None = None  # a JPEG


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(data: bytes) -> Prepared:
    """The file as Haven stores it. Raises :class:`Refused` for anything but an image (JPEG, PNG, WebP, TIFF) or a
    PDF."""
    if data.startswith(b"%PDF-"):
        return _pdf(data)
    if mp4.kind_of(io.BytesIO(data[:64])):
        raise Refused(_("A video is uploaded with its contact sheet (an image of its frames), in the video form."))
    return _image(data)


def _image(data: bytes) -> Prepared:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise Refused(
            _(
                "This file is not one Haven takes: images must be JPEG, PNG, WebP or TIFF, storyboards PDF, videos "
                "MP4 or MOV (whatever the file's name says)."
            )
        ) from error
    if image.format not in IMAGE_FORMATS:
        raise Refused(_("Images must be JPEG, PNG, WebP or TIFF."))
    stripped = _image_metadata(image)
    clean = _without_metadata(image)
    pages = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
    out = io.BytesIO()
    save: dict[str, object] = {"format": image.format}
    if pages > 1:
        # A multi-page TIFF keeps every page, each a copy of its pixels only (the first page is the thumbnail).
        save["save_all"] = True
        save["append_images"] = [_tiff_page(image, index) for index in range(1, pages)]
    if image.format == "JPEG":
        save["quality"] = 95
    if image.info.get("icc_profile"):
        save["icc_profile"] = image.info["icc_profile"]  # colour, not a person: kept
    clean.save(out, **save)  # type: ignore[arg-type]
    stored = out.getvalue()
    return Prepared(
        kind=AssetKind.IMAGE,
        content_type=IMAGE_FORMATS[image.format],
        data=stored,
        sha256=sha256(stored),
        original_sha256=sha256(data),
        extension=image.format.lower().replace("jpeg", "jpg"),
        width=clean.width,
        height=clean.height,
        pages=pages,
        stripped=stripped,
        thumbnail=thumbnail(clean),
    )


def _tiff_page(image: Image.Image, index: int) -> Image.Image:
    image.seek(index)
    image.load()
    return _without_metadata(image)


def _image_metadata(image: Image.Image) -> list[str]:
    """The kinds of metadata the image carries, as the reviewer is told they were removed."""
    found = []
    exif = image.getexif()
    if exif:
        found.append("EXIF")
        if exif.get_ifd(0x8825):  # the GPS IFD
            found.append("GPS")
    if image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b"http://ns.adobe.com/xap/" in _app1(image):
        found.append("XMP")
    if image.info.get("photoshop") or image.info.get("iptc"):
        found.append("IPTC")
    if any(key in image.info for key in ("comment", "Comment", "Description", "Author", "Software")):
        found.append(_("comments"))
    if image.format == "PNG" and getattr(image, "text", None):
        found.append(_("PNG text"))
    return found


def _app1(image: Image.Image) -> bytes:
    return b"".join(value for marker, value in getattr(image, "applist", []) if marker == "APP1")


def _without_metadata(image: Image.Image) -> Image.Image:
    """A copy of the pixels only, upright (the EXIF orientation applied before EXIF goes)."""
    upright = ImageOps.exif_transpose(image) or image
    clean = Image.new(upright.mode, upright.size)
    clean.frombytes(upright.tobytes())
    if upright.mode == "P":
        palette = upright.getpalette()
        if palette:
            clean.putpalette(palette)
    return clean


def thumbnail(image: Image.Image) -> bytes:
    copy = image.convert("RGB")
    copy.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _pdf(data: bytes) -> Prepared:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        info = reader.metadata
        has_xmp = "/Metadata" in reader.root_object
    except (PdfReadError, KeyError, ValueError) as error:
        raise Refused(_("This PDF cannot be read.")) from error
    stripped = []
    if info:
        stripped.append(_("document information"))
    if has_xmp:
        stripped.append("XMP")
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    stored = out.getvalue()
    return Prepared(
        kind=AssetKind.PDF,
        content_type="application/pdf",
        data=stored,
        sha256=sha256(stored),
        original_sha256=sha256(data),
        extension="pdf",
        pages=pages,
        stripped=stripped,
        thumbnail=_pdf_thumbnail(stored),
    )


def _pdf_thumbnail(data: bytes) -> bytes | None:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        scale = THUMBNAIL_SIZE[0] / max(page.get_width(), page.get_height(), 1)
        image = page.render(scale=max(scale, 0.1)).to_pil()
        return thumbnail(image)
    finally:
        document.close()


@dataclass
class PreparedVideo:
    """A video stripped in place in its stream (never read whole): what is stored is the stream as it now is."""

    content_type: str
    sha256: str
    original_sha256: str
    size: int
    extension: str
    width: int | None
    height: int | None
    stripped: list[str]


def stream_sha256(stream: BinaryIO) -> tuple[str, int]:
    """The SHA-256 and length of a stream, read in chunks from its start (left at its start)."""
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(mp4.CHUNK):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def prepare_video(stream: BinaryIO) -> PreparedVideo:
    """An MP4 or QuickTime video, recognised by its boxes, its metadata boxes blanked in place (``mp4.strip``).
    ``stream`` must be seekable and writable. Raises :class:`Refused` for anything else."""
    content_type = mp4.kind_of(stream)
    if content_type is None:
        raise Refused(_("Videos must be MP4 or MOV (whatever the file's name says)."))
    original, _size = stream_sha256(stream)
    try:
        stripped = mp4.strip(stream)
    except mp4.NotAVideo as error:
        raise Refused(_("This video cannot be read: its structure is damaged.")) from error
    stored, size = stream_sha256(stream)
    width, height = mp4.dimensions(stream)
    return PreparedVideo(
        content_type=content_type,
        sha256=stored,
        original_sha256=original,
        size=size,
        extension="mov" if content_type == "video/quicktime" else "mp4",
        width=width,
        height=height,
        stripped=stripped,
    )
