"""A submission's files are served by one view only, to a member of the company who may see them: inline, with their
type, never sniffed, never cached, every read of a file audited. Large files stream to a temporary file on upload."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.safeguarding import intake, selectors, services
from haven.safeguarding.models import Submission

from .conftest import image_bytes

pytestmark = pytest.mark.django_db


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_file_is_served_inline_with_its_type_unsniffed_uncached_and_audited(
    draft: Submission, safeguarder: Membership, signed_in: Callable[[User], Client]
) -> None:
    asset = selectors.current_assets(draft)[0]
    client = signed_in(safeguarder.user)
    response = client.get(reverse("safeguarding:asset_file", args=[asset.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    with asset.file.open("rb") as handle:
        assert _body(response) == handle.read()
    client.get(reverse("safeguarding:asset_file", args=[asset.pk]))
    reads = AuditEntry.objects.in_org(draft.organization_id).filter(
        action="safeguarding.asset_view", target_id=str(asset.pk)
    )
    assert reads.count() == 2 and reads.first().actor_id == safeguarder.user_id  # type: ignore[union-attr]


def test_the_thumbnail_is_a_jpeg_and_not_audited(
    draft: Submission, creative: Membership, signed_in: Callable[[User], Client]
) -> None:
    asset = selectors.current_assets(draft)[0]
    response = signed_in(creative.user).get(reverse("safeguarding:asset_thumbnail", args=[asset.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert _body(response)[:3] == b"\xff\xd8\xff"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not AuditEntry.objects.in_org(draft.organization_id).filter(action="safeguarding.asset_view").exists()


def test_no_asset_is_reachable_outside_the_view(
    draft: Submission, creative: Membership, signed_in: Callable[[User], Client]
) -> None:
    """The storage lies outside the static root and nothing serves it: the storage's own URL for a stored file or
    its thumbnail answers 404, even to a member who may see the file through the view."""
    asset = selectors.current_assets(draft)[0]
    location = str(asset.file.storage.location)  # type: ignore[attr-defined]
    assert asset.file.storage.exists(asset.file.name)
    assert not location.startswith(str(settings.STATIC_ROOT))
    client = signed_in(creative.user)
    for stored in (asset.file, asset.thumbnail):
        assert client.get(stored.url).status_code == 404, stored.url
        assert client.get("/" + stored.name).status_code == 404
    assert client.get(reverse("safeguarding:asset_file", args=[asset.pk])).status_code == 200


@pytest.mark.parametrize("role", [Role.LEARNER, Role.CLINICIAN])
def test_other_roles_of_the_company_get_404(
    role: str,
    draft: Submission,
    company: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    asset = selectors.current_assets(draft)[0]
    client = signed_in(make_member(role, company))
    assert client.get(reverse("safeguarding:asset_file", args=[asset.pk])).status_code == 404
    assert client.get(reverse("safeguarding:submission", args=[draft.pk])).status_code == 404


def test_a_file_larger_than_the_in_memory_limit_streams_to_a_temporary_file(
    draft: Submission, creative: Membership, settings: Any, signed_in: Callable[[User], Client]
) -> None:
    """With only the in-memory handler (the settings), a file over its limit would be dropped; the upload view
    streams to disk, so it arrives whole."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = image_bytes(size=(1600, 1000))
    assert len(big) > 1024
    response = signed_in(creative.user).post(
        reverse("safeguarding:asset_upload", args=[draft.pk]),
        {"uploads": [SimpleUploadedFile("big.jpg", big, content_type="image/jpeg")]},
    )
    assert response.status_code == 302
    assert [a.file_name for a in selectors.current_assets(draft)] == ["hero.jpg", "big.jpg"]


def test_a_file_over_the_asset_limit_is_refused(
    draft: Submission, creative: Membership, settings: Any, signed_in: Callable[[User], Client]
) -> None:
    settings.HAVEN_ASSET_MAX_BYTES = 2048
    response = signed_in(creative.user).post(
        reverse("safeguarding:asset_upload", args=[draft.pk]),
        {"uploads": [SimpleUploadedFile("big.jpg", image_bytes(size=(1600, 1000)), content_type="image/jpeg")]},
    )
    assert response.status_code in (400, 413)
    assert len(selectors.current_assets(draft)) == 1


def test_a_file_prepared_beforehand_is_stored_as_if_prepared_in_the_write(
    draft: Submission, creative: Membership
) -> None:
    data = image_bytes(text="SCHOOL")
    ahead = services.asset_add(
        membership=creative, submission=draft, file_name="a.jpg", data=data, prepared=intake.prepare(data), read=False
    )
    inline = services.asset_add(membership=creative, submission=draft, file_name="b.jpg", data=data, read=False)
    assert (ahead.sha256, ahead.original_sha256, ahead.metadata_stripped) == (
        inline.sha256,
        inline.original_sha256,
        inline.metadata_stripped,
    )
    with ahead.file.open("rb") as first, inline.file.open("rb") as second:
        assert first.read() == second.read()
    # Another file's preparation is refused: what is stored is always what the given file becomes.
    with pytest.raises(ValueError, match="not the file given"):
        services.asset_add(
            membership=creative,
            submission=draft,
            file_name="c.jpg",
            data=data,
            prepared=intake.prepare(image_bytes(text="OTHER")),
            read=False,
        )
