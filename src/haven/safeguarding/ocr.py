"""Reading the legible text of an asset with Tesseract (Debian's ``tesseract-ocr``, English and French data): every
word with its box, page by page, so the reviewer sees what a document on a desk in the frame says. The machine
finds; a person judges (checklist C2).

An image is read as stored; a PDF page is rendered first (pypdfium2, at about 200 dpi); a video is read through its
contact sheet. Where Tesseract is not installed the asset is marked as not read, and the review page says so.
"""

import io
import shutil
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from PIL import Image

from .models import Asset, AssetKind, AssetText, OcrStatus

LANGUAGES = "eng+fra"
PDF_SCALE = 200 / 72  # PDF points to pixels at about 200 dpi
MIN_CONFIDENCE = 30  # Tesseract's word confidence (0-100) below which a "word" is usually noise


class OcrUnavailable(RuntimeError):
    """Tesseract, or its English and French data, is not installed here."""


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "left": self.left,
            "top": self.top,
            "width": self.width,
            "height": self.height,
            "confidence": round(self.confidence, 1),
        }


AVAILABLE_FOR_S = 300.0
_available: tuple[float, bool] | None = None  # (when it was asked, the answer)


def available() -> bool:
    """Whether Tesseract and its English and French data are installed. Asking runs ``tesseract`` (some 25 ms), so
    a process keeps the answer for five minutes: a review page asks on every view while a file waits for its
    reading, and installing Tesseract is seen within five minutes without a restart."""
    global _available
    now = time.monotonic()
    if _available is None or now - _available[0] > AVAILABLE_FOR_S:
        _available = (now, _ask_tesseract())
    return _available[1]


def _ask_tesseract() -> bool:
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    try:
        languages = set(pytesseract.get_languages(config=""))
    except pytesseract.TesseractError:
        return False
    return {"eng", "fra"} <= languages


def words_in(image: Image.Image, *, languages: str = LANGUAGES) -> list[Word]:
    """Every word Tesseract reads in the image, in reading order, with its box in the image's pixels."""
    import pytesseract

    if not available():
        raise OcrUnavailable("tesseract with eng and fra data is not installed")
    data = pytesseract.image_to_data(image.convert("RGB"), lang=languages, output_type=pytesseract.Output.DICT)
    words = []
    for i, text in enumerate(data["text"]):
        text = text.strip()
        confidence = float(data["conf"][i])
        if text and confidence >= MIN_CONFIDENCE:
            words.append(
                Word(
                    text=text,
                    left=int(data["left"][i]),
                    top=int(data["top"][i]),
                    width=int(data["width"][i]),
                    height=int(data["height"][i]),
                    confidence=confidence,
                )
            )
    return words


def pages_of(asset: Asset) -> list[Image.Image]:
    """The images to read for an asset: the image itself, each page of a PDF, a video's contact sheet."""
    if asset.kind == AssetKind.VIDEO:
        return pages_of(asset.contact_sheet) if asset.contact_sheet else []
    with asset.file.open("rb") as stored:
        data = stored.read()
    if asset.kind == AssetKind.PDF:
        import pypdfium2

        document = pypdfium2.PdfDocument(data)
        try:
            return [page.render(scale=PDF_SCALE).to_pil() for page in document]
        finally:
            document.close()
    image = Image.open(io.BytesIO(data))
    frames = []
    for index in range(getattr(image, "n_frames", 1)):  # a multi-page TIFF
        image.seek(index)
        frames.append(image.copy())
    return frames


def read_asset(asset_id: int) -> int:
    """Read every page of the asset and keep the words; returns how many were found. Idempotent: reading again
    replaces what was read."""
    asset = Asset.objects.dangerously_unscoped().select_related("contact_sheet").get(pk=asset_id)
    if not available():
        return 0
    try:
        pages = pages_of(asset)
        read = [(number, page.size, words_in(page)) for number, page in enumerate(pages, start=1)]
    except (OSError, ValueError, OcrUnavailable):
        Asset.objects.in_org(asset.organization_id).filter(pk=asset.pk).update(ocr_status=OcrStatus.FAILED)
        return 0
    with transaction.atomic():
        AssetText.objects.in_org(asset.organization_id).filter(asset=asset).delete()
        AssetText.objects.bulk_create(
            AssetText(
                organization_id=asset.organization_id,
                asset=asset,
                page=number,
                width=size[0],
                height=size[1],
                words=[word.as_dict() for word in words],
                text=" ".join(word.text for word in words),
                languages=LANGUAGES,
                read_at=timezone.now(),
            )
            for number, size, words in read
        )
        status = OcrStatus.DONE if pages else OcrStatus.NOT_APPLICABLE
        Asset.objects.in_org(asset.organization_id).filter(pk=asset.pk).update(ocr_status=status)
    return sum(len(words) for _, _, words in read)
