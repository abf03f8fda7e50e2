"""A page of a file under review drawn as an image, for the reviewer's page: an image as stored where a browser
shows it as it is, any other page (a TIFF, a PDF page, a video's contact sheet) drawn as PNG. Each read is
audited (who saw which file's page), as every read of a file is."""

import io

from django.http import Http404

from haven.audit import services as audit
from haven.organizations.models import Membership

from . import ocr
from .models import Asset, AssetKind

SHOWN_AS_STORED = frozenset({"image/jpeg", "image/png", "image/webp"})


def page_image(*, membership: Membership, asset: Asset, page: int) -> tuple[str, bytes]:
    """(content type, bytes) of page ``page`` (from 1) of a current asset the member may see (``access_asset``);
    404 for a page it does not have."""
    if asset.retired_at is not None or page < 1:
        raise Http404
    if asset.kind == AssetKind.IMAGE and asset.content_type in SHOWN_AS_STORED and page == 1:
        with asset.file.open("rb") as stored:
            content_type, body = asset.content_type, stored.read()
    else:
        try:
            pages = ocr.pages_of(asset)
        except (OSError, ValueError) as error:
            raise Http404 from error
        if page > len(pages):
            raise Http404
        out = io.BytesIO()
        pages[page - 1].convert("RGB").save(out, format="PNG")
        content_type, body = "image/png", out.getvalue()
    audit.record(
        actor=membership.user,
        action="safeguarding.page_view",
        organization=asset.organization_id,
        target=asset,
        detail={"submission": asset.submission_id, "page": page},
    )
    return content_type, body
