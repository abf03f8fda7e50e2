"""Awareness campaigns: a campaign showing minors goes live only with a creative review ready to publish; tracked
links carry one lowercase UTM vocabulary."""

from collections.abc import Callable
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.awareness import services, utm
from haven.awareness.models import CampaignStatus
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.safeguarding import services as reviews
from haven.safeguarding.models import Outcome, Submission
from haven.safeguarding.tests.conftest import answer_all


def _fields(**changes: object) -> services.CampaignFields:
    values: dict[str, object] = {
        "name": "April: prevention month",
        "slug": "CAP Month 2027",
        "message": "Every child deserves a safe childhood.",
        "audience": "Parents in the US",
        "starts_on": date(2027, 4, 1),
        "ends_on": date(2027, 4, 30),
        "channels": ("social",),
        "countries": ("us",),
        "languages": ("en",),
    }
    values.update(changes)
    return services.CampaignFields(**values)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_campaign_showing_minors_goes_live_only_with_a_ready_review(
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    draft: Submission,
    company: Organization,
    program: Program,
) -> None:
    campaign = services.campaign_save(
        membership=creative, company=company, fields=_fields(shows_minors=True, review_id=draft.pk)
    )
    assert campaign.slug == "cap-month-2027"
    with pytest.raises(ValidationError):
        services.campaign_go_live(membership=creative, campaign=campaign)
    reviews.submit(membership=creative, submission=draft)
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, draft)
        reviews.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)
    services.campaign_go_live(membership=creative, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LIVE


@pytest.mark.django_db
def test_a_campaign_showing_no_minors_goes_live_without_a_review(
    creative: Membership, company: Organization, program: Program
) -> None:
    campaign = services.campaign_save(membership=creative, company=company, fields=_fields())
    assert services.campaign_go_live(membership=creative, campaign=campaign).status == CampaignStatus.LIVE


@pytest.mark.django_db
def test_a_review_of_another_company_cannot_clear_a_campaign(
    creative: Membership, draft: Submission, make_member: Callable[..., User], program: Program
) -> None:
    other = Organization.objects.create(name="Other brand", kind="corporate_partner")
    other_creative = Membership.objects.in_org(other).get(user=make_member(Role.CREATIVE, other))
    with pytest.raises(ValidationError):
        services.campaign_save(
            membership=other_creative, company=other, fields=_fields(shows_minors=True, review_id=draft.pk)
        )


def test_utm_links_use_one_lowercase_vocabulary() -> None:
    url = utm.build(
        "https://example.org/help?lang=en&utm_source=old",
        source="Instagram Stories",
        medium="Social",
        campaign="CAP Month 2027",
        content="CTA top",
    )
    assert url == (
        "https://example.org/help?lang=en&utm_source=instagram-stories&utm_medium=social"
        "&utm_campaign=cap-month-2027&utm_content=cta-top"
    )


@given(st.text(max_size=30))
def test_a_vocabulary_value_is_lowercase_and_stable(value: str) -> None:
    once = utm.vocabulary(value)
    assert once == once.lower() and utm.vocabulary(once) == once
    assert " " not in once and not once.startswith("-") and not once.endswith("-")
