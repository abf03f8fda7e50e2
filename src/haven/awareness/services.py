"""Every write of the awareness pillar, audited with ids and counts.

A campaign that shows minors goes live only with its creative review ready to publish (two approvals, for the
files it holds now): the rule is checked here, when it goes live, and the database refuses a live campaign
showing minors with no review at all."""

import dataclasses
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.audit import services as audit
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.safeguarding import selectors as safeguarding

from . import utm
from .models import AwarenessEvent, Campaign, CampaignLink, CampaignStatus

# Who runs a company's campaigns: its creative team and its org admin.
RUNS_CAMPAIGNS = frozenset({Role.CREATIVE, Role.ORG_ADMIN})


def check_runner(membership: Membership, company: Organization | int) -> None:
    company_id = getattr(company, "pk", company)
    if membership.organization_id != company_id or membership.role not in RUNS_CAMPAIGNS:
        raise PermissionDenied
    if membership.organization.kind != OrganizationKind.CORPORATE_PARTNER:
        raise PermissionDenied


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignFields:
    name: str
    slug: str
    message: str
    audience: str
    starts_on: date
    ends_on: date
    channels: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    event_id: int | None = None
    shows_minors: bool = False
    review_id: int | None = None


def _check_review(company: Organization, review_id: int | None) -> None:
    if review_id is not None and not safeguarding.submissions_of(company).filter(pk=review_id).exists():
        raise ValidationError({"review_id": _("Choose one of your company's creative reviews.")})


@transaction.atomic
def campaign_save(
    *, membership: Membership, company: Organization, fields: CampaignFields, campaign: Campaign | None = None
) -> Campaign:
    """Plan a campaign, or change one. A live campaign showing minors keeps a ready review (changing it to one that
    is not ready is refused)."""
    check_runner(membership, company)
    if fields.ends_on < fields.starts_on:
        raise ValidationError({"ends_on": _("A campaign ends on or after the day it starts.")})
    values = dataclasses.asdict(fields)
    values["slug"] = utm.vocabulary(fields.slug)
    if not values["slug"]:
        raise ValidationError({"slug": _("Give the campaign a code of letters and digits.")})
    values["countries"] = sorted({c.upper() for c in fields.countries})
    values["channels"] = sorted(set(fields.channels))
    values["languages"] = sorted(set(fields.languages))
    _check_review(company, fields.review_id)
    if campaign is None:
        campaign = Campaign(organization=company, program=safeguarding.program_of(company), created_by=membership.user)
    elif campaign.organization_id != company.pk:
        raise PermissionDenied
    created = campaign.pk is None
    for name, value in values.items():
        setattr(campaign, name, value)
    if campaign.status == CampaignStatus.LIVE:
        _check_may_be_live(campaign)
    if Campaign.objects.in_org(company).filter(slug=campaign.slug).exclude(pk=campaign.pk).exists():
        raise ValidationError({"slug": _("Another campaign has this code.")})
    campaign.save()
    if created:
        audit.record(actor=membership.user, action="awareness.campaign_create", organization=company, target=campaign)
    else:
        audit.record(actor=membership.user, action="awareness.campaign_update", organization=company, target=campaign)
    return campaign


def _check_may_be_live(campaign: Campaign) -> None:
    if not campaign.shows_minors:
        return
    reviews = safeguarding.submissions_of(campaign.organization_id)
    review = reviews.filter(pk=campaign.review_id).first() if campaign.review_id else None
    if review is None or not safeguarding.is_ready(review):
        raise ValidationError(
            _("This campaign shows minors: it goes live only once its creative review is approved and ready.")
        )


@transaction.atomic
def campaign_go_live(*, membership: Membership, campaign: Campaign) -> Campaign:
    check_runner(membership, campaign.organization_id)
    campaign = Campaign.objects.in_org(campaign.organization_id).select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.PLANNED:
        raise ValidationError(_("Only a planned campaign goes live."))
    _check_may_be_live(campaign)
    campaign.status = CampaignStatus.LIVE
    campaign.went_live_at = timezone.now()
    campaign.save(update_fields=["status", "went_live_at", "updated_at"])
    audit.record(
        actor=membership.user, action="awareness.campaign_live", organization=campaign.organization_id, target=campaign
    )
    return campaign


@transaction.atomic
def campaign_end(*, membership: Membership, campaign: Campaign, cancelled: bool = False) -> Campaign:
    check_runner(membership, campaign.organization_id)
    if campaign.status in (CampaignStatus.ENDED, CampaignStatus.CANCELLED):
        return campaign
    campaign.status = CampaignStatus.CANCELLED if cancelled else CampaignStatus.ENDED
    campaign.save(update_fields=["status", "updated_at"])
    entry: dict[str, Any] = {"actor": membership.user, "organization": campaign.organization_id, "target": campaign}
    if cancelled:
        audit.record(action="awareness.campaign_cancel", **entry)
    else:
        audit.record(action="awareness.campaign_end", **entry)
    return campaign


@transaction.atomic
def links_add(
    *, membership: Membership, campaign: Campaign, destination: str, pairs: Iterable[tuple[str, str, str, str]]
) -> list[CampaignLink]:
    """Tracked links to ``destination`` for each (source, medium, content, term), built with the campaign's code."""
    check_runner(membership, campaign.organization_id)
    made = []
    for source, medium, content, term in pairs:
        if not utm.vocabulary(source) or not utm.vocabulary(medium):
            raise ValidationError(_("Each link needs a source and a medium."))
        url = utm.build(destination, source=source, medium=medium, campaign=campaign.slug, content=content, term=term)
        link, _created = CampaignLink.objects.get_or_create(
            organization_id=campaign.organization_id,
            campaign=campaign,
            url=url,
            defaults={
                "destination": destination,
                "source": utm.vocabulary(source),
                "medium": utm.vocabulary(medium),
                "content": utm.vocabulary(content),
                "term": utm.vocabulary(term),
            },
        )
        made.append(link)
    audit.record(
        actor=membership.user,
        action="awareness.links_add",
        organization=campaign.organization_id,
        target=campaign,
        detail={"links": len(made)},
    )
    return made


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventFields:
    name_en: str
    name_fr: str
    starts_on: date
    ends_on: date
    country: str = ""
    yearly: bool = True
    note_en: str = ""
    note_fr: str = ""


@transaction.atomic
def event_save(*, membership: Membership, fields: EventFields, event: AwarenessEvent | None = None) -> AwarenessEvent:
    """Add an event to the awareness calendar, or change one: the program admin's (the calendar is everyone's)."""
    if membership.role != Role.PROGRAM_ADMIN:
        raise PermissionDenied
    if fields.ends_on < fields.starts_on:
        raise ValidationError({"ends_on": _("An event ends on or after the day it starts.")})
    country = fields.country.strip().upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise ValidationError({"country": _("The country must be a two-letter ISO code, such as FR or US.")})
    created = event is None
    event = event or AwarenessEvent()
    for name, value in dataclasses.asdict(fields).items():
        setattr(event, name, value)
    event.country = country
    event.save()
    if created:
        audit.record(
            actor=membership.user,
            action="awareness.event_create",
            organization=membership.organization_id,
            target=event,
        )
    else:
        audit.record(
            actor=membership.user,
            action="awareness.event_update",
            organization=membership.organization_id,
            target=event,
        )
    return event
