"""Awareness figures per program (issue 15): people reached (the platforms' reach summed, not de-duplicated),
impressions, engagement, clicks and the click-through rate, by campaign, month and country (never finer). Exact for
the program's staff and, as released, for the funder; rounded to the nearest 10 on the public page through the one
disclosure module. And the public page's help: the United States and France, numbers as tel: (and sms:) links, a
quick exit, in English and French."""

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from haven.accounts.models import User
from haven.awareness.models import Campaign, CampaignResult
from haven.core.dates import add_months
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import figures, tables

from .builders import keep_documents, layout_texts

FUNDER = "/reporting/funder/"


@pytest.fixture
def quarter(funded: Program) -> date:
    found = tables.last_closed_quarter(funded, timezone.now().date())
    assert found is not None
    return found


class Campaigns:
    def __init__(self, company: Organization, author: User) -> None:
        self.company, self.author = company, author

    def campaign(self, name: str, program: Program) -> Campaign:
        return Campaign.objects.create(
            organization=self.company,
            program=program,
            name=name,
            slug=name.lower().replace(" ", "-"),
            message="Know where to turn",
            audience="Parents",
            starts_on=date(2020, 1, 1),
            ends_on=date(2040, 1, 1),
            created_by=self.author,
        )

    def result(self, campaign: Campaign, on: date, platform: str, country: str, *figures: int) -> None:
        reach, impressions, engagement, clicks = figures
        CampaignResult.objects.create(
            organization=self.company,
            campaign=campaign,
            on=on,
            channel="social",
            platform=platform,
            country=country,
            reach=reach,
            impressions=impressions,
            engagement=engagement,
            clicks=clicks,
        )


@pytest.fixture
def campaigns(
    partner: Organization, funded: Program, national: Organization, quarter: date, make_member: Callable[..., User]
) -> Campaigns:
    """By hand, in the quarter: Blue April (US 1000 + 400 reached in its first month, FR 600 in its second), Wear
    Blue (FR 2004 in its first month); after the quarter, Wear Blue again (US 111); another program's campaign."""
    made = Campaigns(partner, make_member(Role.CREATIVE, partner, full_name="Cleo Creative"))
    blue, wear = made.campaign("Blue April", funded), made.campaign("Wear Blue", funded)
    second = add_months(quarter, 1)
    made.result(blue, quarter, "instagram", "US", 1000, 5000, 300, 50)
    made.result(blue, quarter + timedelta(days=1), "facebook", "US", 400, 1000, 20, 10)
    made.result(blue, second, "google", "FR", 600, 2000, 0, 40)
    made.result(wear, quarter, "youtube", "FR", 2004, 3000, 100, 25)
    made.result(wear, tables.quarter_end(quarter) + timedelta(days=1), "instagram", "US", 111, 222, 3, 4)
    other = Program.objects.create(
        organization=national, name="Another", starts_on=date(2020, 1, 1), ends_on=date(2040, 1, 1)
    )
    made.result(made.campaign("Elsewhere", other), quarter, "instagram", "US", 9000, 9000, 9000, 9000)
    return made


def _as_tuple(reach: figures.Reach) -> tuple[int, int, int, int]:
    return (reach.reach, reach.impressions, reach.engagement, reach.clicks)


def test_each_figure_as_of_the_quarter_s_end_is_the_hand_count(
    campaigns: Campaigns, funded: Program, quarter: date
) -> None:
    shown = figures.awareness(funded, tables.quarter_end(quarter))
    assert _as_tuple(shown.total) == (4004, 11000, 420, 125)
    assert shown.total.ctr == pytest.approx(100 * 125 / 11000)
    assert [(name, _as_tuple(r)) for _pk, name, r in shown.by_campaign] == [
        ("Blue April", (2000, 8000, 320, 100)),
        ("Wear Blue", (2004, 3000, 100, 25)),
    ]
    assert [(month, _as_tuple(r)) for month, r in shown.by_month] == [
        (quarter, (3404, 9000, 420, 85)),
        (add_months(quarter, 1), (600, 2000, 0, 40)),
    ]
    assert [(country, _as_tuple(r)) for country, r in shown.by_country] == [
        ("FR", (2604, 5000, 100, 65)),
        ("US", (1400, 6000, 320, 60)),
    ]


def test_two_queries_however_many_results(campaigns: Campaigns, funded: Program, quarter: date) -> None:
    with CaptureQueriesContext(connection) as few:
        figures.awareness(funded)
    more = campaigns.campaign("More", funded)
    for day in range(20):
        campaigns.result(more, quarter + timedelta(days=day), "tiktok", "FR", 10, 20, 1, 1)
    with CaptureQueriesContext(connection) as many:
        figures.awareness(funded)
    assert len(few) == len(many) == 2


