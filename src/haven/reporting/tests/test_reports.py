"""Quarterly funder reports: the program admin asks for one, it is made in the background (the test settings run
tasks at once), and the admin and the funder's viewers download it, every step audited."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.organizations.tests.factories import NationalOfficeFactory
from haven.programs.models import Program
from haven.reporting import tables
from haven.reporting.figures import program_quarters
from haven.reporting.models import QuarterlyReport, ReportStatus

from .builders import keep_documents, layout_texts, treat

REPORTS = "/reporting/reports/"
NARRATIVE = "Twelve new therapists joined the Ohio cohort this quarter."


def _download(report: QuarterlyReport) -> str:
    return f"/reporting/reports/{report.pk}.pdf"


def _quarter(program: Program) -> date:
    quarter = tables.last_closed_quarter(program, timezone.now().date())
    assert quarter is not None
    return quarter


@pytest.fixture
def with_care(funded: Program, cac: Organization, clinician: User) -> Program:
    """The funded program with a child served in Ohio before its last closed quarter ended."""
    day = tables.quarter_end(_quarter(funded)) - timedelta(days=30)
    treat(
        cac=cac,
        program=funded,
        clinician=clinician,
        case_number="R-1",
        referred_on=day - timedelta(days=7),
        sessions=[day],
    )
    return funded


def _request(
    client: Client, program: Program, django_capture_on_commit_callbacks: Any, **fields: str
) -> QuarterlyReport:
    """POST the form as the admin would; the task runs once the request's transaction commits."""
    data = {"quarter": _quarter(program).isoformat(), "language": "en", "narrative": NARRATIVE, **fields}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{REPORTS}?program={program.pk}", data)
    assert response.status_code == 302
    assert response["Location"] == f"{REPORTS}?program={program.pk}"
    return QuarterlyReport.objects.in_org(program.organization_id).get(program=program)


def _actions(organization: Organization) -> list[str]:
    return list(AuditEntry.objects.in_org(organization).order_by("seq").values_list("action", flat=True))


def test_a_requested_report_becomes_a_pdf_with_the_narrative(
    with_care: Program,
    program_admin: User,
    national: Organization,
    signed_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documents = keep_documents(monkeypatch)
    client = signed_in(program_admin)
    before = len(_actions(national))
    report = _request(client, with_care, django_capture_on_commit_callbacks)

    assert report.status == ReportStatus.READY
    assert (report.quarter, report.language, report.narrative) == (_quarter(with_care), "en", NARRATIVE)
    assert report.requested_by == program_admin
    assert report.generated_at is not None
    assert report.error == ""
    assert bytes(report.pdf).startswith(b"%PDF-")
    [document] = documents
    texts = layout_texts(document)
    assert NARRATIVE in " ".join(texts)
    assert "<11" in texts  # one child served: withheld in the report as on the funder's page
    entries = AuditEntry.objects.in_org(national).order_by("seq")
    # The first report of the program also releases its quarters (each audited) before it is made.
    released = len(program_quarters(with_care, _quarter(with_care)))
    assert _actions(national)[before:] == ["report.request", *["report.release"] * released, "report.generate"]
    generated = entries.get(action="report.generate")
    assert generated.target_id == str(report.pk)
    assert generated.actor is None
    assert generated.detail["bytes"] == len(bytes(report.pdf))
    assert NARRATIVE not in str(entries.get(action="report.request").detail)

    # The list shows it ready, with its download link.
    page = client.get(f"{REPORTS}?program={with_care.pk}").content.decode()
    assert "Ready" in page
    assert _download(report) in page


def test_the_report_is_downloaded_by_the_admin_and_the_funders_viewer_only(
    with_care: Program,
    program_admin: User,
    funder_viewer: User,
    other_funder_viewer: User,
    national: Organization,
    funder: Organization,
    signed_in: Callable[[User], Client],
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _request(signed_in(program_admin), with_care, django_capture_on_commit_callbacks, narrative="")
    stored = bytes(report.pdf)

    for user, organization in ((program_admin, national), (funder_viewer, funder)):
        response = signed_in(user).get(_download(report))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (f'attachment; filename="haven-report-{report.quarter:%Y-%m}-en.pdf"')
        assert response.content == stored
        [entry] = AuditEntry.objects.in_org(organization).filter(action="report.download")
        assert (entry.actor, entry.target_id) == (user, str(report.pk))

    # The funder's page lists it.
    assert _download(report) in signed_in(funder_viewer).get("/reporting/funder/").content.decode()

    another_admin = make_member(Role.PROGRAM_ADMIN, NationalOfficeFactory())
    for outsider in (other_funder_viewer, another_admin):
        assert signed_in(outsider).get(_download(report)).status_code == 404
    assert AuditEntry.objects.dangerously_unscoped().filter(action="report.download").count() == 2


def test_a_report_not_ready_is_not_found(
    with_care: Program, program_admin: User, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    report = QuarterlyReport.objects.create(
        organization=with_care.organization,
        program=with_care,
        quarter=_quarter(with_care),
        language="en",
        requested_by=program_admin,
    )
    assert report.status == ReportStatus.QUEUED
    assert signed_in(program_admin).get(_download(report)).status_code == 404
    assert signed_in(funder_viewer).get(_download(report)).status_code == 404


def test_only_a_closed_quarter_of_the_program_may_be_asked_for(
    with_care: Program,
    program_admin: User,
    signed_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in(program_admin)
    current = tables.quarter_end(_quarter(with_care)) + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            f"{REPORTS}?program={with_care.pk}", {"quarter": current.isoformat(), "language": "en", "narrative": ""}
        )
    assert response.status_code == 200
    assert response.context["form"].errors["quarter"]
    assert callbacks == []
    assert not QuarterlyReport.objects.in_org(with_care.organization_id).exists()


@pytest.mark.parametrize("role", [Role.FUNDER_VIEWER, Role.CLINICIAN, Role.ORG_ADMIN, Role.TRAINER])
def test_only_the_program_admin_asks_for_reports(
    with_care: Program,
    role: str,
    funder: Organization,
    cac: Organization,
    provider: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    home = {Role.FUNDER_VIEWER: funder, Role.TRAINER: provider}.get(role, cac)
    client = signed_in(make_member(role, home))
    data = {"quarter": _quarter(with_care).isoformat(), "language": "en", "narrative": "x"}
    assert client.get(REPORTS).status_code == 404
    assert client.post(f"{REPORTS}?program={with_care.pk}", data).status_code == 404
    assert not QuarterlyReport.objects.in_org(with_care.organization_id).exists()
