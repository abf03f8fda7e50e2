"""The public impact page: anyone may read it, any cache may keep it, and its figures are protected and rounded."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.organizations.tests.factories import CacFactory
from haven.programs.models import Program, ProgramTarget
from haven.programs.services import program_save
from haven.reporting import tables
from haven.training.models import Cohort
from haven.training.tests.factories import enroll

from .builders import treat

HOTLINE = "1-800-422-4453"


@pytest.fixture
def served(
    program: Program,
    national: Organization,
    cac: Organization,
    other_cac: Organization,
    clinician: User,
    other_clinician: User,
) -> Program:
    """15 children served in Ohio (12 with a caregiver) and 3 in Texas before the last closed quarter ended."""
    ProgramTarget.objects.create(organization=national, program=program, metric="children_served", value=500)
    quarter = tables.last_closed_quarter(program, timezone.now().date())
    assert quarter is not None
    day = tables.quarter_end(quarter) - timedelta(days=20)
    for n in range(18):
        here = n < 15
        treat(
            cac=cac if here else other_cac,
            program=program,
            clinician=clinician if here else other_clinician,
            case_number=f"P-{n}",
            referred_on=day - timedelta(days=10),
            sessions=[day],
            caregiver_last=n < 12,
        )
    return program


def _figures(html: str) -> list[str]:
    return re.findall(r'<p class="figure">([^<]*)</p>', html)


def test_anyone_reads_the_page_and_any_cache_may_keep_it(
    served: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    for url, language in (("/impact/", "en"), ("/impact/fr/", "fr")):
        response = Client().get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        assert HOTLINE in html
        assert 'href="tel:+18004224453"' in html
        assert served.name in html
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert "public" in cache_control
        assert "private" not in cache_control
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
        # Signed in or not, the page is the same: nothing on it depends on who asks.
        member = signed_in(program_admin).get(url)
        assert member.status_code == 200
        assert member.content == response.content


def test_the_figures_are_rounded_to_tens_and_protected(served: Program) -> None:
    response = Client().get("/impact/")
    public: tables.PublicFigures = response.context["public"]
    # True counts: 18 children (15 + 3) and 12 caregivers, none withheld by the funder's protection; no clinician
    # trained yet.
    assert (public.children, public.caregivers, public.trained, public.certified) == (20, 10, 0, 0)
    assert public.states == 2
    assert public.target_children == 500
    html = response.content.decode()
    assert _figures(html) == ["0", "20"]
    assert "10 caregivers took part, in 2 states" in html
    # The figures follow the help (whose phone numbers include 15 and 18, France's ambulance and fire brigade).
    figures_part = html[html.index('aria-labelledby="pillars-heading"') :]
    for true_count in ("18", "15", "12"):
        assert not re.search(rf"\b{true_count}\b", figures_part), true_count


def test_the_french_page_is_in_french(served: Program) -> None:
    english = Client().get("/impact/").content.decode()
    french = Client().get("/impact/fr/").content.decode()
    assert '<html lang="fr">' in french
    assert "Where to get help" in english
    assert "Where to get help" not in french
    assert "If a child is in immediate danger, call 911." not in french
    assert '<a href="/impact/" hreflang="en" lang="en">English</a>' in french
    assert '<a href="/impact/fr/" hreflang="fr" lang="fr">Français</a>' in english
    assert _figures(english) == _figures(french)


def test_the_french_page_says_it_is_french(program: Program, clinician: User) -> None:
    assert Client().get("/impact/")["Content-Language"] == "en"
    assert Client().get("/impact/fr/")["Content-Language"] == "fr"


def test_the_page_of_a_program_with_no_records_yet(program: Program) -> None:
    assert tables.last_closed_quarter(program, timezone.now().date()) is not None
    response = Client().get("/impact/")
    assert response.status_code == 200
    assert _figures(response.content.decode()) == ["0", "0"]


def test_a_late_child_in_a_state_released_as_0_changes_nothing_published(
    served: Program,
    funded: Program,
    national: Organization,
    funder: Organization,
    program_admin: User,
    cohort: Cohort,
    make_member: Callable[..., User],
    funder_viewer: User,
    signed_in: Callable[[User], Client],
) -> None:
    """Kentucky has a clinician in the program but no child served when the quarter is released: 0 there. A session
    recorded afterwards, dated inside that quarter, changes neither the public page ("in 2 states") nor the targets
    it shows, and the funder's page neither."""
    kentucky = CacFactory(name="Boone County CAC", parent__parent=national, parent__name="Kentucky", parent__state="KY")
    clinician = make_member(Role.CLINICIAN, kentucky, full_name="Kay Kentucky")
    enroll(program=served, cac=kentucky, clinician=clinician, actor=program_admin, cohort=cohort)
    english, french = Client().get("/impact/"), Client().get("/impact/fr/")
    assert "10 caregivers took part, in 2 states" in english.content.decode()
    page = signed_in(funder_viewer).get("/reporting/funder/")
    states = dict(page.context["report"].table("states").rows)
    assert states["KY"][2] == 0

    quarter = tables.last_closed_quarter(served, timezone.now().date())
    assert quarter is not None
    treat(
        cac=kentucky,
        program=served,
        clinician=clinician,
        case_number="KY-LATE",
        referred_on=quarter + timedelta(days=5),
        sessions=[quarter + timedelta(days=10)],
    )
    program_save(
        actor=program_admin,
        organization=national,
        program=served,
        name=served.name,
        description=served.description,
        starts_on=served.starts_on,
        ends_on=served.ends_on,
        funders=[funder],
        targets={"children_served": 900, "clinicians_trained": 40},
    )
    assert Client().get("/impact/").content == english.content
    assert Client().get("/impact/fr/").content == french.content
    again = signed_in(funder_viewer).get("/reporting/funder/")
    assert _tables_html(again) == _tables_html(page)


def _tables_html(response: Any) -> str:
    """The funder's page from its first figure on (the forms before it carry a token that changes)."""
    html: str = response.content.decode()
    return html[html.index("<p>Figures as of") :]
