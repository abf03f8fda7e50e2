"""The creative team's pages, walked as its members would: drafting, uploading several files at once and a video with
its contact sheet, replacing and removing a file (confirmed), submitting and resubmitting; the reviewers read the
same page without its buttons; nobody outside the company finds any of it."""

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.safeguarding import selectors, services
from haven.safeguarding.models import Asset, AssetKind, Outcome, Status, Submission
from haven.training.tests.factories import make_program

from .conftest import answer_all, image_bytes
from .test_intake import GPS_TEXT, mp4_bytes

pytestmark = pytest.mark.django_db


def _upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_creative_drafts_a_submission_through_the_form(
    creative: Membership, company: Organization, program: object, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(creative.user)
    response = client.post(
        reverse("safeguarding:submission_create"),
        {
            "kind": "shoot",
            "title": "Back to school",
            "brief": "Children with backpacks.",
            "markets": "us, fr",
            "channels": ["social", "print"],
            "publish_on": "2027-08-15",
            "shows_minors": "on",
            "minor_ages": "7, 10",
        },
    )
    submission = Submission.objects.in_org(company).get(title="Back to school")
    assert response.status_code == 302
    assert (submission.markets, submission.channels, submission.minor_ages) == (
        ["FR", "US"],
        ["print", "social"],
        [7, 10],
    )
    page = client.get(reverse("safeguarding:submission", args=[submission.pk])).content.decode()
    assert "Back to school" in page and "Submit for review" in page


def test_the_form_refuses_bad_codes_and_missing_ages_with_a_400(
    creative: Membership, company: Organization, program: object, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(creative.user)
    bad = client.post(reverse("safeguarding:submission_create"), {"kind": "campaign", "title": "X", "markets": "USA"})
    assert bad.status_code == 400 and "USA" in bad.content.decode()
    ages = client.post(
        reverse("safeguarding:submission_create"), {"kind": "campaign", "title": "X", "shows_minors": "on"}
    )
    assert ages.status_code == 400 and "age" in ages.content.decode()
    assert not Submission.objects.in_org(company).exists()


def test_a_company_that_names_no_program_is_told_and_its_work_counts_toward_none_it_never_chose(
    partner: Organization, national: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    make_program(national)  # a program exists, but this company never named it
    creative = make_member(Role.CREATIVE, partner)
    response = signed_in(creative).post(reverse("safeguarding:submission_create"), {"kind": "campaign", "title": "X"})
    assert response.status_code == 400
    assert "has not named the program" in response.content.decode()
    assert not Submission.objects.dangerously_unscoped().exists()


def test_the_list_filters_by_status_and_pages(
    draft: Submission, creative: Membership, company: Organization, signed_in: Callable[[User], Client]
) -> None:
    for n in range(26):
        services.submission_save(
            membership=creative, company=company, fields=services.SubmissionFields(title=f"Batch {n:02}")
        )
    services.submit(membership=creative, submission=draft)
    client = signed_in(creative.user)
    listed = client.get(reverse("safeguarding:submissions")).content.decode()
    assert "27 submissions" in listed and "Page 1 of 2" in listed
    submitted = client.get(reverse("safeguarding:submissions"), {"status": "submitted"}).content.decode()
    assert "Holiday gift shop" in submitted and "Batch 00" not in submitted and "1 submission" in submitted


def test_several_files_at_once_then_a_video_with_its_contact_sheet(
    draft: Submission, creative: Membership, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(creative.user)
    url = reverse("safeguarding:asset_upload", args=[draft.pk])
    response = client.post(
        url,
        {
            "uploads": [
                _upload("one.png", image_bytes(format="PNG")),
                _upload("two.webp", image_bytes(format="WEBP")),
            ]
        },
    )
    assert response.status_code == 302
    response = client.post(
        url, {"video": _upload("spot.mov", mp4_bytes()), "contact_sheet": _upload("sheet.jpg", image_bytes())}
    )
    assert response.status_code == 302
    current = selectors.submission_assets(draft)
    assert [a.file_name for a in current] == ["hero.jpg", "one.png", "two.webp", "spot.mov"]
    video = current[-1]
    assert video.kind == AssetKind.VIDEO and video.contact_sheet is not None
    with video.file.open("rb") as handle:
        assert GPS_TEXT not in handle.read()
    page = client.get(reverse("safeguarding:submission", args=[draft.pk])).content.decode()
    assert video.sha256 in page and video.sha256[:12] in page  # shortened, the whole on hover
    assert "GPS (©xyz)" in page and "sheet.jpg" in page


def test_a_video_without_its_contact_sheet_is_refused(
    draft: Submission, creative: Membership, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(creative.user).post(
        reverse("safeguarding:asset_upload", args=[draft.pk]), {"video": _upload("spot.mp4", mp4_bytes())}
    )
    assert response.status_code == 400 and "contact sheet" in response.content.decode()
    assert len(selectors.current_assets(draft)) == 1


def test_a_renamed_file_is_refused_with_a_message_and_nothing_is_stored(
    draft: Submission, creative: Membership, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(creative.user).post(
        reverse("safeguarding:asset_upload", args=[draft.pk]),
        {"uploads": [_upload("photo.jpg", b"MZ\x90\x00 this is a program" * 20, "image/jpeg")]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "photo.jpg" in page and "JPEG, PNG, WebP or TIFF" in page
    assert len(selectors.current_assets(draft)) == 1


def test_replacing_and_removing_a_file(
    draft: Submission, creative: Membership, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(creative.user)
    hero = selectors.current_assets(draft)[0]
    response = client.post(
        reverse("safeguarding:asset_replace", args=[hero.pk]),
        {"uploads": _upload("hero-v2.png", image_bytes(format="PNG"))},
    )
    assert response.status_code == 302
    (current,) = selectors.current_assets(draft)
    assert current.file_name == "hero-v2.png"
    remove = reverse("safeguarding:asset_remove", args=[current.pk])
    asked = client.post(remove)  # a button elsewhere: the question, nothing removed
    assert asked.status_code == 200 and selectors.current_assets(draft)
    client.post(remove, {"confirmed": "yes"})
    assert not selectors.current_assets(draft)


def test_submit_then_resubmit_after_changes(
    draft: Submission, creative: Membership, safeguarder: Membership, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(creative.user)
    client.post(reverse("safeguarding:submission_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert (draft.status, draft.round) == (Status.SUBMITTED, 1)
    services.decide(membership=safeguarder, submission=draft, outcome=Outcome.CHANGES, note="Crop the school logo.")
    page = client.get(reverse("safeguarding:submission", args=[draft.pk])).content.decode()
    assert "Crop the school logo." in page and "Resubmit for review" in page
    client.post(reverse("safeguarding:submission_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert (draft.status, draft.round) == (Status.RESUBMITTED, 2)


def test_the_page_says_what_is_still_needed(
    draft: Submission, creative: Membership, safeguarder: Membership, signed_in: Callable[[User], Client]
) -> None:
    services.submit(membership=creative, submission=draft)
    answer_all(safeguarder, draft)
    services.decide(membership=safeguarder, submission=draft, outcome=Outcome.APPROVE)
    page = signed_in(creative.user).get(reverse("safeguarding:submission", args=[draft.pk])).content.decode()
    assert "a second approval, by another reviewer" in page
    assert "an approval by a safeguarding reviewer" not in page


def test_reviewers_read_the_page_without_the_submitters_buttons(
    draft: Submission, safeguarder: Membership, brand: Membership, signed_in: Callable[[User], Client]
) -> None:
    for reviewer in (safeguarder, brand):
        client = signed_in(reviewer.user)
        page = client.get(reverse("safeguarding:submission", args=[draft.pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert "Holiday gift shop" in text and "Submit for review" not in text and "Remove" not in text
        assert client.get(reverse("safeguarding:asset_upload", args=[draft.pk])).status_code == 404
        assert client.post(reverse("safeguarding:submission_submit", args=[draft.pk])).status_code == 404


def test_a_member_of_another_company_gets_404_for_every_url(
    draft: Submission, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    elsewhere = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    asset = selectors.current_assets(draft)[0]
    urls = [
        ("get", reverse("safeguarding:submission", args=[draft.pk])),
        ("get", reverse("safeguarding:submission_edit", args=[draft.pk])),
        ("post", reverse("safeguarding:submission_submit", args=[draft.pk])),
        ("get", reverse("safeguarding:asset_upload", args=[draft.pk])),
        ("post", reverse("safeguarding:asset_upload", args=[draft.pk])),
        ("get", reverse("safeguarding:asset_replace", args=[asset.pk])),
        ("get", reverse("safeguarding:asset_remove", args=[asset.pk])),
        ("post", reverse("safeguarding:asset_remove", args=[asset.pk])),
        ("get", reverse("safeguarding:asset_file", args=[asset.pk])),
        ("get", reverse("safeguarding:asset_thumbnail", args=[asset.pk])),
    ]
    for role in (Role.CREATIVE, Role.ORG_ADMIN, Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER):
        client = signed_in(make_member(role, elsewhere))
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 404, (role, url)
        listed = client.get(reverse("safeguarding:submissions")) if role in (Role.CREATIVE, Role.ORG_ADMIN) else None
        assert listed is None or "Holiday gift shop" not in listed.content.decode()
    assert Asset.objects.in_org(draft.organization_id).filter(retired_at=None).count() == 1


def test_the_company_admin_sees_and_may_submit(
    draft: Submission, make_member: Callable[..., User], company: Organization, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(make_member(Role.ORG_ADMIN, company))
    assert "Holiday gift shop" in client.get(reverse("safeguarding:submissions")).content.decode()
    client.post(reverse("safeguarding:submission_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_the_pages_read_in_french(draft: Submission, creative: Membership, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(creative.user)
    with translation.override("fr"):
        client.cookies["django_language"] = "fr"
        listed = client.get(reverse("safeguarding:submissions"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        page = client.get(reverse("safeguarding:submission", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Nouvelle soumission" in listed
    assert "Soumettre" in page.content.decode()


def test_every_upload_and_removal_is_audited(
    draft: Submission, creative: Membership, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(creative.user)
    client.post(reverse("safeguarding:asset_upload", args=[draft.pk]), {"uploads": [_upload("a.jpg", image_bytes())]})
    asset = selectors.current_assets(draft)[-1]
    client.post(reverse("safeguarding:asset_remove", args=[asset.pk]), {"confirmed": "yes"})
    actions = list(
        AuditEntry.objects.in_org(draft.organization_id)
        .filter(target_id=str(asset.pk))
        .values_list("action", flat=True)
    )
    assert actions.count("safeguarding.asset_add") == 1 and actions.count("safeguarding.asset_remove") == 1
