"""The awareness pages through HTTP: the company's creative team plans a campaign, makes its links, puts it live
(refused with the service's reason while its review is not ready); another company finds none of it; the program
admin keeps the calendar and reads every campaign of the program."""

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.awareness import services
from haven.awareness.models import AwarenessEvent, Campaign, CampaignLink, CampaignResult, CampaignStatus
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.programs.models import Program
from haven.safeguarding import services as reviews
from haven.safeguarding.models import Outcome, Submission
from haven.safeguarding.tests.conftest import answer_all

FORM = {
    "name": "April: prevention month",
    "slug": "CAP Month 2027",
    "message": "Every child deserves a safe childhood.",
    "audience": "Parents in the US",
    "channels": ["social", "search"],
    "countries": "us, fr",
    "languages": "en fr",
    "starts_on": "2027-04-01",
    "ends_on": "2027-04-30",
    "event": "",
    "review": "",
}


@pytest.fixture
def client_of(signed_in: Callable[[User], Client], creative: Membership) -> Client:
    return signed_in(creative.user)


@pytest.fixture
def campaign(creative: Membership, company: Organization, program: Program, draft: Submission) -> Campaign:
    """A planned campaign showing minors, naming the draft review (not ready)."""
    return services.campaign_save(
        membership=creative,
        company=company,
        fields=services.CampaignFields(
            name="Holiday",
            slug="holiday",
            message="Keep children safe online.",
            audience="Parents",
            starts_on=date(2027, 12, 1),
            ends_on=date(2027, 12, 31),
            shows_minors=True,
            review_id=draft.pk,
        ),
    )


@pytest.mark.django_db
def test_planning_a_campaign_opens_its_page(client_of: Client, company: Organization, program: Program) -> None:
    assert client_of.get(reverse("awareness:campaign_create")).status_code == 200
    response = client_of.post(reverse("awareness:campaign_create"), FORM)
    campaign = Campaign.objects.in_org(company).get()
    assert response.status_code == 302 and response["Location"] == reverse("awareness:campaign", args=[campaign.pk])
    assert (campaign.slug, campaign.countries, campaign.languages) == ("cap-month-2027", ["FR", "US"], ["en", "fr"])
    page = client_of.get(response["Location"]).content.decode()
    assert "Every child deserves a safe childhood." in page and "It has what it needs to go live." in page
    listing = client_of.get(reverse("awareness:campaigns")).content.decode()
    assert "April: prevention month" in listing


@pytest.mark.django_db
def test_a_bad_form_answers_400_with_its_errors(client_of: Client, company: Organization, program: Program) -> None:
    response = client_of.post(
        reverse("awareness:campaign_create"), {**FORM, "countries": "USA", "ends_on": "2027-03-01"}
    )
    assert response.status_code == 400
    assert "countries" in response.context["form"].errors
    assert not Campaign.objects.in_org(company).exists()


@pytest.mark.django_db
def test_the_review_select_offers_only_the_companys_ready_reviews(
    client_of: Client, creative: Membership, safeguarder: Membership, brand: Membership, draft: Submission
) -> None:
    choices = dict(client_of.get(reverse("awareness:campaign_create")).context["form"].fields["review"].choices)
    assert draft.pk not in choices
    reviews.submit(membership=creative, submission=draft)
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, draft)
        reviews.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)
    choices = dict(client_of.get(reverse("awareness:campaign_create")).context["form"].fields["review"].choices)
    assert choices[draft.pk] == draft.title


