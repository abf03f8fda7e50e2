"""Public awareness campaigns (``reference/awareness.md``): what the company and the program tell the public about
child abuse and where to get help, and how many people it reached.

A campaign belongs to the company that runs it (``organization``, a corporate partner) within a program. Its links
carry UTM parameters Haven builds; its results come from the platforms' CSV exports, a row per day (or period),
channel and country. A campaign that shows minors cannot go live without an approved creative review
(``safeguarding``). Reach and impressions are counts of the public, not of children: they leave the company
rounded, through the one disclosure module, like every figure.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from haven.organizations.tenancy import TenantModel


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


class CampaignChannel(models.TextChoices):
    SOCIAL = "social", _("Social media")
    SEARCH = "search", _("Search advertising")
    DISPLAY = "display", _("Display advertising")
    VIDEO = "video", _("Online video")
    EMAIL = "email", _("E-mail")
    OUTDOOR = "outdoor", _("Outdoor")
    PRINT = "print", _("Print")
    IN_STORE = "in_store", _("In store")
    EVENT = "event", _("Event")
    PRESS = "press", _("Press")


class AwarenessEvent(models.Model):
    """A date the public is reminded of (April, National Child Abuse Prevention Month in the US; Wear Blue Day...).

    Not tenant data: the calendar is the same for every company. ``country`` blank means everywhere."""

    name_en = models.CharField(max_length=200)
    name_fr = models.CharField(max_length=200)
    country = models.CharField(max_length=2, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    # A yearly event repeats on the same days each year (only ``starts_on``'s month and day count).
    yearly = models.BooleanField(default=True)
    note_en = models.TextField(blank=True)
    note_fr = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="event_ends")]

    def __str__(self) -> str:
        return self.name_en


class Campaign(TenantModel):
    """One awareness campaign: its message, audience, channels, period and languages."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="awareness_campaigns")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("campaign code"), max_length=80, help_text=_("Lowercase; used as utm_campaign."))
    message = models.TextField(_("message"))
    audience = models.CharField(_("audience"), max_length=200)
    channels = models.JSONField(_("channels"), default=list)
    countries = models.JSONField(_("countries"), default=list, help_text=_("ISO 3166 two-letter codes."))
    languages = models.JSONField(_("languages"), default=list)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    event = models.ForeignKey(
        AwarenessEvent, verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shows_minors = models.BooleanField(_("shows minors"), default=False)
    # The creative review (a safeguarding Submission of the same company) that cleared what the campaign shows. An id,
    # not a foreign key: a pillar reads another only through its selectors (safeguarding.selectors), which check it
    # is the company's own; submissions are never deleted.
    review_id = models.PositiveIntegerField(_("creative review"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    went_live_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="campaign_unique_slug"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"),
            # A campaign showing minors is live only with its review (services check the review is ready).
            models.CheckConstraint(
                condition=~Q(status=CampaignStatus.LIVE, shows_minors=True, review_id__isnull=True),
                name="campaign_minors_live_needs_review",
            ),
        ]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return self.name


class CampaignLink(TenantModel):
    """A tracked link of a campaign: the destination with the UTM parameters Haven built (one lowercase vocabulary)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    destination = models.URLField(_("destination"), max_length=500)
    source = models.CharField(_("source"), max_length=60)  # utm_source: newsletter, instagram
    medium = models.CharField(_("medium"), max_length=60)  # utm_medium: email, cpc, social
    content = models.CharField(_("content"), max_length=60, blank=True)  # utm_content: cta-top
    term = models.CharField(_("term"), max_length=100, blank=True)  # utm_term: a paid keyword
    url = models.URLField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "medium", "content"]
        constraints = [models.UniqueConstraint(fields=["campaign", "url"], name="campaign_link_unique_url")]


class CampaignResult(TenantModel):
    """The platform's figures for one day (or reporting period), channel and country of a campaign.

    Imported from the platforms' CSV exports (``imports.py``); importing the same period again replaces it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="results")
    on = models.DateField()  # the period's first day
    channel = models.CharField(max_length=16, choices=CampaignChannel.choices)
    platform = models.CharField(max_length=60, blank=True)
    country = models.CharField(max_length=2, blank=True)
    reach = models.PositiveBigIntegerField(default=0)
    impressions = models.PositiveBigIntegerField(default=0)
    engagement = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    conversions = models.PositiveBigIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["on"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "on", "channel", "platform", "country"], name="campaign_result_one_per_period"
            ),
            models.CheckConstraint(condition=Q(impressions__gte=models.F("reach")), name="result_reach_within_views"),
        ]
        indexes = [models.Index(fields=["campaign", "on"])]
