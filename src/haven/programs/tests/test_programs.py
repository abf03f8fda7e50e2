from collections.abc import Callable

from django.test import Client

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import OrganizationFactory
from haven.programs.models import Program, ProgramFunder, ProgramTarget


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "TF-CBT Workforce Partnership",
        "description": "",
        "starts_on": "2025-03-01",
        "ends_on": "2028-02-29",
        "target_clinicians_trained": "2000",
        "target_children_served": "55000",
    }
    data.update(overrides)
    return data


def test_program_admin_creates_and_edits_a_program(
    national: Organization,
    funder: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    admin = make_member(Role.PROGRAM_ADMIN, national)
    client = signed_in(admin)
    response = client.post("/programs/new/", _form(funders=[funder.pk]))
    assert response.status_code == 302
    program = Program.objects.in_org(national).get()
    assert response["Location"] == f"/programs/{program.pk}/"
    targets = dict(ProgramTarget.objects.in_org(national).values_list("metric", "value"))
    assert targets == {"clinicians_trained": 2000, "children_served": 55000}
    assert list(ProgramFunder.objects.in_org(national).values_list("funder", flat=True)) == [funder.pk]

    client.post(f"/programs/{program.pk}/edit/", _form(target_children_served="", target_caregivers_served="40000"))
    targets = dict(ProgramTarget.objects.in_org(national).values_list("metric", "value"))
    assert targets == {"clinicians_trained": 2000, "caregivers_served": 40000}
    assert not ProgramFunder.objects.in_org(national).exists()
    actions = list(AuditEntry.objects.in_org(national).order_by("seq").values_list("action", flat=True))
    assert actions == ["program.create", "program.update"]


def test_a_program_that_ends_before_it_starts_is_refused_and_keeps_the_input(
    national: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(make_member(Role.PROGRAM_ADMIN, national))
    response = client.post("/programs/new/", _form(ends_on="2024-01-01", target_clinicians_trained="-5"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The program must end after it starts." in page
    assert "Ensure this value is greater than or equal to 1." in page
    assert 'value="TF-CBT Workforce Partnership"' in page
    assert not Program.objects.in_org(national).exists()


def test_a_funder_sees_only_the_programs_it_funds(
    national: Organization,
    funder: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    funded = Program.objects.create(organization=national, name="Funded", starts_on="2025-01-01", ends_on="2028-01-01")
    other = Program.objects.create(organization=national, name="Other", starts_on="2025-01-01", ends_on="2028-01-01")
    ProgramFunder.objects.create(organization=national, program=funded, funder=funder)
    ProgramFunder.objects.create(
        organization=national, program=other, funder=OrganizationFactory(kind=OrganizationKind.FUNDER)
    )
    client = signed_in(make_member(Role.FUNDER_VIEWER, funder))
    page = client.get("/programs/").content.decode()
    assert "Funded" in page
    assert "Other" not in page
    assert client.get(f"/programs/{funded.pk}/").status_code == 200
    assert client.get(f"/programs/{other.pk}/").status_code == 404
    assert client.get(f"/programs/{funded.pk}/edit/").status_code == 404
