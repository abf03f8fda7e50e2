"""The export's workflow through its services: four eyes, the states, the build, the window, the deletion, the
passphrase shown once, and an audit entry for every step."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from haven.accounts import second_factor
from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.evaluation import package, sealing, services
from haven.evaluation.models import ExportRequest, ExportStatus
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

from .conftest import fields


def _fresh(export: ExportRequest) -> ExportRequest:
    return ExportRequest.objects.in_org(export.organization_id).get(pk=export.pk)


def _actions(export: ExportRequest) -> list[str]:
    return list(
        AuditEntry.objects.in_org(export.organization_id)
        .filter(target_type="evaluation.exportrequest", target_id=str(export.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def _entry(export: ExportRequest, action: str) -> AuditEntry:
    return AuditEntry.objects.in_org(export.organization_id).get(
        target_type="evaluation.exportrequest", target_id=str(export.pk), action=action
    )


# -- Four eyes -------------------------------------------------------------------------------------------------------


def test_the_requester_cannot_approve_or_decline_their_own_export(requested: ExportRequest, requester: User) -> None:
    with pytest.raises(services.ExportRefused, match="Another program admin"):
        services.export_approve(actor=requester, export=requested)
    with pytest.raises(services.ExportRefused, match="Another program admin"):
        services.export_decline(actor=requester, export=requested, note="")
    export = _fresh(requested)
    assert (export.status, export.decided_by_id) == (ExportStatus.REQUESTED, None)
    assert _actions(export) == ["evaluation.request"]


def test_the_database_refuses_an_export_decided_by_its_requester(requested: ExportRequest, requester: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportRequest.objects.in_org(requested.organization_id).filter(pk=requested.pk).update(decided_by=requester)


def test_only_an_active_program_admin_of_the_office_decides(
    requested: ExportRequest,
    national: Organization,
    cac: Organization,
    make_member: Callable[..., User],
) -> None:
    from haven.organizations.tests.factories import NationalOfficeFactory

    elsewhere = make_member(Role.PROGRAM_ADMIN, NationalOfficeFactory())
    cac_admin = make_member(Role.ORG_ADMIN, cac)
    inactive = make_member(Role.PROGRAM_ADMIN, national)
    Membership.objects.in_org(national).filter(user=inactive).update(is_active=False)
    for person in (elsewhere, cac_admin, inactive):
        assert not services.may_decide(requested, person)
        with pytest.raises(services.ExportRefused):
            services.export_approve(actor=person, export=requested)
    assert _fresh(requested).status == ExportStatus.REQUESTED


# -- States ----------------------------------------------------------------------------------------------------------


def test_approval_builds_the_package_into_the_export_folder(
    built: ExportRequest, approver: User, export_dir: Path, settings: Any
) -> None:
    assert built.status == ExportStatus.READY
    assert built.decided_by_id == approver.pk
    assert built.file_name and (export_dir / built.file_name).is_file()
    assert re.fullmatch(r"[0-9a-f]{32}\.zip", built.file_name)
    assert built.size == (export_dir / built.file_name).stat().st_size
    assert set(built.files) == {"children.csv", "episodes.csv", "sessions.csv"}
    assert built.available_until == built.built_at + timedelta(days=settings.HAVEN_EXPORT_DAYS)
    assert second_factor.is_sealed(built.sealed_passphrase)
    assert built.is_available()
    # Nothing under a served folder: the packages live under the export folder only.
    assert not str(export_dir).startswith(str(settings.STATIC_ROOT or "/nonexistent"))


def test_the_window_never_outlasts_the_agreement(program: Program, requester: User, approver: User, cb: Any) -> None:
    expires = timezone.localdate() + timedelta(days=2)
    export = services.export_request(actor=requester, program=program, fields=fields(agreement_expires_on=expires))
    with cb(execute=True):
        services.export_approve(actor=approver, export=export)
    export = _fresh(export)
    assert timezone.localdate(export.available_until) == expires + timedelta(days=1)
    assert export.available_until - export.built_at < timedelta(days=3)


@pytest.fixture
def cb(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def test_a_declined_export_is_never_built(requested: ExportRequest, approver: User, export_dir: Path) -> None:
    services.export_decline(actor=approver, export=requested, note="Wait for the signed agreement.")
    export = _fresh(requested)
    assert (export.status, export.decided_by_id, export.decline_note) == (
        ExportStatus.DECLINED,
        approver.pk,
        "Wait for the signed agreement.",
    )
    with pytest.raises(services.ExportRefused, match="no longer waiting"):
        services.export_approve(actor=approver, export=export)
    assert not export_dir.exists() or not any(export_dir.iterdir())
    assert _actions(export) == ["evaluation.request", "evaluation.decline"]


def test_an_export_is_decided_once(built: ExportRequest, approver: User, make_member: Any, national: Any) -> None:
    third = make_member(Role.PROGRAM_ADMIN, national)
    with pytest.raises(services.ExportRefused, match="no longer waiting"):
        services.export_decline(actor=third, export=built, note="")
    assert _fresh(built).status == ExportStatus.READY


def test_a_lapsed_agreement_cannot_be_approved(program: Program, requester: User, approver: User) -> None:
    export = services.export_request(actor=requester, program=program, fields=fields())
    ExportRequest.objects.in_org(export.organization_id).filter(pk=export.pk).update(
        agreement_expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(services.ExportRefused, match="expired"):
        services.export_approve(actor=approver, export=_fresh(export))
    assert _fresh(export).status == ExportStatus.REQUESTED


def test_k_is_never_under_eleven(program: Program, requester: User) -> None:
    with pytest.raises(services.ExportRefused):
        services.export_request(actor=requester, program=program, fields=fields(k=10))
    export = services.export_request(actor=requester, program=program, fields=fields(k=25))
    assert export.k == 25
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportRequest.objects.in_org(export.organization_id).filter(pk=export.pk).update(k=5)


def test_a_build_that_fails_leaves_no_file(
    requested: ExportRequest, approver: User, export_dir: Path, monkeypatch: pytest.MonkeyPatch, cb: Any
) -> None:
    def half_written(spec: package.Spec, destination: Path, passphrase: str) -> package.Built:
        destination.write_bytes(b"PK half a package")
        raise ValueError("a record quoted here must never reach the export's row")

    monkeypatch.setattr(package, "build", half_written)
    with cb(execute=True):
        services.export_approve(actor=approver, export=requested)
    export = _fresh(requested)
    assert (export.status, export.error, export.file_name) == (ExportStatus.FAILED, "ValueError", "")
    assert list(export_dir.iterdir()) == []
    assert export.sealed_passphrase == ""
    assert _entry(export, "evaluation.fail").detail["error"] == "ValueError"


def test_a_build_runs_once(built: ExportRequest) -> None:
    from haven.evaluation.tasks import build_export

    file_name = built.file_name
    build_export.call(built.pk)
    assert _fresh(built).file_name == file_name
    assert _actions(built).count("evaluation.build") == 1


# -- The passphrase, once --------------------------------------------------------------------------------------------


def test_the_passphrase_is_the_packages_and_is_shown_once(
    requested: ExportRequest, requester: User, approver: User, monkeypatch: pytest.MonkeyPatch, cb: Any
) -> None:
    given: list[str] = []
    real_build = package.build

    def build(spec: package.Spec, destination: Path, passphrase: str) -> package.Built:
        given.append(passphrase)
        return real_build(spec, destination, passphrase)

    monkeypatch.setattr(package, "build", build)
    with cb(execute=True):
        services.export_approve(actor=approver, export=requested)
    export = _fresh(requested)
    assert given[0] not in export.sealed_passphrase
    with pytest.raises(services.ExportRefused, match="Only the person"):
        services.passphrase_reveal(actor=approver, export=export)

    shown = services.passphrase_reveal(actor=requester, export=export)
    assert shown == given[0]
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{5}-){5}[0-9A-HJKMNP-TV-Z]{5}", shown)
    export = _fresh(export)
    assert (export.sealed_passphrase, export.passphrase_shown_at is not None) == ("", True)
    with pytest.raises(services.ExportRefused, match="already shown"):
        services.passphrase_reveal(actor=requester, export=export)
    assert _actions(export).count("evaluation.passphrase") == 1
    assert shown not in str(_entry(export, "evaluation.passphrase").detail)


def test_a_sealed_passphrase_opens_only_for_its_export(settings: Any) -> None:
    sealed = sealing.seal("ABCDE-FGHJK", export_id=7)
    assert sealing.unseal(sealed, export_id=7) == "ABCDE-FGHJK"
    with pytest.raises(sealing.Unopenable):
        sealing.unseal(sealed, export_id=8)
    # After a rotation of the otp key, the older key still opens it; without it, nothing does.
    settings.HAVEN_OTP_KEYS_OLD = [settings.HAVEN_OTP_KEY]
    settings.HAVEN_OTP_KEY = "a-new-otp-key"
    assert sealing.unseal(sealed, export_id=7) == "ABCDE-FGHJK"
    settings.HAVEN_OTP_KEYS_OLD = []
    with pytest.raises(sealing.Unopenable, match="older otp key"):
        sealing.unseal(sealed, export_id=7)


# -- Download window and deletion ------------------------------------------------------------------------------------


def test_only_the_requester_downloads_while_the_window_lasts(
    built: ExportRequest, requester: User, approver: User
) -> None:
    with pytest.raises(services.ExportRefused, match="Only the person"):
        services.export_download(actor=approver, export=built)
    with services.export_download(actor=requester, export=built) as file:
        assert file.read(2) == b"PK"
    services.export_download(actor=requester, export=_fresh(built)).close()
    export = _fresh(built)
    assert (export.status, export.downloads) == (ExportStatus.DOWNLOADED, 2)
    assert [
        e.detail["download"]
        for e in AuditEntry.objects.in_org(export.organization_id).filter(action="evaluation.download").order_by("seq")
    ] == [1, 2]


def _close_window(export: ExportRequest, **changes: Any) -> ExportRequest:
    ExportRequest.objects.in_org(export.organization_id).filter(pk=export.pk).update(**changes)
    return _fresh(export)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"available_until": timezone.now() - timedelta(minutes=1)}, "window"),
        ({"agreement_expires_on": timezone.localdate() - timedelta(days=1)}, "agreement"),
    ],
)
def test_after_the_window_or_the_agreement_the_file_is_deleted(
    built: ExportRequest, requester: User, export_dir: Path, changes: dict[str, Any], reason: str
) -> None:
    path = export_dir / built.file_name
    export = _close_window(built, **changes)
    with pytest.raises(services.ExportRefused, match="no longer"):
        services.export_download(actor=requester, export=export)
    call_command("evaluation_expire", verbosity=0)
    export = _fresh(export)
    assert (export.status, export.file_name, export.sealed_passphrase) == (ExportStatus.EXPIRED, "", "")
    assert not path.exists()
    assert _entry(export, "evaluation.expire").detail["reason"] == reason
    call_command("evaluation_expire", verbosity=0)  # a second run finds nothing to do
    assert _actions(export).count("evaluation.expire") == 1


def test_expiry_leaves_open_windows_alone(built: ExportRequest, export_dir: Path) -> None:
    assert services.exports_expire() == 0
    assert (export_dir / built.file_name).is_file()
    assert _fresh(built).status == ExportStatus.READY


def test_the_window_end_is_scheduled_with_the_worker(
    requested: ExportRequest, approver: User, settings: Any, cb: Any
) -> None:
    """On a backend that runs tasks later (the database's), the build enqueues the package's deletion for the end of
    its window."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with cb(execute=True):
        services.export_approve(actor=approver, export=requested)
    from haven.evaluation.tasks import build_export, expire_exports

    build_export.call(requested.pk)
    export = _fresh(requested)
    waiting = DBTaskResult.objects.filter(task_path=expire_exports.module_path, status="READY").get()
    assert waiting.run_after == export.available_until


# -- Every step in the log -------------------------------------------------------------------------------------------


def test_every_step_is_audited_with_ids_and_counts_only(built: ExportRequest, requester: User) -> None:
    services.passphrase_reveal(actor=requester, export=built)
    services.export_download(actor=requester, export=_fresh(built)).close()
    _close_window(built, available_until=timezone.now() - timedelta(seconds=1))
    services.exports_expire()
    assert _actions(built) == [
        "evaluation.request",
        "evaluation.approve",
        "evaluation.build",
        "evaluation.passphrase",
        "evaluation.download",
        "evaluation.expire",
    ]
    build = _entry(built, "evaluation.build")
    assert build.actor_id is None
    assert build.detail["files"] == 3
    assert build.detail["report"]["k"] == 11
    for entry in AuditEntry.objects.in_org(built.organization_id).filter(target_type="evaluation.exportrequest"):
        assert "Who improves" not in str(entry.detail)  # the purpose's words stay on the request
