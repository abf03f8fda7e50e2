"""OCR finds the text a person would read in the frame: words made into an image here, read back by Tesseract with
their boxes where they were drawn. Skipped, with the reason, where Tesseract is missing; CI installs it and runs."""

import os

import pytest

from haven.organizations.models import Membership
from haven.safeguarding import ocr, services
from haven.safeguarding.models import AssetText, OcrStatus, Submission

from .conftest import image_bytes

needs_tesseract = pytest.mark.skipif(
    not ocr.available() and os.environ.get("CI") != "true",
    reason="Tesseract OCR with English and French data is not installed (apt-get install tesseract-ocr "
    "tesseract-ocr-eng tesseract-ocr-fra); CI installs it and runs these tests",
)

pytestmark = [pytest.mark.django_db, needs_tesseract]


def test_ocr_reads_a_court_document_in_the_frame(draft: Submission, creative: Membership) -> None:
    asset = services.asset_add(
        membership=creative,
        submission=draft,
        file_name="desk.png",
        data=image_bytes(text="UNITED STATES v. WILLIAMS", size=(1200, 300), format="PNG"),
    )
    assert ocr.read_asset(asset.pk) >= 3
    asset.refresh_from_db()
    assert asset.ocr_status == OcrStatus.DONE
    page = AssetText.objects.in_org(asset.organization_id).get(asset=asset)
    assert "WILLIAMS" in page.text.upper()
    williams = next(word for word in page.words if "WILLIAMS" in word["text"].upper())
    # The box is where the words were drawn: on the left half's right, around the middle line.
    assert 40 <= williams["left"] <= 1200 and 60 <= williams["top"] <= 200
    assert (page.width, page.height) == (1200, 300)


def test_ocr_reads_every_page_of_a_pdf_storyboard(draft: Submission, creative: Membership) -> None:
    import io

    from PIL import Image

    pages = [
        Image.open(io.BytesIO(image_bytes(text=word, size=(900, 300), format="PNG"))) for word in ("HARNESS", "COLLAR")
    ]
    out = io.BytesIO()
    pages[0].convert("RGB").save(out, format="PDF", save_all=True, append_images=[pages[1].convert("RGB")])
    asset = services.asset_add(membership=creative, submission=draft, file_name="board.pdf", data=out.getvalue())
    ocr.read_asset(asset.pk)
    texts = list(AssetText.objects.in_org(asset.organization_id).filter(asset=asset).values_list("page", "text"))
    assert [page for page, _ in texts] == [1, 2]
    assert "HARNESS" in texts[0][1].upper() and "COLLAR" in texts[1][1].upper()
