"""The reviewer's page: who gets in (a reviewer of the company, not the submitter, nobody else), the words read on
each file boxed with the watch list first, the checklist saved with and without htmx, and the decision refused or
taken as the service says, with what is still needed and the approvals voided by a change of files."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.middleware import SESSION_KEY
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.safeguarding import ocr, selectors, services
from haven.safeguarding.models import Asset, AssetText, ChecklistAnswer, Decision, OcrStatus, Status, Submission

from .conftest import answer_all, image_bytes
from .test_ocr import needs_tesseract

pytestmark = pytest.mark.django_db

Signed = Callable[[User], Client]


@pytest.fixture
def submitted(draft: Submission, creative: Membership) -> Submission:
    return services.submit(membership=creative, submission=draft)


def _url(name: str, submission: Submission) -> str:
    return reverse(f"safeguarding:{name}", kwargs={"submission_id": submission.pk})


def _asset(submission: Submission) -> Asset:
    return selectors.current_assets(submission)[0]


def _read(asset: Asset, words: list[tuple[str, int]]) -> None:
    """What the text reader would keep for the asset's first page: ``words`` as (text, left) on one line."""
    AssetText.objects.create(
        organization_id=asset.organization_id,
        asset=asset,
        page=1,
        width=800,
        height=500,
        words=[
            {"text": text, "left": left, "top": 200, "width": 90, "height": 40, "confidence": 91.0}
            for text, left in words
        ],
        text=" ".join(text for text, _ in words),
    )
    Asset.objects.in_org(asset.organization_id).filter(pk=asset.pk).update(ocr_status=OcrStatus.DONE)


def test_a_reviewer_sees_the_facts_and_every_word_boxed_with_the_watch_list_first(
    submitted: Submission, safeguarder: Membership, signed_in: Signed
) -> None:
    _read(_asset(submitted), [("UNITED", 40), ("STATES", 140), ("v.", 240), ("WILLIAMS", 300), ("lamp", 420)])
    services.watch_terms_save(
        membership=safeguarder, company=submitted.organization, terms=["v.", "williams", "united states"]
    )
    response = signed_in(safeguarder.user).get(_url("review", submitted))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Holiday gift shop" in html and "6, 9" in html and "FR, US" in html and "Social media" in html
    # Every word has its box, positioned by attributes (no style: CSP); the watched ones in another class.
    assert html.count('<rect class="word"') == 1
    assert html.count('<rect class="word word-watched"') == 4
    assert 'x="300" y="200" width="90" height="40"' in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    # Listed first, as read: a phrase as one.
    assert "Found on page 1: <q>UNITED STATES</q>, <q>v.</q>, <q>WILLIAMS</q></li>" in html
    assert html.index("Found on page 1") < html.index("<svg")
    # And the full list of words, for a screen reader.
    assert "5 words read on page 1" in html and "<li>lamp</li>" in html


