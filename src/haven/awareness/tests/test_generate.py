"""The generator's awareness step: the demo partner's campaigns, planned, live and ended, one showing minors cleared
by a ready creative review, with tracked links and daily results by channel and country."""

import random
from datetime import date

import pytest
from django.db.models import F

from haven.awareness import generate
from haven.awareness.models import Campaign, CampaignLink, CampaignResult, CampaignStatus
from haven.core.generation import GenerationContext, Scale
from haven.organizations import generate as organizations
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.programs import generate as programs
from haven.safeguarding import generate as safeguarding
from haven.safeguarding import selectors
from haven.safeguarding.tests.conftest import name_the_program

SMALL = Scale("small", cacs=3, clinicians=10, children=10, trainers=1, learners=4, staff=10)


@pytest.fixture
def generated(db: None) -> GenerationContext:
    ctx = GenerationContext(scale=SMALL, seed=9, start=date(2025, 1, 1), rng=random.Random(9))
    organizations.run(ctx)
    programs.run(ctx)
    name_the_program(ctx)  # as the learning step does before this one in the full generator
    safeguarding.run(ctx)
    before = ctx.rng.getstate()
    generate.run(ctx)
    assert ctx.rng.getstate() == before
    return ctx


def test_campaigns_planned_live_and_ended_with_one_cleared_by_a_ready_review(generated: GenerationContext) -> None:
    company = Organization.objects.get(kind=OrganizationKind.CORPORATE_PARTNER)
    campaigns = Campaign.objects.in_org(company)
    assert set(campaigns.values_list("status", flat=True)) == {
        CampaignStatus.PLANNED,
        CampaignStatus.LIVE,
        CampaignStatus.ENDED,
    }
    assert campaigns.filter(starts_on=date(2025, 4, 1), countries=["US"]).exists()
    assert campaigns.filter(starts_on=date(2026, 4, 1), countries=["US"]).exists()
    assert campaigns.filter(countries=["FR"], languages=["fr"], slug__contains="119").exists()
    shown = campaigns.get(shows_minors=True)
    assert shown.status != CampaignStatus.PLANNED
    review = selectors.submissions_of(company).get(pk=shown.review_id)
    assert selectors.is_ready(review)
    for campaign in campaigns:
        links = CampaignLink.objects.in_org(company).filter(campaign=campaign)
        assert links.exists() and all(f"utm_campaign={campaign.slug}" in link.url for link in links)


def test_results_by_day_channel_and_country_are_plausible(generated: GenerationContext) -> None:
    company = Organization.objects.get(kind=OrganizationKind.CORPORATE_PARTNER)
    results = CampaignResult.objects.in_org(company)
    assert results.exists()
    assert not results.filter(reach__gt=F("impressions")).exists()
    assert not results.filter(engagement__gt=F("impressions")).exists()
    assert not results.filter(clicks__gt=F("engagement") + F("impressions") / 50).exists()
    assert not results.filter(conversions__gt=F("clicks")).exists()
    assert results.values("channel").distinct().count() >= 4
    # Nothing is reported for a day the campaign had not started, nor for a planned campaign.
    assert not results.filter(on__lt=F("campaign__starts_on")).exists()
    assert not results.filter(campaign__status=CampaignStatus.PLANNED).exists()
    for campaign in Campaign.objects.in_org(company).exclude(status=CampaignStatus.PLANNED):
        days = results.filter(campaign=campaign).values("on").distinct().count()
        assert days >= 1
        assert set(results.filter(campaign=campaign).values_list("country", flat=True)) == set(campaign.countries)
