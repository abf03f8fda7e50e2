"""The evaluation exports' pages through HTTP: who reaches them, the request form, deciding, the passphrase shown once,
the download, and the audit log's words for every step in English and French."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.evaluation.models import ExportRequest, ExportStatus
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory, OrganizationFactory
from haven.programs.models import Program


def _fresh(export: ExportRequest) -> ExportRequest:
    return ExportRequest.objects.in_org(export.organization_id).get(pk=export.pk)


def _urls(export: ExportRequest) -> list[tuple[str, str]]:
    one = {"export_id": export.pk}
    return [
        ("GET", reverse("evaluation:list")),
        ("GET", reverse("evaluation:new")),
        ("GET", reverse("evaluation:detail", kwargs=one)),
        ("POST", reverse("evaluation:approve", kwargs=one)),
        ("POST", reverse("evaluation:decline", kwargs=one)),
        ("POST", reverse("evaluation:passphrase", kwargs=one)),
        ("GET", reverse("evaluation:download", kwargs=one)),
    ]


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.CLINICIAN, OrganizationKind.CAC),
        (Role.ORG_ADMIN, OrganizationKind.CAC),
        (Role.ORG_ADMIN, OrganizationKind.STATE_CHAPTER),
        (Role.FUNDER_VIEWER, OrganizationKind.FUNDER),
        (Role.TRAINER, OrganizationKind.TRAINING_PROVIDER),
    ],
)
def test_nobody_but_program_admins_reaches_any_of_it(
    built: ExportRequest,
    national: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
    role: str,
    kind: str,
) -> None:
    if kind == OrganizationKind.CAC:
        where = CacFactory(parent__parent=national)
    elif kind == OrganizationKind.STATE_CHAPTER:
        where = CacFactory(parent__parent=national).parent
    else:
        where = OrganizationFactory(kind=kind)
    client = signed_in(make_member(role, where))
    for method, url in _urls(built):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 404, (role, url)
    export = _fresh(built)
    assert (export.status, export.downloads, export.sealed_passphrase != "") == (ExportStatus.READY, 0, True)


def test_an_admin_of_another_program_sees_nothing_of_it(
    built: ExportRequest, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(make_member(Role.PROGRAM_ADMIN, NationalOfficeFactory()))
    assert built.evaluator not in client.get(reverse("evaluation:list")).content.decode()
    for method, url in _urls(built)[2:]:
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 404, url
    assert _fresh(built).downloads == 0


def test_the_menu_offers_exports_to_program_admins(
    requester: User, make_member: Callable[..., User], cac: Organization, signed_in: Callable[[User], Client]
) -> None:
    link = f'href="{reverse("evaluation:list")}"'
    assert link in signed_in(requester).get(reverse("shell:home")).content.decode()
    assert link not in signed_in(make_member(Role.ORG_ADMIN, cac)).get(reverse("shell:home")).content.decode()


def _form(of: Program, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data = {
        "program": of.pk,
        "purpose": "Outcomes by number of sessions",
        "evaluator": "State University",
        "agreement_reference": "DUA-9",
        "agreement_expires_on": (today + timedelta(days=200)).isoformat(),
        "tables": ["children", "measures"],
        "period_start": (today - timedelta(days=365)).isoformat(),
        "period_end": today.isoformat(),
        "date_unit": "months",
        "k": "15",
        "language": "fr",
    }
    data.update(overrides)
    return data


def test_a_request_from_the_form(program: Program, requester: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(requester)
    assert client.get(reverse("evaluation:new")).status_code == 200
    response = client.post(reverse("evaluation:new"), _form(program))
    export = ExportRequest.objects.in_org(program.organization_id).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:detail", kwargs={"export_id": export.pk})
    assert (export.tables, export.date_unit, export.k, export.language, export.requested_by_id) == (
        ["children", "measures"],
        "months",
        15,
        "fr",
        requester.pk,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Another program admin of the program must approve it" in page
    assert "Approve the export" not in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"k": "10"}, "k"),
        ({"tables": []}, "tables"),
        ({"tables": ["children", "addresses"]}, "tables"),
        ({"agreement_expires_on": timezone.localdate().isoformat()}, "agreement_expires_on"),
        ({"period_end": (timezone.localdate() - timedelta(days=400)).isoformat()}, "period_end"),
    ],
)
def test_the_form_refuses(
    program: Program,
    requester: User,
    signed_in: Callable[[User], Client],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = signed_in(requester).post(reverse("evaluation:new"), _form(program, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ExportRequest.objects.in_org(program.organization_id).exists()


def test_the_form_offers_only_the_admins_programs(
    program: Program, requester: User, signed_in: Callable[[User], Client]
) -> None:
    other = Program.objects.create(
        organization=NationalOfficeFactory(), name="Elsewhere", starts_on="2025-01-01", ends_on="2026-01-01"
    )
    response = signed_in(requester).post(reverse("evaluation:new"), _form(program, program=other.pk))
    assert "program" in response.context["form"].errors
    assert not ExportRequest.objects.in_org(other.organization_id).exists()


def test_the_second_admin_approves_and_the_requester_cannot(
    requested: ExportRequest,
    requester: User,
    approver: User,
    signed_in: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = reverse("evaluation:approve", kwargs={"export_id": requested.pk})
    own = signed_in(requester)
    response = own.post(url, follow=True)
    assert "nobody exports alone" in response.content.decode()
    assert _fresh(requested).status == ExportStatus.REQUESTED

    second = signed_in(approver)
    listed = second.get(reverse("evaluation:list")).content.decode()
    assert "Waiting for your decision" in listed
    page = second.get(reverse("evaluation:detail", kwargs={"export_id": requested.pk})).content.decode()
    assert "Approve the export" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert second.post(url).status_code == 302
    export = _fresh(requested)
    assert (export.status, export.decided_by_id) == (ExportStatus.READY, approver.pk)
    # Built: the approver sees the risk report, not the download.
    page = second.get(reverse("evaluation:detail", kwargs={"export_id": export.pk})).content.decode()
    assert "Re-identification risk report" in page
    assert "Only the person who asked for it may download the package." in page
    assert reverse("evaluation:download", kwargs={"export_id": export.pk}) not in page


def test_decline_with_a_note(requested: ExportRequest, approver: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(approver)
    response = client.post(
        reverse("evaluation:decline", kwargs={"export_id": requested.pk}), {"note": "The agreement is not signed."}
    )
    assert response.status_code == 302
    export = _fresh(requested)
    assert (export.status, export.decline_note) == (ExportStatus.DECLINED, "The agreement is not signed.")
    page = client.get(response["Location"]).content.decode()
    assert "The agreement is not signed." in page


def test_the_passphrase_page_shows_it_once(
    built: ExportRequest, requester: User, approver: User, signed_in: Callable[[User], Client]
) -> None:
    url = reverse("evaluation:passphrase", kwargs={"export_id": built.pk})
    assert signed_in(approver).post(url).status_code == 302  # refused: not theirs
    client = signed_in(requester)
    detail = client.get(reverse("evaluation:detail", kwargs={"export_id": built.pk})).content.decode()
    assert "Show the passphrase" in detail
    response = client.post(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    passphrase = response.context["passphrase"]
    assert passphrase in response.content.decode()
    again = client.post(url, follow=True).content.decode()
    assert passphrase not in again
    assert "The passphrase was already shown" in again
    assert passphrase not in client.get(reverse("evaluation:detail", kwargs={"export_id": built.pk})).content.decode()


def test_the_download_streams_the_package_to_the_requester_only(
    built: ExportRequest, requester: User, approver: User, signed_in: Callable[[User], Client]
) -> None:
    url = reverse("evaluation:download", kwargs={"export_id": built.pk})
    refused = signed_in(approver).get(url)
    assert refused.status_code == 302
    response = signed_in(requester).get(url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="haven-evaluation-{built.pk}.zip"'
    assert response["Cache-Control"] == "no-store, private"
    from haven.evaluation.services import export_path

    assert b"".join(response.streaming_content) == export_path(_fresh(built)).read_bytes()
    assert _fresh(built).status == ExportStatus.DOWNLOADED
    ExportRequest.objects.in_org(built.organization_id).filter(pk=built.pk).update(
        available_until=timezone.now() - timedelta(seconds=1)
    )
    late = signed_in(requester).get(url, follow=True)
    assert "This package can no longer be downloaded." in late.content.decode()
    assert AuditEntry.objects.in_org(built.organization_id).filter(action="evaluation.download").count() == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Evaluation export requested", "Evaluation export approved", "Evaluation export built"]),
        ("fr", ["Export d’évaluation demandé", "Export d’évaluation approuvé", "Export d’évaluation préparé"]),
    ],
)
def test_the_audit_log_names_each_step(
    built: ExportRequest, requester: User, signed_in: Callable[[User], Client], language: str, words: list[str]
) -> None:
    client = signed_in(requester)
    client.cookies["django_language"] = language
    page = client.get(reverse("audit:list")).content.decode()
    for word in words:
        assert word in page


def test_the_list_page_asks_a_fixed_number_of_queries(
    program: Program,
    requester: User,
    approver: User,
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    from haven.evaluation import services

    from .conftest import fields

    for _n in range(6):
        services.export_request(actor=approver, program=program, fields=fields())
    client = signed_in(requester)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("evaluation:list")).status_code == 200
