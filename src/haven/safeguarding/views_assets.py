"""A submission's files and their thumbnails, served only here: to a member of the company who may see the
submission (404 for anyone else, as for a file that does not exist). No asset has any other URL: the ``assets``
storage is outside the web root and never under MEDIA_URL (an S3 store's objects are private)."""

from typing import cast

from django.http import FileResponse, HttpResponse
from django.views.decorators.http import require_GET

from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest

from . import selectors
from .views_submissions import READERS


def _serve(file: object, *, content_type: str) -> HttpResponse:
    response = FileResponse(file, content_type=content_type)
    # Shown in the browser, never guessed at, never kept by a cache (the file name as uploaded stays out of the
    # header: it may say who or where).
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A streamed response, typed as the HttpResponse the view guards pass through unchanged.
    return cast(HttpResponse, response)


@require_GET
@role_required(*READERS)
def asset_file(request: MemberRequest, asset_id: int) -> HttpResponse:
    """The stored file (metadata stripped), each read audited (``selectors.asset_read``)."""
    asset = selectors.asset_read(membership=request.membership, asset_id=asset_id)
    return _serve(asset.file.open("rb"), content_type=asset.content_type)


@require_GET
@role_required(*READERS)
def asset_thumbnail(request: MemberRequest, asset_id: int) -> HttpResponse:
    """The file's thumbnail (a JPEG of its first page or its contact sheet)."""
    asset = selectors.asset_read(membership=request.membership, asset_id=asset_id, thumbnail=True)
    return _serve(asset.thumbnail.open("rb"), content_type="image/jpeg")
