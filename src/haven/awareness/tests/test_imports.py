"""A campaign's results from the platforms' exports: the dry run writes nothing and says what each row would do,
the signed confirmation writes it, re-importing a period replaces it, a bad row is refused with its line."""

import io
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.awareness import imports, services
from haven.awareness.models import Campaign, CampaignResult
from haven.core.tabular import read_table
from haven.organizations.models import Membership, Organization
from haven.programs.models import Program

META = (
    "Campaign name,Reporting starts,Reporting ends,Platform,Reach,Impressions,Link clicks,Post engagements\n"
    "April,2027-04-01,2027-04-01,instagram,1000,2500,40,120\n"
    'April,2027-04-02,2027-04-02,facebook,800,"1,900",30,90\n'
)
GOOGLE = "Day,Campaign,Impr.,Clicks,Interactions,Conversions\n04/03/2027,Search,5000,250,250,--\n"
LINKEDIN = "Start Date,Impressions,Clicks,Engagements,Conversions,Reach\n2027-04-05,3000,20,60,1,900\n"
HAVEN = (
    "date,channel,platform,country,reach,impressions,engagement,clicks,conversions\n"
    "2027-04-01,outdoor,billboards,FR,5000,12000,0,0,0\n"
)


@pytest.fixture
def campaign(creative: Membership, company: Organization, program: Program) -> Campaign:
    return services.campaign_save(
        membership=creative,
        company=company,
        fields=services.CampaignFields(
            name="April",
            slug="april-2027",
            message="Every child deserves a safe childhood.",
            audience="Parents",
            starts_on=date(2027, 4, 1),
            ends_on=date(2027, 4, 30),
        ),
    )


def _plan(campaign: Campaign, text: str, source: str | None = None, **options: str) -> imports.ResultsPlan:
    table = read_table(io.BytesIO(text.encode()))
    key = source or imports.detect(table.header)
    assert key is not None
    return imports.plan(campaign=campaign, rows=imports.rows_of(table, key), source_key=key, **options)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        (
            META,
            "meta",
            [
                ("2027-04-01", "social", "instagram", "", 1000, 2500, 120, 40),
                ("2027-04-02", "social", "facebook", "", 800, 1900, 90, 30),
            ],
        ),
        (GOOGLE, "google_ads", [("2027-04-03", "search", "google-ads", "US", 0, 5000, 250, 250)]),
        (LINKEDIN, "linkedin", [("2027-04-05", "social", "linkedin", "US", 900, 3000, 60, 20)]),
        (HAVEN, "haven", [("2027-04-01", "outdoor", "billboards", "FR", 5000, 12000, 0, 0)]),
    ],
    ids=["meta", "google_ads", "linkedin", "haven"],
)
def test_each_platforms_export_is_recognised_and_mapped(
    campaign: Campaign, text: str, source: str, expected: list[tuple[object, ...]]
) -> None:
    table = read_table(io.BytesIO(text.encode()))
    assert imports.detect(table.header) == source
    # Google Ads writes 04/03/2027: two readings, until the person importing says the file puts months first.
    options = {"date_order": "month_first"} if source == "google_ads" else {}
    plan = _plan(campaign, text, country="us" if source in ("google_ads", "linkedin") else "", **options)
    assert not plan.has_errors
    names = ("on", "channel", "platform", "country", "reach", "impressions", "engagement", "clicks")
    assert [tuple(row[name] for name in names) for row in plan.rows()] == expected


@pytest.mark.django_db
def test_rows_with_reach_above_impressions_or_negative_numbers_are_refused_with_their_line(campaign: Campaign) -> None:
    text = (
        HAVEN
        + "2027-04-02,social,x,US,10,5,0,0,0\n2027-04-03,social,x,US,10,50,-1,0,0\n2027-04-04,radio,x,US,1,1,0,0,0\n"
    )
    plan = _plan(campaign, text)
    errors = {row.line: row.message for row in plan.outcomes if row.outcome == imports.ERROR}
    assert set(errors) == {3, 4, 5}
    assert "Reach" in errors[3] and "negative" in errors[4] and "channel" in errors[5]
    assert plan.counts() == {"add": 1, "replace": 0, "error": 3}


@pytest.mark.django_db
def test_an_ambiguous_date_is_refused_until_the_order_is_given(campaign: Campaign) -> None:
    plan = _plan(campaign, GOOGLE)
    assert plan.has_errors and "say how this file writes its dates" in plan.outcomes[0].message


@pytest.mark.django_db
def test_the_same_period_twice_in_one_file_is_refused(campaign: Campaign) -> None:
    plan = _plan(campaign, HAVEN + HAVEN.splitlines()[1] + "\n")
    assert [row.outcome for row in plan.outcomes] == [imports.ADD, imports.ERROR]


@pytest.fixture
def client_of(signed_in: Callable[[User], Client], creative: Membership) -> Client:
    return signed_in(creative.user)


def _upload(client: Client, campaign: Campaign, text: str, name: str = "export.csv", **data: str) -> object:
    upload = io.BytesIO(text.encode())
    upload.name = name
    return client.post(
        reverse("awareness:results_import", args=[campaign.pk]), {"file": upload, "source": "detect", **data}
    )


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_then_the_confirmation_imports_and_a_reimport_replaces(
    client_of: Client, campaign: Campaign, company: Organization
) -> None:
    results = CampaignResult.objects.in_org(company).filter(campaign=campaign)
    dry = _upload(client_of, campaign, META)
    assert dry.status_code == 200 and dry.context["counts"] == {"add": 2, "replace": 0, "error": 0}
    assert not results.exists()
    confirm = reverse("awareness:results_import_confirm", args=[campaign.pk])
    assert client_of.post(confirm, {"payload": dry.context["payload"]}).status_code == 302
    assert results.count() == 2

    again = META.replace("1000,2500,40", "1100,2600,45")
    dry = _upload(client_of, campaign, again)
    assert dry.context["counts"] == {"add": 0, "replace": 2, "error": 0}
    client_of.post(confirm, {"payload": dry.context["payload"]})
    assert results.count() == 2
    assert results.get(on=date(2027, 4, 1)).reach == 1100
    entries = AuditEntry.objects.filter(action="awareness.results_import", organization=company).order_by("pk")
    assert [entry.detail for entry in entries] == [
        {"rows": 2, "added": 2, "replaced": 0},
        {"rows": 2, "added": 0, "replaced": 2},
    ]


@pytest.mark.django_db
def test_a_file_with_errors_offers_no_confirmation_and_an_altered_payload_imports_nothing(
    client_of: Client, campaign: Campaign, company: Organization
) -> None:
    dry = _upload(client_of, campaign, HAVEN.replace("5000,12000", "12001,12000"))
    assert dry.context["payload"] is None
    assert "Confirm the import" not in dry.content.decode()
    confirm = reverse("awareness:results_import_confirm", args=[campaign.pk])
    response = client_of.post(confirm, {"payload": "forged"})
    assert response.status_code == 302
    assert not CampaignResult.objects.in_org(company).exists()


@pytest.mark.django_db
def test_the_template_downloads_with_the_columns_the_import_reads(client_of: Client, campaign: Campaign) -> None:
    response = client_of.get(reverse("awareness:results_template"))
    assert response.status_code == 200
    table = read_table(io.BytesIO(response.content))
    assert imports.detect(table.header) == "haven"
    assert not _plan(campaign, response.content.decode()).has_errors