@pytest.mark.django_db
def test_going_live_asks_then_is_refused_with_the_services_reason_until_the_review_is_ready(
    client_of: Client,
    campaign: Campaign,
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    draft: Submission,
) -> None:
    url = reverse("awareness:campaign_go_live", args=[campaign.pk])
    page = client_of.get(reverse("awareness:campaign", args=[campaign.pk])).content.decode()
    assert "is not ready to publish" in page
    assert client_of.get(url).status_code == 200  # the question
    refused = client_of.post(url, {"confirmed": "yes"}, follow=True)
    assert "goes live only once its creative review is approved" in refused.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNED

    reviews.submit(membership=creative, submission=draft)
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, draft)
        reviews.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)
    assert client_of.post(url, {"confirmed": "yes"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LIVE
    client_of.post(reverse("awareness:campaign_end", args=[campaign.pk]), {"confirmed": "yes"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ENDED


@pytest.mark.django_db
def test_a_tracked_link_is_built_and_listed_ready_to_copy(client_of: Client, campaign: Campaign) -> None:
    url = reverse("awareness:campaign_links", args=[campaign.pk])
    response = client_of.post(
        url,
        {"destination": "https://example.org/help", "source": "Instagram Stories", "medium": "Social", "content": ""},
    )
    assert response.status_code == 302
    link = CampaignLink.objects.in_org(campaign.organization_id).get(campaign=campaign)
    assert link.url == "https://example.org/help?utm_source=instagram-stories&utm_medium=social&utm_campaign=holiday"
    page = client_of.get(url).content.decode()
    assert f'value="{link.url.replace("&", "&amp;")}" readonly' in page


@pytest.mark.django_db
def test_the_results_show_totals_rates_and_breakdowns(client_of: Client, campaign: Campaign) -> None:
    for on, country, reach, impressions, clicks in (
        (date(2027, 12, 1), "US", 1000, 4000, 40),
        (date(2027, 12, 2), "FR", 500, 1000, 10),
    ):
        CampaignResult.objects.create(
            organization_id=campaign.organization_id,
            campaign=campaign,
            on=on,
            channel="social",
            country=country,
            reach=reach,
            impressions=impressions,
            clicks=clicks,
        )
    results = client_of.get(reverse("awareness:campaign", args=[campaign.pk])).context["results"]
    assert results.totals["impressions"] == 5000 and results.totals["ctr"] == pytest.approx(1.0)
    assert results.totals["frequency"] == pytest.approx(5000 / 1500)
    assert [row["country"] for row in results.by_country] == ["US", "FR"]
    assert len(results.by_month) == 1


@pytest.mark.django_db
def test_another_companys_creative_team_finds_none_of_the_campaign(
    signed_in: Callable[[User], Client], make_member: Callable[..., User], campaign: Campaign
) -> None:
    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    client = signed_in(make_member(Role.CREATIVE, other))
    for name in ("campaign", "campaign_edit", "campaign_links", "campaign_go_live", "results_import"):
        assert client.get(reverse(f"awareness:{name}", args=[campaign.pk])).status_code == 404, name
    assert (
        client.post(reverse("awareness:campaign_cancel", args=[campaign.pk]), {"confirmed": "yes"}).status_code == 404
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PLANNED
    assert campaign.name not in client.get(reverse("awareness:campaigns")).content.decode()


@pytest.mark.django_db
def test_the_program_admin_keeps_the_calendar_and_reads_every_campaign(
    signed_in: Callable[[User], Client],
    make_member: Callable[..., User],
    national: Organization,
    client_of: Client,
    campaign: Campaign,
) -> None:
    admin = signed_in(make_member(Role.PROGRAM_ADMIN, national))
    calendar = admin.get(reverse("awareness:events")).content.decode()
    assert "National Child Abuse Prevention Month" in calendar
    response = admin.post(
        reverse("awareness:event_create"),
        {
            "name_en": "Wear Blue Day",
            "name_fr": "Journée en bleu",
            "country": "us",
            "starts_on": "2027-04-02",
            "ends_on": "2027-04-02",
            "yearly": "on",
        },
    )
    assert response.status_code == 302
    event = AwarenessEvent.objects.get(name_en="Wear Blue Day")
    assert event.country == "US"
    assert AuditEntry.objects.in_org(national).filter(action="awareness.event_create").count() == 1
    # The creative team sees the calendar, and cannot change it.
    assert "Wear Blue Day" in client_of.get(reverse("awareness:events")).content.decode()
    assert client_of.get(reverse("awareness:event_edit", args=[event.pk])).status_code == 404
    listing = admin.get(reverse("awareness:program")).content.decode()
    assert campaign.name in listing
    page = admin.get(reverse("awareness:program_campaign", args=[campaign.pk]))
    assert page.status_code == 200 and "Go live" not in page.content.decode()
    # Another national office's admin finds none of it.
    stranger = signed_in(make_member(Role.PROGRAM_ADMIN, OrganizationFactory(kind=OrganizationKind.NATIONAL_OFFICE)))
    assert campaign.name not in stranger.get(reverse("awareness:program")).content.decode()
    assert stranger.get(reverse("awareness:program_campaign", args=[campaign.pk])).status_code == 404