def test_the_page_image_is_served_to_a_reviewer_only_and_audited(
    submitted: Submission, safeguarder: Membership, creative: Membership, signed_in: Signed
) -> None:
    url = reverse("safeguarding:review_page", kwargs={"asset_id": _asset(submitted).pk, "page": 1})
    response = signed_in(safeguarder.user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    assert response.content[:2] == b"\xff\xd8"
    views = AuditEntry.objects.in_org(submitted.organization).filter(action="safeguarding.page_view")
    assert views.filter(actor=safeguarder.user).count() == 1
    missing = reverse("safeguarding:review_page", kwargs={"asset_id": _asset(submitted).pk, "page": 2})
    assert signed_in(safeguarder.user).get(missing).status_code == 404
    assert signed_in(creative.user).get(url).status_code == 404


def test_a_pdf_page_is_drawn_as_png(
    submitted: Submission, creative: Membership, safeguarder: Membership, signed_in: Signed
) -> None:
    from PIL import Image

    out = __import__("io").BytesIO()
    Image.new("RGB", (300, 200), "white").save(out, format="PDF")
    pdf = services.asset_add(membership=creative, submission=submitted, file_name="board.pdf", data=out.getvalue())
    url = reverse("safeguarding:review_page", kwargs={"asset_id": pdf.pk, "page": 1})
    response = signed_in(safeguarder.user).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_reader_status_says_when_tesseract_is_missing(
    submitted: Submission, safeguarder: Membership, signed_in: Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "available", lambda: False)
    html = signed_in(safeguarder.user).get(_url("review", submitted)).content.decode()
    assert "Tesseract (the text reader) is not installed on this server" in html
    monkeypatch.setattr(ocr, "available", lambda: True)
    html = signed_in(safeguarder.user).get(_url("review", submitted)).content.decode()
    assert "The text is being read" in html


@needs_tesseract
def test_words_tesseract_read_are_boxed_on_the_page(
    submitted: Submission, creative: Membership, safeguarder: Membership, signed_in: Signed
) -> None:
    asset = services.asset_add(
        membership=creative,
        submission=submitted,
        file_name="desk.png",
        data=image_bytes(text="UNITED STATES v. WILLIAMS", size=(1200, 300), format="PNG"),
    )
    ocr.read_asset(asset.pk)
    services.watch_terms_save(membership=safeguarder, company=submitted.organization, terms=["v.", "Williams"])
    html = signed_in(safeguarder.user).get(_url("review", submitted)).content.decode()
    assert "Found on page 1: <q>v.</q>, <q>WILLIAMS</q></li>" in html
    assert '<rect class="word word-watched"' in html


def test_the_submitter_is_told_another_reviewer_must_review(
    submitted: Submission, creative: Membership, signed_in: Signed
) -> None:
    """The creative who submitted also holds the safeguarding reviewer role: they may not review their own work."""
    as_reviewer = Membership.objects.create(
        user=creative.user, organization=creative.organization, role=Role.SAFEGUARDING_REVIEWER
    )
    client = signed_in(creative.user)
    session = client.session
    session[SESSION_KEY] = as_reviewer.pk
    session.save()
    response = client.get(_url("review", submitted))
    assert response.status_code == 200
    assert "another reviewer must review it" in response.content.decode()
    assert "<svg" not in response.content.decode()
    answer = client.post(_url("review_decide", submitted), {"outcome": "approve"})
    assert answer.status_code == 403
    assert not Decision.objects.in_org(submitted.organization).exists()


def test_nobody_else_gets_in(
    submitted: Submission,
    creative: Membership,
    make_member: Callable[..., User],
    signed_in: Signed,
    company: Organization,
) -> None:
    other_company = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    strangers = [
        make_member(Role.SAFEGUARDING_REVIEWER, other_company),
        make_member(Role.BRAND_REVIEWER, other_company),
        creative.user,  # the creative team sees its work on its own pages, not the reviewer's
        make_member(Role.ORG_ADMIN, company),
    ]
    page = reverse("safeguarding:review_page", kwargs={"asset_id": _asset(submitted).pk, "page": 1})
    for user in strangers:
        client = signed_in(user)
        assert client.get(_url("review", submitted)).status_code == 404
        assert client.post(_url("review_checklist", submitted), {}).status_code == 404
        assert client.post(_url("review_decide", submitted), {"outcome": "approve"}).status_code == 404
        assert client.get(page).status_code == 404
    assert not Decision.objects.in_org(submitted.organization).exists()


def test_the_checklist_is_grouped_by_section_and_only_what_applies(
    submitted: Submission, safeguarder: Membership, signed_in: Signed
) -> None:
    html = signed_in(safeguarder.user).get(_url("review", submitted)).content.decode()
    for legend in ("A. Consent and permits", "B. Depiction", "F. Metadata and location"):
        assert legend in html
    items = selectors.applicable_items(submitted)
    assert html.count('name="answer_') == 3 * len(items)  # yes, no, n/a each
    submitted.shows_minors, submitted.minor_ages = False, []
    submitted.save()
    html = signed_in(safeguarder.user).get(_url("review", submitted)).content.decode()
    assert html.count('name="answer_') == 3 * len(selectors.applicable_items(submitted)) < 3 * len(items)


def test_the_checklist_saves_without_javascript_and_a_no_needs_a_note(
    submitted: Submission, safeguarder: Membership, signed_in: Signed
) -> None:
    first, second = selectors.applicable_items(submitted)[:2]
    client = signed_in(safeguarder.user)
    refused = client.post(_url("review_checklist", submitted), {f"answer_{first.pk}": "no"})
    assert refused.status_code == 422
    assert f"Say what fails ({first.code})." in refused.content.decode()
    assert not ChecklistAnswer.objects.in_org(submitted.organization).exists()
    saved = client.post(
        _url("review_checklist", submitted),
        {f"answer_{first.pk}": "no", f"note_{first.pk}": "No permit on file", f"answer_{second.pk}": "yes"},
    )
    assert saved.status_code == 302
    assert dict(ChecklistAnswer.objects.in_org(submitted.organization).values_list("item__code", "answer")) == {
        first.code: "no",
        second.code: "yes",
    }
    submitted.refresh_from_db()
    assert submitted.status == Status.IN_REVIEW
    html = client.get(_url("review", submitted)).content.decode()
    assert "No permit on file" in html and f"Failing: {first.code}." in html


def test_the_checklist_saves_by_htmx_as_a_partial(
    submitted: Submission, safeguarder: Membership, signed_in: Signed
) -> None:
    item = selectors.applicable_items(submitted)[0]
    client = signed_in(safeguarder.user)
    response = client.post(
        _url("review_checklist", submitted), {f"answer_{item.pk}": "yes"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section id="checklist"') and "Checklist saved." in html and "<html" not in html
    refused = client.post(
        _url("review_checklist", submitted), {f"answer_{item.pk}": "no"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422 and 'id="checklist"' in refused.content.decode()


def test_a_decision_is_refused_with_the_service_reason_then_two_approvals_make_it_ready(
    submitted: Submission, safeguarder: Membership, brand: Membership, signed_in: Signed
) -> None:
    safe = signed_in(safeguarder.user)
    refused = safe.post(_url("review_decide", submitted), {"outcome": "approve"})
    assert refused.status_code == 422
    assert "Answer every checklist item, with none failing, before approving" in refused.content.decode()
    no_note = safe.post(_url("review_decide", submitted), {"outcome": "changes"})
    assert no_note.status_code == 422 and "Say what must change" in no_note.content.decode()

    answer_all(safeguarder, submitted)
    assert safe.post(_url("review_decide", submitted), {"outcome": "approve"}).status_code == 302
    html = safe.get(_url("review", submitted)).content.decode()
    assert "Approved by Sam Safe (Safeguarding reviewer)" in html
    assert "a second reviewer&#x27;s approval" in html
    assert "a safeguarding reviewer&#x27;s approval" not in html

    assert signed_in(brand.user).post(_url("review_decide", submitted), {"outcome": "approve"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    html = signed_in(brand.user).get(_url("review", submitted)).content.decode()
    assert "Ready to publish" in html and "Approved by Blake Brand (Legal or brand reviewer)" in html
    assert "Still needed" not in html


def test_a_brand_approval_alone_still_needs_the_safeguarding_reviewer(
    submitted: Submission, brand: Membership, signed_in: Signed
) -> None:
    answer_all(brand, submitted)
    client = signed_in(brand.user)
    client.post(_url("review_decide", submitted), {"outcome": "approve"})
    html = client.get(_url("review", submitted)).content.decode()
    assert "a safeguarding reviewer&#x27;s approval" in html and "a second reviewer&#x27;s approval" in html


def test_voided_approvals_say_why_in_the_history(
    submitted: Submission, creative: Membership, safeguarder: Membership, signed_in: Signed
) -> None:
    answer_all(safeguarder, submitted)
    services.decide(membership=safeguarder, submission=submitted, outcome="approve")
    services.asset_add(
        membership=creative, submission=submitted, file_name="retouched.jpg", data=image_bytes(gps=False)
    )
    html = signed_in(safeguarder.user).get(_url("review", submitted)).content.decode()
    assert "The files changed after this approval." in html
    assert "Nobody has approved this round yet." in html


def test_the_page_costs_a_bounded_number_of_queries(
    submitted: Submission,
    creative: Membership,
    safeguarder: Membership,
    signed_in: Signed,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = signed_in(safeguarder.user)
    client.get(_url("review", submitted))
    for name in ("two.jpg", "three.jpg", "four.jpg"):
        services.asset_add(membership=creative, submission=submitted, file_name=name, data=image_bytes(gps=False))
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        assert client.get(_url("review", submitted)).status_code == 200
