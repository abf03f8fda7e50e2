"""The audit log page names who acted and what on in words: the task or command behind a system action, and each
record by its kind and name (or number)."""

import html
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connections
from django.test import Client

from haven.accounts.models import User
from haven.audit import services as audit
from haven.audit.labels import RECORD_KINDS, RECORD_NAMES
from haven.audit.tasks import checkpoint_audit_log
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

ROW = re.compile(r"<tr>\s*(<td class=\"num\">.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
MANAGE = Path(__file__).resolve().parents[4] / "manage.py"


def rows(response: Any) -> list[list[str]]:
    page = response.content.decode()
    return [[html.unescape(cell).strip() for cell in CELL.findall(row)] for row in ROW.findall(page)]


@pytest.fixture
def program_admin(national: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Program")


def test_a_background_task_is_named_as_who_acted(
    program_admin: User, signed_in: Callable[[User], Client], checkpoint_file: Path
) -> None:
    audit.record(actor=program_admin, action="program.update")
    checkpoint_audit_log.enqueue()  # the test settings' immediate backend runs it at once, as a worker would
    audit.record(actor=None, action="certification.reminders", detail={"sent": 2})  # outside any task

    table = rows(signed_in(program_admin).get("/audit/"))
    assert [row[2:4] for row in table[:2]] == [
        ["Haven (system)", "Renewal reminders sent"],
        ["Haven, by the background task “checkpoint_audit_log”", "Audit log checkpoint taken"],
    ]
    assert table[1][5] == "checkpoint: 1"  # the task is who, not a detail


def test_a_management_command_is_named_as_who_acted(
    program_admin: User, signed_in: Callable[[User], Client], checkpoint_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("haven_manage", MANAGE)
    assert spec is not None and spec.loader is not None
    manage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manage)
    monkeypatch.setattr(sys, "argv", [str(MANAGE), "audit_checkpoint"])
    # A command run from the command line closes the database connections at its end: not the test's, here.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    manage.main()

    table = rows(signed_in(program_admin).get("/audit/"))
    assert table[0][2:4] == ["Haven, by the command “manage.py audit_checkpoint”", "Audit log checkpoint taken"]


def test_records_are_named_in_words(
    program_admin: User, national: Organization, signed_in: Callable[[User], Client]
) -> None:
    program = Program.objects.create(
        organization=national, name="Trauma-Focused Care 2026", starts_on="2026-01-05", ends_on="2028-12-31"
    )
    audit.record(actor=program_admin, action="program.update", organization=national, target=program)
    audit.record(
        actor=program_admin, action="cohort.update", organization=national, target_type="training.cohort", target_id=999
    )

    table = rows(signed_in(program_admin).get("/audit/"))
    assert [row[4] for row in table[:2]] == ["Cohort no. 999", "Program “Trauma-Focused Care 2026”"]


def test_every_kind_of_record_has_words_and_every_name_is_a_field() -> None:
    haven_models = [model for model in apps.get_models() if model.__module__.startswith("haven.")]
    assert {model._meta.label_lower for model in haven_models} <= RECORD_KINDS.keys()
    for label, path in RECORD_NAMES.items():
        model = apps.get_model(label)
        field = None
        for part in path.split("__"):
            field = model._meta.get_field(part)
            model = field.related_model or model
        assert field is not None and not field.is_relation, (label, path)
