"""What ``reporting`` counts of awareness campaigns, over every company whose campaigns count toward a program: the
platforms' figures summed by campaign, month and country (never finer than a country)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from haven.programs.models import Program

from .models import Campaign, CampaignResult

METRICS = ("reach", "impressions", "engagement", "clicks")


@dataclass(frozen=True)
class Result:
    """The figures of one campaign, day (or period) and country, summed over channels and platforms."""

    campaign_id: int
    on: date
    country: str
    reach: int
    impressions: int
    engagement: int
    clicks: int


def results(program: Program, until: date | None = None) -> list[Result]:
    """The program's campaigns' results (periods beginning by ``until``, when given). One query, summed in the
    database."""
    rows = CampaignResult.objects.dangerously_unscoped().filter(campaign__program=program)
    if until is not None:
        rows = rows.filter(on__lte=until)
    return [
        Result(campaign_id, on, country, *(int(n or 0) for n in sums))
        for campaign_id, on, country, *sums in rows.values("campaign_id", "on", "country")
        .annotate(*[Sum(m) for m in METRICS])
        .values_list("campaign_id", "on", "country", *[f"{m}__sum" for m in METRICS])
        .order_by("campaign_id", "on", "country")
    ]


def campaign_names(program: Program) -> dict[int, str]:
    """The program's campaigns' names (a campaign is public by design: its name is what the public saw)."""
    return dict(Campaign.objects.dangerously_unscoped().filter(program=program).values_list("pk", "name"))
