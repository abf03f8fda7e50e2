"""A state chapter's admin has a home: the chapter's CACs with their clinicians on the path, each clinician's
progress, and the state's figures exactly as the funder sees them (released quarter, children's counts protected)."""

from collections.abc import Callable

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import disclosure
from haven.training.tests.pages import facts, table, text

from .test_funder import served  # noqa: F401 - the fixture: 14 children served in Ohio, 3 in Texas

STATE = "/reporting/state/"


@pytest.fixture
def ohio_chapter_admin(cac: Organization, make_member: Callable[..., User]) -> User:
    assert cac.parent is not None
    return make_member(Role.ORG_ADMIN, cac.parent, full_name="Chris Chapter")


@pytest.fixture
def texas_chapter_admin(other_cac: Organization, make_member: Callable[..., User]) -> User:
    assert other_cac.parent is not None
    return make_member(Role.ORG_ADMIN, other_cac.parent, full_name="Tex Chapter")


def test_a_chapter_admin_sees_its_cacs_and_their_clinicians(
    served: Program,  # noqa: F811
    ohio_chapter_admin: User,
    other_clinician: User,
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(ohio_chapter_admin)
    # Each CAC of the chapter with its clinicians by step; Texas's CAC is not the chapter's.
    assert table(client.get(STATE), "cacs-heading") == [
        ["CAC", "In the program", "Nominated", "In training", "Trained", "Certified"],
        ["Franklin County CAC", "1", "0", "1", "0", "0"],
    ]
    staff = client.get("/training/staff/")
    assert [row[:3] for row in table(staff)[1:]] == [["Dana Clinician", "Franklin County CAC", "Enrolled"]]
    assert "Nobody from your CAC" not in text(staff)
    assert "Nominate a clinician" not in text(staff)  # the chapter's CACs nominate their own


def test_the_states_figures_are_the_funders(
    served: Program,  # noqa: F811
    ohio_chapter_admin: User,
    texas_chapter_admin: User,
    funder_viewer: User,
    signed_in: Callable[[User], Client],
) -> None:
    funders = dict(signed_in(funder_viewer).get("/reporting/funder/").context["report"].table("states").rows)
    for admin, state in ((ohio_chapter_admin, "OH"), (texas_chapter_admin, "TX")):
        shown = facts(signed_in(admin).get(STATE))
        released = funders[state]
        assert shown["Children served"] == str(released[2])
        assert shown["Clinicians trained"] == str(released[0])
    # Texas served 3 children: withheld on the chapter's page as on the funder's.
    assert facts(signed_in(texas_chapter_admin).get(STATE))["Children served"] == disclosure.SUPPRESSED
