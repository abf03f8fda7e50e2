"""Bulk import: dry run, confirm in one transaction, idempotence, BOM and accents, XLSX, one audit event."""

import io
import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from openpyxl import Workbook

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training import services
from haven.training.models import Enrollment, Milestone, Placement


@pytest.fixture
def setup(national: Organization, cac: Organization, provider: Organization, make_member: Callable[..., User]):
    admin = make_member(Role.PROGRAM_ADMIN, national)
    trainer = make_member(Role.TRAINER, provider)
    program = Program.objects.create(organization=national, name="P", starts_on="2025-01-01", ends_on="2028-01-01")
    cohort = services.cohort_save(
        actor=admin,
        program=program,
        cohort=None,
        trainers=[trainer],
        name="Collaboratif Montréal",
        region="Northeast",
        states=["NY"],
        modality="virtual",
        capacity=2,
        call_schedule="monthly",
        starts_on=date(2025, 3, 1),
        ends_on=date(2026, 3, 1),
        live_training_on=date(2025, 3, 3),
    )
    clinicians = [make_member(Role.CLINICIAN, cac, email=f"élodie.{i}@example.org") for i in range(3)]
    return admin, program, cohort, clinicians


def _csv(lines: list[str]) -> bytes:
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _upload(client: Client, kind: str, name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post("/training/import/", {"kind": kind, "file": upload})


def _payload(page: str) -> str:
    return re.search(r'name="payload" value="([^"]+)"', page).group(1)


def test_a_roster_is_checked_then_applied_once(setup, signed_in: Callable[[User], Client]) -> None:
    admin, program, cohort, clinicians = setup
    client = signed_in(admin)
    rows = ["email,cohort,degree,license_state,license_status"] + [
        f"{c.email},collaboratif montréal,masters,oh,permanent" for c in clinicians
    ]
    response = _upload(client, "roster", "roster.csv", _csv(rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "3 rows read" in page
    assert "Waitlisted: the cohort is full." in page
    assert not Enrollment.objects.dangerously_unscoped().exists()  # the dry run wrote nothing

    response = client.post("/training/import/confirm/", {"payload": _payload(page)})
    assert response.status_code == 302
    cac_id = Enrollment.objects.dangerously_unscoped().values_list("organization_id", flat=True).first()
    placements = sorted(Enrollment.objects.in_org(cac_id).values_list("placement", flat=True))
    assert placements == [Placement.ENROLLED, Placement.ENROLLED, Placement.WAITLISTED]
    entries = AuditEntry.objects.in_org(program.organization_id).filter(action="import.apply")
    assert [e.detail["create"] for e in entries] == [3]

    # The same file again: every row unchanged, nothing written but the audit event.
    page = _upload(client, "roster", "roster.csv", _csv(rows)).content.decode()
    assert page.count(">unchanged<") == 3
    client.post("/training/import/confirm/", {"payload": _payload(page)})
    assert Enrollment.objects.in_org(cac_id).count() == 3
    assert [e.detail["unchanged"] for e in entries.order_by("seq")] == [0, 3]


def test_a_file_with_errors_imports_nothing(setup, signed_in: Callable[[User], Client]) -> None:
    admin, _program, _cohort, clinicians = setup
    rows = [
        "email,cohort,degree,license_state,license_status",
        f"{clinicians[0].email},Collaboratif Montréal,masters,OH,permanent",
        "stranger@example.org,Collaboratif Montréal,masters,OH,permanent",
        f"{clinicians[1].email},No Such Cohort,masters,OH,permanent",
        f"{clinicians[2].email},Collaboratif Montréal,bachelor,OH,permanent",
    ]
    page = _upload(signed_in(admin), "roster", "roster.csv", _csv(rows)).content.decode()
    assert "No active clinician with this e-mail in your organizations." in page
    assert "No cohort of this program has that name." in page
    assert "Degree must be one of: masters, doctorate, other." in page
    assert 'name="payload"' not in page
    assert not Enrollment.objects.dangerously_unscoped().exists()


def test_course_completions_from_xlsx(setup, signed_in: Callable[[User], Client]) -> None:
    admin, program, cohort, clinicians = setup
    for clinician in clinicians[:2]:
        cac = Organization.objects.get(membership__user=clinician)
        enrollment = services.enrollment_nominate(
            actor=admin,
            cac=cac,
            program=program,
            clinician=clinician,
            degree="masters",
            license_state="OH",
            license_status="permanent",
        )
        services.enrollment_place(actor=admin, enrollment=enrollment, cohort=cohort)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Completed_on"])
    sheet.append([clinicians[0].email, date(2025, 2, 10)])
    sheet.append([clinicians[1].email, "2025-02-11"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = signed_in(admin)
    page = _upload(client, "course", "courses.xlsx", buffer.getvalue()).content.decode()
    assert page.count(">create<") == 2
    client.post("/training/import/confirm/", {"payload": _payload(page)})
    days = sorted(Milestone.objects.dangerously_unscoped().values_list("achieved_on", flat=True))
    assert days == [date(2025, 2, 10), date(2025, 2, 11)]


def test_an_altered_confirmation_is_refused(setup, signed_in: Callable[[User], Client]) -> None:
    admin, *_ = setup
    response = signed_in(admin).post("/training/import/confirm/", {"payload": "forged"}, follow=True)
    assert "This import expired or was altered." in response.content.decode()
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="import.apply").exists()


def test_a_clinician_of_two_cacs_is_not_matched_by_e_mail(
    setup, other_cac: Organization, signed_in: Callable[[User], Client]
) -> None:
    admin, _program, _cohort, clinicians = setup
    from haven.organizations.models import Membership

    Membership.objects.create(user=clinicians[0], organization=other_cac, role=Role.CLINICIAN)
    rows = [
        "email,cohort,degree,license_state,license_status",
        f"{clinicians[0].email},Collaboratif Montréal,masters,OH,permanent",
    ]
    page = _upload(signed_in(admin), "roster", "roster.csv", _csv(rows)).content.decode()
    assert "No active clinician with this e-mail in your organizations." in page
