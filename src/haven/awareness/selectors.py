"""Every read of the awareness pillar. A company's campaigns are seen by its creative team and its org admin (404
for anyone else, as for a campaign that does not exist); the program admin sees every campaign of the program,
read-only. The calendar of awareness events is the same for everyone."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from haven.organizations.models import Membership, Organization
from haven.programs.selectors import programs_visible_to
from haven.safeguarding import selectors as safeguarding

from .models import AwarenessEvent, Campaign, CampaignChannel, CampaignLink, CampaignResult, CampaignStatus

FIGURES = ("reach", "impressions", "engagement", "clicks", "conversions")


def campaigns_of(company: Organization | int) -> QuerySet[Campaign]:
    """The company's campaigns with their results so far (``reach``, ``impressions``, ``clicks``)."""
    return (
        Campaign.objects.in_org(company)
        .select_related("event")
        .annotate(**{name: Sum(f"results__{name}") for name in ("reach", "impressions", "clicks")})
    )


def access_campaign(*, company: Organization | int, campaign_id: int) -> Campaign:
    """A campaign of the company; 404 otherwise, as for none."""
    return get_object_or_404(Campaign.objects.in_org(company).select_related("event", "created_by"), pk=campaign_id)


def program_campaigns(membership: Membership) -> QuerySet[Campaign]:
    """Every company's campaigns in the programs the program admin runs, with their results so far."""
    programs = programs_visible_to(membership)
    # The program admin's read spans the companies of their programs: scoped by program, not by organization.
    return (
        Campaign.objects.dangerously_unscoped()
        .filter(program__in=programs)
        .select_related("organization", "program", "event")
        .annotate(**{name: Sum(f"results__{name}") for name in ("reach", "impressions", "clicks")})
    )


def access_program_campaign(*, membership: Membership, campaign_id: int) -> Campaign:
    try:
        return program_campaigns(membership).get(pk=campaign_id)
    except Campaign.DoesNotExist:
        raise Http404 from None


def review_of(campaign: Campaign) -> Any:
    """The creative review the campaign names (a submission of its own company), or None."""
    if campaign.review_id is None:
        return None
    return safeguarding.submissions_of(campaign.organization_id).filter(pk=campaign.review_id).first()


def review_choices(company: Organization, campaign: Campaign | None = None) -> list[tuple[int, str]]:
    """The reviews a campaign may name: the company's ready ones, and the one it names already (even if no longer
    ready, so that editing the campaign does not silently drop it)."""
    reviews = list(safeguarding.ready_submissions(company).values_list("pk", "title"))
    named = review_of(campaign) if campaign is not None else None
    if named is not None and named.pk not in {pk for pk, _title in reviews}:
        reviews.append((named.pk, named.title))
    return reviews


def go_live_needs(campaign: Campaign) -> list[str]:
    """What the campaign still needs before it can go live (nothing: it can)."""
    if campaign.status != CampaignStatus.PLANNED:
        return [_("Only a planned campaign goes live.")]
    if not campaign.shows_minors:
        return []
    review = review_of(campaign)
    if review is None:
        return [_("It shows minors: name the approved creative review of what it shows.")]
    if not safeguarding.is_ready(review):
        return [
            _("Its creative review “%(title)s” is not ready to publish: it needs two approvals of its current files.")
            % {"title": review.title}
        ]
    return []


def channel_names(codes: list[str]) -> list[str]:
    """The channels' names in the active language (a code Haven no longer knows is shown as it is)."""
    labels = dict(CampaignChannel.choices)
    return [str(labels.get(code, code)) for code in codes]


def links_of(campaign: Campaign) -> QuerySet[CampaignLink]:
    return CampaignLink.objects.in_org(campaign.organization_id).filter(campaign=campaign)


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    impressions, reach, clicks = row.get("impressions") or 0, row.get("reach") or 0, row.get("clicks") or 0
    return {
        **row,
        # Click-through rate: clicks / impressions (as a percentage); frequency: impressions / reach.
        "ctr": 100 * clicks / impressions if impressions else None,
        "frequency": impressions / reach if reach else None,
    }


@dataclass
class Results:
    totals: dict[str, Any]
    by_month: list[dict[str, Any]] = field(default_factory=list)
    by_country: list[dict[str, Any]] = field(default_factory=list)
    days: int = 0

    @property
    def any(self) -> bool:
        return self.days > 0


def results_of(campaign: Campaign) -> Results:
    """The campaign's results: totals, by month and by country, with the click-through rate and the frequency."""
    rows = CampaignResult.objects.in_org(campaign.organization_id).filter(campaign=campaign)
    sums = {name: Sum(name) for name in FIGURES}
    totals = rows.aggregate(**sums, rows=Count("pk"))
    by_month = rows.annotate(month=TruncMonth("on")).values("month").annotate(**sums).order_by("month")
    by_country = rows.values("country").annotate(**sums).order_by("-impressions", "country")
    return Results(
        totals=_rates({name: totals[name] or 0 for name in FIGURES}),
        by_month=[_rates(row) for row in by_month],
        by_country=[_rates(row) for row in by_country],
        days=totals["rows"],
    )


def event_name(event: AwarenessEvent) -> str:
    """The event's name in the active language (English when it has none in French)."""
    return event.name_fr if (get_language() or "").startswith("fr") and event.name_fr else event.name_en


def event_note(event: AwarenessEvent) -> str:
    return event.note_fr if (get_language() or "").startswith("fr") and event.note_fr else event.note_en


def events() -> QuerySet[AwarenessEvent]:
    return AwarenessEvent.objects.order_by("starts_on", "name_en")


def event_dates(event: AwarenessEvent, year: int) -> tuple[date, date]:
    """When a yearly event falls in ``year`` (a one-off event keeps its own days)."""
    if not event.yearly:
        return event.starts_on, event.ends_on
    length = event.ends_on - event.starts_on
    try:
        starts = event.starts_on.replace(year=year)
    except ValueError:  # 29 February
        starts = date(year, 3, 1)
    return starts, starts + length


def calendar(today: date) -> list[dict[str, Any]]:
    """The events, each with its next (or current) dates, soonest first."""
    rows = []
    for event in events():
        starts, ends = event_dates(event, today.year)
        if event.yearly and ends < today:
            starts, ends = event_dates(event, today.year + 1)
        rows.append(
            {
                "event": event,
                "name": event_name(event),
                "note": event_note(event),
                "starts_on": starts,
                "ends_on": ends,
                "now": starts <= today <= ends,
            }
        )
    return sorted(rows, key=lambda row: (row["starts_on"], row["event"].name_en))


def access_event(event_id: int) -> AwarenessEvent:
    return get_object_or_404(AwarenessEvent, pk=event_id)
