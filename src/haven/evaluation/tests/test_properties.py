"""Properties of the workflow over any sequence of steps by anyone: nobody exports alone, the states move only along
the workflow's edges, a file exists exactly while the export holds one, the passphrase is shown once and only to the
requester, only the requester downloads, and every step that happened is in the log once."""

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.evaluation import sealing, services
from haven.evaluation.models import HOLDS_FILE, ExportRequest, ExportStatus
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.organizations.tests.factories import NationalOfficeFactory
from haven.programs.models import Program

from .conftest import fields

S = ExportStatus
EDGES = {
    S.REQUESTED: {S.REQUESTED, S.APPROVED, S.DECLINED, S.READY, S.FAILED},  # approval builds at once (inline here)
    S.APPROVED: {S.APPROVED, S.BUILDING, S.READY, S.FAILED},
    S.BUILDING: {S.BUILDING, S.READY, S.FAILED},
    S.READY: {S.READY, S.DOWNLOADED, S.EXPIRED},
    S.DOWNLOADED: {S.DOWNLOADED, S.EXPIRED},
    S.DECLINED: {S.DECLINED},
    S.EXPIRED: {S.EXPIRED},
    S.FAILED: {S.FAILED},
}
PEOPLE = ("requester", "approver", "third", "elsewhere")
STEPS = ("approve", "decline", "reveal", "download", "window_ends", "agreement_ends")
AUDITED = {"approve": "evaluation.approve", "decline": "evaluation.decline", "reveal": "evaluation.passphrase"}


def _fresh(export: ExportRequest) -> ExportRequest:
    return ExportRequest.objects.in_org(export.organization_id).get(pk=export.pk)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(STEPS)), max_size=8))
def test_any_sequence_of_steps_keeps_the_rules(
    steps: list[tuple[str, str]],
    program: Program,
    national: Organization,
    requester: User,
    approver: User,
    make_member: Callable[..., User],
    export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = {"requester": requester, "approver": approver}
    people["third"] = make_member(Role.PROGRAM_ADMIN, national)
    people["elsewhere"] = make_member(Role.PROGRAM_ADMIN, NationalOfficeFactory())
    export = services.export_request(actor=requester, program=program, fields=fields())
    done: Counter[str] = Counter({"evaluation.request": 1})
    shown: list[tuple[str, str]] = []
    downloads: list[str] = []
    before = export.status
    for who, step in steps:
        actor = people[who]
        try:
            if step == "approve":
                with django_capture_on_commit_callbacks(execute=True):
                    services.export_approve(actor=actor, export=_fresh(export))
            elif step == "decline":
                services.export_decline(actor=actor, export=_fresh(export), note="")
            elif step == "reveal":
                shown.append((who, services.passphrase_reveal(actor=actor, export=_fresh(export))))
            elif step == "download":
                services.export_download(actor=actor, export=_fresh(export)).close()
                downloads.append(who)
                done["evaluation.download"] += 1
            else:
                changes: dict[str, Any] = (
                    {"available_until": timezone.now() - timedelta(seconds=1)}
                    if step == "window_ends"
                    else {"agreement_expires_on": timezone.localdate() - timedelta(days=1)}
                )
                ExportRequest.objects.in_org(export.organization_id).filter(pk=export.pk).update(**changes)
                done["evaluation.expire"] += services.exports_expire()
                continue
        except services.ExportRefused:
            pass
        else:
            if step in AUDITED:
                done[AUDITED[step]] += 1
            if step == "approve":
                done["evaluation.build"] += 1
        now = _fresh(export)
        # Nobody exports alone; the states follow the workflow's edges.
        assert now.decided_by_id != now.requested_by_id
        assert now.decided_by_id in (None, approver.pk, people["third"].pk)  # a program admin of the office
        assert now.status in EDGES[before], (before, now.status, step)
        before = now.status
        # A file exists exactly while the export holds one.
        files = list(export_dir.iterdir()) if export_dir.exists() else []
        assert (now.status in HOLDS_FILE) == (len(files) == 1 and files[0].name == now.file_name)
    final = _fresh(export)
    assert [who for who, _p in shown] in ([], ["requester"])
    assert set(downloads) <= {"requester"}
    if shown:
        assert final.sealed_passphrase == ""
    logged = Counter(
        AuditEntry.objects.in_org(export.organization_id)
        .filter(target_type="evaluation.exportrequest", target_id=str(export.pk))
        .values_list("action", flat=True)
    )
    assert logged == done
    # The folder is emptied for the next example (the same test's folder).
    for leftover in export_dir.iterdir() if export_dir.exists() else []:
        leftover.unlink()


@given(passphrase=st.text(min_size=1, max_size=80), export_id=st.integers(1, 2**40), other=st.integers(1, 2**40))
def test_a_sealed_passphrase_opens_to_itself_for_its_export_only(passphrase: str, export_id: int, other: int) -> None:
    sealed = sealing.seal(passphrase, export_id=export_id)
    assert sealing.unseal(sealed, export_id=export_id) == passphrase
    if other != export_id:
        try:
            sealing.unseal(sealed, export_id=other)
        except sealing.Unopenable:
            pass
        else:
            raise AssertionError("opened for another export")
