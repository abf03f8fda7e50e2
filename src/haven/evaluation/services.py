"""Evaluation exports' writes: every step of the workflow, each audited (``evaluation.*``).

requested -> approved (by a second program admin of the program, never the requester) or declined;
approved -> building -> ready (the package built, its passphrase sealed) or failed;
ready -> downloaded (by the requester, while the window lasts) -> expired (the file deleted), and ready -> expired.

A step moves an export only from the state it expects (compare-and-set): two admins deciding at once, or a build run
twice, change it once. The package's contents are ``package``'s (de-identification and the risk check).
"""

import contextlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.programs.models import Program

from . import sealing
from .models import HOLDS_FILE, K_MINIMUM, ExportRequest, ExportStatus


class ExportRefused(Exception):
    """A step the export's state or the person's place does not allow; its message is for the person."""


@dataclass(frozen=True)
class ExportFields:
    purpose: str
    evaluator: str
    agreement_reference: str
    agreement_expires_on: date
    tables: tuple[str, ...]
    period_start: date
    period_end: date
    date_unit: str
    k: int
    language: str


def export_dir() -> Path:
    return Path(settings.HAVEN_EXPORT_DIR)


def export_path(export: ExportRequest) -> Path:
    return export_dir() / export.file_name


def _summary(export: ExportRequest) -> dict[str, Any]:
    """What every entry of an export says about it: ids, choices and counts, never the purpose's words."""
    return {"program": export.program_id, "tables": list(export.tables), "k": export.k}


def _transition(export: ExportRequest, expected: tuple[str, ...], **changes: Any) -> bool:
    """Move the export if it is still in one of the ``expected`` states; whether it moved."""
    moved = (
        ExportRequest.objects.in_org(export.organization_id).filter(pk=export.pk, status__in=expected).update(**changes)
    )
    if moved:
        for name, value in changes.items():
            setattr(export, name, value)
    return bool(moved)


@transaction.atomic
def export_request(*, actor: User, program: Program, fields: ExportFields) -> ExportRequest:
    """A program admin asks for an export of their program; it waits for a second program admin's decision."""
    if fields.k < K_MINIMUM:
        raise ExportRefused(_("The smallest group cannot be under %(k)s.") % {"k": K_MINIMUM})
    export = ExportRequest.objects.create(
        organization_id=program.organization_id,
        program=program,
        purpose=fields.purpose,
        evaluator=fields.evaluator,
        agreement_reference=fields.agreement_reference,
        agreement_expires_on=fields.agreement_expires_on,
        tables=list(fields.tables),
        period_start=fields.period_start,
        period_end=fields.period_end,
        date_unit=fields.date_unit,
        k=fields.k,
        language=fields.language,
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        action="evaluation.request",
        organization=export.organization_id,
        target=export,
        detail={
            **_summary(export),
            "period": [fields.period_start.isoformat(), fields.period_end.isoformat()],
            "date_unit": fields.date_unit,
            "agreement_expires_on": fields.agreement_expires_on.isoformat(),
        },
    )
    return export


def may_decide(export: ExportRequest, user: User) -> bool:
    """Whether ``user`` may approve or decline the export: an active program admin of its program's organization,
    never the person who asked for it."""
    return (
        export.status == ExportStatus.REQUESTED
        and export.requested_by_id != user.pk
        and Membership.objects.of_user(user)
        .active()
        .filter(organization_id=export.organization_id, role=Role.PROGRAM_ADMIN)
        .exists()
    )


def _check_decider(export: ExportRequest, actor: User) -> None:
    if export.requested_by_id == actor.pk:
        raise ExportRefused(_("Another program admin must decide this export: nobody exports alone."))
    if not may_decide(export, actor):
        raise ExportRefused(_("This export is no longer waiting for a decision."))


