"""The audit log page, /audit/: who sees which entries, the action filter, the htmx partial, the query count."""

import html
import re
from collections.abc import Callable
from datetime import UTC

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.accounts.tests.factories import UserFactory
from haven.audit import services as audit
from haven.audit.context import RequestContext, current
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.organizations.services import membership_deactivate

ROW = re.compile(r"<tr>\s*(<td class=\"num\">.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def rows(response: object) -> list[list[str]]:
    """The table's rows as an auditor reads them: one list of cell texts per entry."""
    page = response.content.decode()  # type: ignore[attr-defined]
    return [[html.unescape(cell).strip() for cell in CELL.findall(row)] for row in ROW.findall(page)]


def seqs(response: object) -> list[int]:
    return [int(row[0]) for row in rows(response)]


@pytest.fixture
def people(
    national: Organization, cac: Organization, other_cac: Organization, make_member: Callable[..., User]
) -> dict[str, User]:
    return {
        "program_admin": make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Program"),
        "cac_admin": make_member(Role.ORG_ADMIN, cac, full_name="Casey Director"),
        "clinician": make_member(Role.CLINICIAN, cac, full_name="Cleo Clinician"),
        "other_admin": make_member(Role.ORG_ADMIN, other_cac, full_name="Olive Other"),
        "other_clinician": make_member(Role.CLINICIAN, other_cac, full_name="Otto Other"),
    }


@pytest.fixture
def log(
    national: Organization, cac: Organization, other_cac: Organization, people: dict[str, User]
) -> list[AuditEntry]:
    """Six entries, seq 1 to 6: two of Franklin County CAC's, four that are not."""
    token = current.set(RequestContext(request_id="c" * 32, ip="198.51.100.4"))
    try:
        return [
            audit.record(
                actor=people["cac_admin"],
                action="invitation.create",
                organization=cac,
                target_type="organizations.invitation",
                target_id=5,
            ),
            audit.record(actor=people["clinician"], action="auth.sign_in"),
            audit.record(actor=people["other_admin"], action="invitation.create", organization=other_cac),
            audit.record(actor=people["other_clinician"], action="auth.sign_in"),
            audit.record(actor=None, action="auth.sign_in_failed"),
            audit.record(actor=people["program_admin"], action="program.create", organization=national),
        ]
    finally:
        current.reset(token)


def test_an_org_admin_sees_their_organization_and_their_members_sign_ins(
    log: list[AuditEntry], people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(people["cac_admin"]).get("/audit/")
    assert response.status_code == 200
    at = {entry.seq: entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") for entry in log}
    assert rows(response) == [
        ["2", at[2], "Cleo Clinician", "Signed in", "—", "—", "—", "198.51.100.4"],
        [
            "1",
            at[1],
            "Casey Director",
            "Invitation sent",
            "Invitation no. 5",
            "—",
            "Franklin County CAC",
            "198.51.100.4",
        ],
    ]


def test_an_org_admin_of_another_organization_sees_only_theirs(
    log: list[AuditEntry], people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    assert seqs(signed_in(people["other_admin"]).get("/audit/")) == [4, 3]


def test_a_program_admin_sees_the_whole_log(
    log: list[AuditEntry], people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(people["program_admin"]).get("/audit/")
    assert seqs(response) == [6, 5, 4, 3, 2, 1]
    failed = rows(response)[1]
    # A failed sign-in with an unknown e-mail has no actor.
    assert failed[2:4] == ["unknown", "Failed sign-in"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PROGRAM_ADMIN, 200),
        (Role.ORG_ADMIN, 200),
        (Role.CLINICIAN, 404),
        (Role.TRAINER, 404),
        (Role.FUNDER_VIEWER, 404),
        (Role.LEARNER, 404),
        (Role.SAFEGUARDING_REVIEWER, 404),
    ],
)
def test_only_admins_may_open_the_log(
    role: str, status: int, role_members: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    assert signed_in(role_members[role]).get("/audit/").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/audit/")
    assert (response.status_code, response["Location"]) == (302, "/account/sign-in/?next=/audit/")


def test_an_admin_whose_membership_was_removed_gets_404(
    log: list[AuditEntry], cac: Organization, people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(people["cac_admin"])
    assert client.get("/audit/").status_code == 200
    colleague = UserFactory()
    Membership.objects.create(user=colleague, organization=cac, role=Role.ORG_ADMIN)
    membership_deactivate(actor=colleague, membership=Membership.objects.in_org(cac).get(user=people["cac_admin"]))
    assert client.get("/audit/").status_code == 404


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("auth.", [5, 4, 2]),
        ("invitation.", [3, 1]),
        ("program.", [6]),
        ("mfa.", []),
        ("", [6, 5, 4, 3, 2, 1]),
        ("not-a-group", [6, 5, 4, 3, 2, 1]),
    ],
)
def test_the_action_filter(
    action: str,
    expected: list[int],
    log: list[AuditEntry],
    people: dict[str, User],
    signed_in: Callable[[User], Client],
) -> None:
    response = signed_in(people["program_admin"]).get("/audit/", {"action": action})
    assert seqs(response) == expected
    page = response.content.decode()
    if expected:
        assert "Nothing recorded yet." not in page
    else:
        assert "Nothing recorded yet." in page
    selected = re.findall(r'<option value="([^"]*)" selected>', page)
    assert selected == ([action] if action in ("auth.", "invitation.", "program.", "mfa.") else [])


def test_an_htmx_request_gets_only_the_entries(
    log: list[AuditEntry], people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(people["program_admin"]).get("/audit/", {"action": "auth."}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="entries">')
    assert "<html" not in page
    assert "<form" not in page
    assert seqs(response) == [5, 4, 2]


def test_the_log_pages_fifty_entries_at_a_time_in_a_fixed_number_of_queries(
    cac: Organization,
    people: dict[str, User],
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    # 60 entries by 60 different people: a query per row (actor, organization) would show at once.
    for _ in range(60):
        actor = UserFactory()
        Membership.objects.create(user=actor, organization=cac, role=Role.CLINICIAN)
        audit.record(actor=actor, action="auth.sign_in")
    client = signed_in(people["cac_admin"])
    client.get("/audit/")  # the first request of a session may do one-off work

    # Session, user, second-factor device, memberships, the count, the page's rows, the CAC admin's waiting
    # critical answers (the shell's banner), and saving the session (an UPDATE between a SAVEPOINT and its
    # RELEASE): ten statements, whatever the number of entries.
    with django_assert_max_num_queries(10):
        first = client.get("/audit/", {"action": "auth."})
    assert seqs(first) == list(range(60, 10, -1))
    assert 'href="?action=auth.&amp;page=2"' in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()

    with django_assert_max_num_queries(10):
        second = client.get("/audit/", {"action": "auth.", "page": 2})
    assert seqs(second) == list(range(10, 0, -1))