def test_the_program_dashboard_shows_them_exactly_to_date(
    campaigns: Campaigns, funded: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(program_admin).get("/reporting/")
    assert _as_tuple(response.context["awareness"].total) == (4115, 11222, 423, 129)
    page = response.content.decode()
    assert "Awareness campaigns" in page and "Wear Blue" in page
    assert "not de-duplicated" in page or "counts twice" in page


def test_the_funder_reads_the_released_quarter_exactly_everywhere(
    campaigns: Campaigns,
    funded: Program,
    quarter: date,
    funder_viewer: User,
    signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = signed_in(funder_viewer)
    report: tables.FunderReport = client.get(FUNDER).context["report"]
    by_campaign = {str(label): values for label, values in report.table("awareness_campaigns").rows}
    assert by_campaign["Blue April"] == [2000, 8000, 320, 100, "1.25%"]
    assert by_campaign["Wear Blue"] == [2004, 3000, 100, 25, "0.83%"]
    by_country = {str(label): values[:4] for label, values in report.table("awareness_countries").rows}
    assert by_country == {"FR": [2604, 5000, 100, 65], "US": [1400, 6000, 320, 60]}
    by_month = [(str(label), values[:4]) for label, values in report.table("awareness_months").rows]
    assert by_month == [
        (quarter.isoformat()[:7], [3404, 9000, 420, 85]),
        (add_months(quarter, 1).isoformat()[:7], [600, 2000, 0, 40]),
    ]
    # A late import about the quarter does not change its release.
    campaigns.result(Campaign.objects.in_org(campaigns.company).get(name="Blue April"), quarter, "x", "DE", 5, 5, 5, 5)
    again = client.get(FUNDER).context["report"]
    assert {str(label): values for label, values in again.table("awareness_campaigns").rows} == by_campaign

    exported = list(csv.reader(io.StringIO(client.get("/reporting/funder/export.csv").content.decode())))
    assert ["Wear Blue", "2004", "3000", "100", "25", "0.83%"] in exported
    documents = keep_documents(monkeypatch)
    assert client.get("/reporting/funder/export.pdf").status_code == 200
    texts = layout_texts(documents[-1])
    assert "Awareness campaigns by country" in texts
    at = texts.index("Wear Blue")
    assert "2,004" in texts[at : at + 6]


def test_the_public_page_shows_them_rounded_as_released(campaigns: Campaigns, funded: Program) -> None:
    for address in ("/impact/", "/impact/fr/"):
        response = Client().get(address)
        public: tables.PublicFigures = response.context["public"]
        # 4004, 11000 and 125 to the nearest 10 (halves up); two countries.
        assert (public.reached, public.impressions, public.clicks, public.countries) == (4000, 11000, 130, 2)
        page = response.content.decode()
        assert "4004" not in page and "4,004" not in page and "125" not in page
    english = Client().get("/impact/").content.decode()
    assert "counts twice" in english


def test_a_program_without_campaigns_shows_none(
    funded: Program, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    report = signed_in(funder_viewer).get(FUNDER).context["report"]
    assert not {t.slug for t in report.tables} & {"awareness_campaigns", "awareness_months", "awareness_countries"}
    assert Client().get("/impact/").context["public"].reached is None


# -- Where to get help -------------------------------------------------------------------------------------------

HELP_LINKS = (
    "tel:911",
    "tel:+18004224453",
    "sms:+18004224453",
    "https://report.cybertip.org/",
    "tel:119",
    "tel:17",
    "tel:112",
    "sms:114",
    "tel:15",
    "tel:18",
    "tel:3018",
)


@pytest.mark.parametrize("address", ["/impact/", "/impact/fr/"])
def test_the_help_numbers_are_links_in_both_languages(funded: Program, address: str) -> None:
    page = Client().get(address).content.decode()
    links = set(re.findall(r'href="([^"]+)"', page))
    assert set(HELP_LINKS) <= links
    for number in ("1-800-422-4453", ">119<", ">3018<", ">114<"):
        assert number in page


def test_the_help_reads_in_french_on_the_french_page(funded: Program) -> None:
    page = Client().get("/impact/fr/").content.decode()
    assert "Allô Enfance en Danger" in page
    assert "En France" in page and "Aux États-Unis" in page
    assert page.index("En France") < page.index("Aux États-Unis")  # the page's own country first
    assert "Sortie rapide" in page
    english = Client().get("/impact/").content.decode()
    assert english.index("In the United States") < english.index("In France")


@pytest.mark.parametrize("address", ["/impact/", "/impact/fr/"])
def test_the_quick_exit_leaves_without_javascript(funded: Program, address: str) -> None:
    """A plain link to a neutral site, first on the page; the Escape key comes from a static script (CSP: no inline
    script)."""
    page = Client().get(address).content.decode()
    exit_link = re.search(r'<a id="quick-exit"[^>]*href="(https://[^"]+)"', page)
    assert exit_link is not None
    assert page.index('id="quick-exit"') < page.index('id="main"')
    assert re.search(r'<script src="[^"]*reporting/quick_exit\.js"', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
