"""The reviewers' queue: the company's work waiting for review, the first due first, each with its turnaround clock,
what it still needs and whether the viewer approved it; filters; the decided tab; read in a constant number of
queries; nobody outside the company's reviewers and org admin gets in."""

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haven.accounts.models import User
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.safeguarding import services

from .conftest import answer_all, membership_of
from .queue_helpers import submitted

pytestmark = pytest.mark.django_db

URL = "/safeguarding/queue/"


def rows_of(html: str) -> list[str]:
    """The text of each row of the table's body, tags removed."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]]


def test_the_queue_lists_the_first_due_first_with_its_clock(
    creative: Membership, safeguarder: Membership, company: Organization, program: object, signed_in: Callable
) -> None:
    submitted(creative, company, "Fresh spring shoot", minors=False)
    submitted(creative, company, "Old holiday campaign", days_ago=30)
    draft_only = services.submission_save(
        membership=creative, company=company, fields=services.SubmissionFields(title="Still a draft")
    )
    response = signed_in(safeguarder.user).get(URL)
    assert response.status_code == 200
    rows = rows_of(response.content.decode())
    assert [row.split(" ")[0] for row in rows] == ["Old", "Fresh"]
    old, fresh = rows
    assert "overdue by" in old and "Shows minors" in old and "ages 7" in old
    assert "waiting 0 working days, due in 3 working days" in fresh
    assert "a safeguarding reviewer's approval; a second reviewer's approval" in fresh
    assert draft_only.title not in response.content.decode()


def test_the_filters_and_who_approved(
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    company: Organization,
    program: object,
    signed_in: Callable,
) -> None:
    approved = submitted(creative, company, "Approved once")
    submitted(creative, company, "Untouched", days_ago=30)
    answer_all(safeguarder, approved)
    services.decide(membership=safeguarder, submission=approved, outcome="approve")

    mine = rows_of(signed_in(safeguarder.user).get(URL, {"show": "mine"}).content.decode())
    assert [row.split(" ")[0] for row in mine] == ["Untouched"]
    every = rows_of(signed_in(safeguarder.user).get(URL).content.decode())
    assert any(
        "Approved once" in row and "You approved" in row and "a second reviewer's approval" in row for row in every
    )
    assert not any("a safeguarding reviewer's approval" in row for row in every if "Approved once" in row)

    for_brand = rows_of(signed_in(brand.user).get(URL, {"show": "mine"}).content.decode())
    assert sorted(row.split(" ")[0] for row in for_brand) == ["Approved", "Untouched"]
    overdue = rows_of(signed_in(brand.user).get(URL, {"show": "overdue"}).content.decode())
    assert [row.split(" ")[0] for row in overdue] == ["Untouched"]


def test_the_decided_tab(
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    company: Organization,
    program: object,
    signed_in: Callable,
) -> None:
    ready = submitted(creative, company, "Ready one")
    sent_back = submitted(creative, company, "Sent back")
    submitted(creative, company, "Waiting one")
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, ready)
        services.decide(membership=reviewer, submission=ready, outcome="approve")
    services.decide(membership=brand, submission=sent_back, outcome="changes", note="Crop the logo")

    waiting = rows_of(signed_in(brand.user).get(URL).content.decode())
    assert [row.split(" ")[0] for row in waiting] == ["Waiting"]
    decided = rows_of(signed_in(brand.user).get(URL, {"tab": "decided"}).content.decode())
    assert len(decided) == 2
    assert any(row.startswith("Ready one") and "Ready to publish" in row for row in decided)
    assert any(row.startswith("Sent back") and "Changes requested" in row for row in decided)


def _queries(client: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured)


def test_the_queue_reads_in_a_constant_number_of_queries(
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    company: Organization,
    program: object,
    signed_in: Callable,
) -> None:
    client = signed_in(brand.user)
    first = submitted(creative, company, "One")
    answer_all(safeguarder, first)
    services.decide(membership=safeguarder, submission=first, outcome="approve")
    few = _queries(client)
    for n in range(5):
        other = submitted(creative, company, f"More {n}", days_ago=n * 3)
        if n % 2:
            answer_all(safeguarder, other)
            services.decide(membership=safeguarder, submission=other, outcome="approve")
    assert len(rows_of(client.get(URL).content.decode())) == 6
    assert _queries(client) == few


def test_only_the_companys_reviewers_and_org_admin_get_in(
    creative: Membership,
    company: Organization,
    program: object,
    make_member: Callable[..., User],
    signed_in: Callable,
    cac: Organization,
) -> None:
    submitted(creative, company, "Private work")
    admin = make_member(Role.ORG_ADMIN, company)
    page = signed_in(admin).get(URL)
    assert page.status_code == 200 and "Private work" in page.content.decode()
    assert reverse("safeguarding:settings") in page.content.decode()
    assert signed_in(creative.user).get(URL).status_code == 404
    assert signed_in(make_member(Role.ORG_ADMIN, cac)).get(URL).status_code == 404
    elsewhere = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    stranger = make_member(Role.SAFEGUARDING_REVIEWER, elsewhere)
    page = signed_in(stranger).get(URL)
    assert page.status_code == 200 and "Private work" not in page.content.decode()
    assert membership_of(stranger, elsewhere).organization == elsewhere