@transaction.atomic
def export_approve(*, actor: User, export: ExportRequest) -> ExportRequest:
    """A second program admin approves: the package is built in the background once this commits."""
    from .tasks import build_export  # the task writes through this module

    _check_decider(export, actor)
    if export.agreement_expires_on < timezone.localdate():
        raise ExportRefused(_("The data-use agreement has expired: this export can no longer be approved."))
    now = timezone.now()
    if not _transition(
        export, (ExportStatus.REQUESTED,), status=ExportStatus.APPROVED, decided_by=actor, decided_at=now
    ):
        raise ExportRefused(_("This export is no longer waiting for a decision."))
    audit.record(
        actor=actor,
        action="evaluation.approve",
        organization=export.organization_id,
        target=export,
        detail=_summary(export),
    )
    export_id = export.pk
    transaction.on_commit(lambda: build_export.enqueue(export_id))
    return export


@transaction.atomic
def export_decline(*, actor: User, export: ExportRequest, note: str) -> ExportRequest:
    """A second program admin declines, with an optional note for the requester (never about a child)."""
    _check_decider(export, actor)
    if not _transition(
        export,
        (ExportStatus.REQUESTED,),
        status=ExportStatus.DECLINED,
        decided_by=actor,
        decided_at=timezone.now(),
        decline_note=note[:500],
    ):
        raise ExportRefused(_("This export is no longer waiting for a decision."))
    audit.record(
        actor=actor,
        action="evaluation.decline",
        organization=export.organization_id,
        target=export,
        detail=_summary(export),
    )
    return export


def build_begin(*, export: ExportRequest) -> bool:
    """The background build takes an approved export (once: a second run finds it taken)."""
    return _transition(export, (ExportStatus.APPROVED,), status=ExportStatus.BUILDING)


def new_file_name() -> str:
    """A name nobody can guess or derive from the export: the folder is never served, this is one more wall."""
    return f"{secrets.token_hex(16)}.zip"


def available_until(*, built_at: datetime, agreement_expires_on: date) -> datetime:
    """The end of the download window: ``HAVEN_EXPORT_DAYS`` after the build, and never past the agreement's last
    day."""
    window = built_at + timedelta(days=settings.HAVEN_EXPORT_DAYS)
    agreement_ends = timezone.make_aware(datetime.combine(agreement_expires_on + timedelta(days=1), time.min))
    return min(window, agreement_ends)


@transaction.atomic
def build_store(
    *, export: ExportRequest, file_name: str, passphrase: str, files: dict[str, int], report: dict[str, Any], size: int
) -> ExportRequest:
    """The package is built: keep what it holds and its risk report, seal its passphrase, open its window, audit the
    report's summary (by the system)."""
    built_at = timezone.now()
    until = available_until(built_at=built_at, agreement_expires_on=export.agreement_expires_on)
    if not _transition(
        export,
        (ExportStatus.BUILDING,),
        status=ExportStatus.READY,
        file_name=file_name,
        size=size,
        files=files,
        report=report,
        sealed_passphrase=sealing.seal(passphrase, export_id=export.pk),
        built_at=built_at,
        available_until=until,
        error="",
    ):
        raise ExportRefused("The export was not being built.")
    audit.record(
        actor=None,
        action="evaluation.build",
        organization=export.organization_id,
        target=export,
        detail={
            **_summary(export),
            "rows": sum(files.values()),
            "files": len(files),
            "bytes": size,
            "report": report_summary(report),
            "available_until": until.isoformat(),
        },
    )
    return export


def report_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The risk report's top-level numbers and flags, for the audit log: no nested tables, no strings over 60."""
    return {
        key: value
        for key, value in report.items()
        if isinstance(value, int | float | bool) or value is None or (isinstance(value, str) and len(value) <= 60)
    }


def build_fail(*, export: ExportRequest, error: Exception, file_name: str = "") -> None:
    """The package could not be built: whatever was written is deleted, the export says so with the kind of error
    only (never its message, which could quote a record)."""
    if file_name:
        with contextlib.suppress(FileNotFoundError):
            (export_dir() / file_name).unlink()
    with transaction.atomic():
        _transition(
            export,
            (ExportStatus.APPROVED, ExportStatus.BUILDING),
            status=ExportStatus.FAILED,
            error=type(error).__name__[:200],
            file_name="",
        )
        audit.record(
            actor=None,
            action="evaluation.fail",
            organization=export.organization_id,
            target=export,
            detail={**_summary(export), "error": type(error).__name__[:200]},
        )


