"""Generator step, after the creative reviews: the corporate partner's awareness campaigns.

April (National Child Abuse Prevention Month) in the US in 2025 and 2026, both ended, the 2026 one showing minors
and cleared by a creative review that is ready to publish; a French campaign for the 119 (Allô Enfance en danger)
live around the International Day of the Rights of the Child; next April's, planned. Each has tracked links and, for
the days it ran, results by day, channel, platform and country (reach within impressions, engagement and clicks
plausible shares of them). Written through ``services`` (audited); the results in bulk, as an import writes them.

Draws from its own ``random.Random`` (the context's seed plus a constant): earlier steps' draws are not shifted.
"""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from haven.core.generation import GenerationContext
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role

from . import services
from .models import AwarenessEvent, Campaign, CampaignChannel, CampaignResult

SEED_OFFSET = 15_005
DESTINATION = "https://www.partner.example/protect-children"
# (channel, platform, share of the day's impressions)
MIX = (
    (CampaignChannel.SOCIAL, "instagram", 0.35),
    (CampaignChannel.SOCIAL, "facebook", 0.15),
    (CampaignChannel.SEARCH, "google", 0.15),
    (CampaignChannel.DISPLAY, "programmatic", 0.2),
    (CampaignChannel.VIDEO, "youtube", 0.15),
)
LINKS = (
    ("instagram", "social", "story", ""),
    ("facebook", "social", "post", ""),
    ("google", "cpc", "", "child+abuse+prevention"),
    ("newsletter", "email", "cta-top", ""),
)


def _event(name_en: str, name_fr: str, country: str, starts_on: date, ends_on: date) -> AwarenessEvent:
    found = AwarenessEvent.objects.filter(name_en=name_en, country=country).first()
    return found or AwarenessEvent.objects.create(
        name_en=name_en, name_fr=name_fr, country=country, starts_on=starts_on, ends_on=ends_on, yearly=True
    )


def run(ctx: GenerationContext) -> None:
    rng = random.Random(ctx.seed + SEED_OFFSET)  # noqa: S311 - demo data, not a secret
    company = Organization.objects.get(pk=ctx.shared["partner_id"])
    runner = (
        Membership.objects.in_org(company)
        .filter(role=Role.CREATIVE, is_active=True)
        .select_related("user", "organization")
        .order_by("pk")
        .first()
    )
    if runner is None:
        return
    today = timezone.localdate()
    april = _event(
        "National Child Abuse Prevention Month",
        "Mois national de prévention de la maltraitance des enfants",
        "US",
        date(2025, 4, 1),
        date(2025, 4, 30),
    )
    rights = _event(
        "International Day of the Rights of the Child",
        "Journée internationale des droits de l'enfant",
        "",
        date(2025, 11, 20),
        date(2025, 11, 20),
    )
    ready = ctx.shared.get("ready_submission_ids") or []
    plans = [
        ("April 2025: every child deserves a safe childhood", "april-2025", date(2025, 4, 1), date(2025, 4, 30),
         ("US",), ("en",), april, False, None),
        ("April 2026: pinwheels for prevention", "april-2026", date(2026, 4, 1), date(2026, 4, 30),
         ("US",), ("en",), april, bool(ready), ready[0] if ready else None),
        ("119 : Allô Enfance en danger", "119-enfance-en-danger", today - timedelta(days=14),
         today + timedelta(days=14), ("FR",), ("fr",), rights, False, None),
        (f"April {today.year + 1}: prevention starts with us", f"april-{today.year + 1}",
         date(today.year + 1, 4, 1), date(today.year + 1, 4, 30), ("US",), ("en",), april, False, None),
    ]  # fmt: skip
    made = []
    for name, slug, starts_on, ends_on, countries, languages, event, shows_minors, review_id in plans:
        campaign = services.campaign_save(
            membership=runner,
            company=company,
            fields=services.CampaignFields(
                name=name,
                slug=slug,
                message="Know the signs; call for help. Every child deserves to be safe.",
                audience="Parents and caregivers",
                starts_on=starts_on,
                ends_on=ends_on,
                channels=tuple(sorted({str(channel) for channel, _platform, _share in MIX})),
                countries=countries,
                languages=languages,
                event_id=event.pk,
                shows_minors=shows_minors,
                review_id=review_id,
            ),
        )
        services.links_add(membership=runner, campaign=campaign, destination=DESTINATION, pairs=LINKS)
        if starts_on <= today:
            services.campaign_go_live(membership=runner, campaign=campaign)
            went_live = timezone.make_aware(datetime.combine(starts_on, time(8)))
            Campaign.objects.in_org(company).filter(pk=campaign.pk).update(went_live_at=went_live)
            if ends_on < today:
                services.campaign_end(membership=runner, campaign=campaign)
        _results(rng, campaign, starts_on, min(ends_on, today - timedelta(days=1)))
        made.append(campaign)
    ctx.count("awareness campaigns", len(made))


def _results(rng: random.Random, campaign: Campaign, first: date, last: date) -> None:
    """Daily figures by channel, platform and country for the days the campaign ran, written in bulk."""
    rows = []
    day, base = first, rng.randint(20_000, 60_000)
    while day <= last:
        daily = base * rng.uniform(0.6, 1.4) * (1.5 if day.weekday() >= 5 else 1.0)
        for country in campaign.countries:
            for channel, platform, share in MIX:
                impressions = int(daily * share * rng.uniform(0.8, 1.2))
                clicks = int(impressions * rng.uniform(0.003, 0.015))
                rows.append(
                    CampaignResult(
                        organization_id=campaign.organization_id,
                        campaign=campaign,
                        on=day,
                        channel=channel,
                        platform=platform,
                        country=country,
                        impressions=impressions,
                        reach=int(impressions * rng.uniform(0.45, 0.85)),
                        engagement=int(impressions * rng.uniform(0.01, 0.05)),
                        clicks=clicks,
                        conversions=int(clicks * rng.uniform(0.02, 0.1)),
                    )
                )
        day += timedelta(days=1)
    CampaignResult.objects.bulk_create(rows, batch_size=2000)
