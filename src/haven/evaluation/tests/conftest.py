"""Fixtures of the evaluation tests: a program of the national office, two of its program admins (one asks, the
other decides), and packages written to a folder of the test's own."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from haven.accounts.models import User
from haven.evaluation import services
from haven.evaluation.models import ExportRequest
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.tests.factories import make_program


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    settings.HAVEN_EXPORT_DIR = folder
    return folder


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


@pytest.fixture
def requester(national: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Planner")


@pytest.fixture
def approver(national: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.PROGRAM_ADMIN, national, full_name="Quinn Second")


def fields(**overrides: object) -> services.ExportFields:
    today = timezone.localdate()
    values: dict[str, object] = {
        "purpose": "Who improves, after how many sessions",
        "evaluator": "State University",
        "agreement_reference": "DUA-2026-07",
        "agreement_expires_on": today + timedelta(days=365),
        "tables": ("children", "episodes", "sessions"),
        "period_start": today - timedelta(days=700),
        "period_end": today,
        "date_unit": "days",
        "k": 11,
        "language": "en",
    }
    values.update(overrides)
    return services.ExportFields(**values)  # type: ignore[arg-type]


@pytest.fixture
def requested(program: Program, requester: User) -> ExportRequest:
    return services.export_request(actor=requester, program=program, fields=fields())


@pytest.fixture
def built(requested: ExportRequest, approver: User, django_capture_on_commit_callbacks: Any) -> ExportRequest:
    """Approved by the second admin; the build is enqueued once that commits, and runs inline in the tests."""
    with django_capture_on_commit_callbacks(execute=True):
        services.export_approve(actor=approver, export=requested)
    return ExportRequest.objects.in_org(requested.organization_id).get(pk=requested.pk)