def _requester_check(export: ExportRequest, actor: User) -> None:
    if export.requested_by_id != actor.pk:
        raise ExportRefused(_("Only the person who asked for this export may do this."))


@transaction.atomic
def passphrase_reveal(*, actor: User, export: ExportRequest) -> str:
    """The requester is shown the package's passphrase, once: it is opened and erased in the same step."""
    _requester_check(export, actor)
    locked = ExportRequest.objects.in_org(export.organization_id).select_for_update().get(pk=export.pk)
    if locked.status not in HOLDS_FILE or not locked.sealed_passphrase:
        raise ExportRefused(_("The passphrase was already shown: Haven no longer holds it."))
    passphrase = sealing.unseal(locked.sealed_passphrase, export_id=export.pk)
    now = timezone.now()
    if not _transition(export, HOLDS_FILE, sealed_passphrase="", passphrase_shown_at=now):
        raise ExportRefused(_("The passphrase was already shown: Haven no longer holds it."))
    audit.record(
        actor=actor,
        action="evaluation.passphrase",
        organization=export.organization_id,
        target=export,
        detail=_summary(export),
    )
    return passphrase


@transaction.atomic
def export_download(*, actor: User, export: ExportRequest) -> BinaryIO:
    """The requester downloads the package while it is available: the download is counted and audited, and the file
    is returned open (so a deletion that comes while it streams does not cut it off)."""
    _requester_check(export, actor)
    if not export.is_available():
        raise ExportRefused(_("This package can no longer be downloaded."))
    try:
        file = export_path(export).open("rb")
    except FileNotFoundError:
        raise ExportRefused(_("This package can no longer be downloaded.")) from None
    try:
        now = timezone.now()
        changes: dict[str, Any] = {"status": ExportStatus.DOWNLOADED, "downloads": export.downloads + 1}
        if export.downloaded_at is None:
            changes["downloaded_at"] = now
        if not _transition(export, HOLDS_FILE, **changes):
            raise ExportRefused(_("This package can no longer be downloaded."))
        audit.record(
            actor=actor,
            action="evaluation.download",
            organization=export.organization_id,
            target=export,
            detail={**_summary(export), "bytes": export.size, "download": export.downloads},
        )
    except BaseException:
        file.close()
        raise
    return file


def exports_expire(*, now: datetime | None = None) -> int:
    """Delete every package whose window has ended or whose data-use agreement has expired, and any sealed
    passphrase with it; each export expired is audited (by the system). How many expired."""
    moment = now or timezone.now()
    today = timezone.localdate(moment)
    # Every organization's exports: the command and the task that run this act for no one.
    due = ExportRequest.objects.dangerously_unscoped().filter(status__in=HOLDS_FILE)
    expired = 0
    for export in due.filter(available_until__lte=moment) | due.filter(agreement_expires_on__lt=today):
        if export_expire(export=export, now=moment):
            expired += 1
    return expired


@transaction.atomic
def export_expire(*, export: ExportRequest, now: datetime) -> bool:
    """End one export's window: its file deleted, its passphrase erased, audited. Whether it was still open."""
    file_name = export.file_name
    reason = "agreement" if export.agreement_expires_on < timezone.localdate(now) else "window"
    if not _transition(
        export, HOLDS_FILE, status=ExportStatus.EXPIRED, expired_at=now, file_name="", sealed_passphrase=""
    ):
        return False
    if file_name:
        # Deleted inside the transaction: a failed delete rolls the export back to try again next time.
        with contextlib.suppress(FileNotFoundError):
            (export_dir() / file_name).unlink()
    audit.record(
        actor=None,
        action="evaluation.expire",
        organization=export.organization_id,
        target=export,
        detail={**_summary(export), "reason": reason, "downloads": export.downloads},
    )
    return True
