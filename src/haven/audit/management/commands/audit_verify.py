from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.audit import chain, checkpoints
from haven.audit.keyring import keyring
from haven.audit.models import AuditEntry
from haven.audit.services import checkpoint_path

COLUMNS = (*chain.HASHED_FIELDS, "key_id", "hash")


def locate(mac: str) -> int | None:
    return AuditEntry.objects.dangerously_unscoped().filter(hash=mac).values_list("seq", flat=True).first()


class Command(BaseCommand):
    help = (
        "Verify every audit entry with the audit keys and the log against the signed checkpoints; name every "
        "entry that is not as it was written (altered, forged, missing, relinked, reordered, truncated...)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        keys = keyring().keys
        path = checkpoint_path()
        file_check = checkpoints.check_lines(checkpoints.read_lines(path), keys)
        rows = AuditEntry.objects.dangerously_unscoped().order_by("seq").values(*COLUMNS).iterator(chunk_size=5000)
        try:
            report = chain.verify(rows, keys=keys, checkpoints=file_check.valid, locate=locate)
        finally:
            # Close the database cursor now, not when a half-read iterator is garbage-collected: by then the
            # connection may be in another transaction, which closing a cursor it does not know would abort.
            rows.close()
        checkpoints.cross_check(report, file_check)
        if not report.intact:
            lines = "\n".join(f"- {finding}" for finding in report.findings())
            raise CommandError(f"Audit log verification failed:\n{lines}")
        self.stdout.write(self.style.SUCCESS(summary(report)))


def summary(report: chain.Report) -> str:
    if not report.entries:
        lines = ["Audit log intact: 0 entries."]
    else:
        lines = [
            f"Audit log intact: {report.entries} entries, "
            f"{chain.seqs_text(report.first_seq or 0, report.last_seq or 0)}."
        ]
        keyed = [f"{count} with key {key_id}" for key_id, count in report.by_key.items() if key_id != chain.UNKEYED]
        unkeyed = report.by_key.get(chain.UNKEYED)
        if unkeyed:
            keyed.insert(0, f"{unkeyed} unkeyed (written before the audit key, sealed by #{report.sealed_by})")
        lines.append(f"Authenticated: {', '.join(keyed)}.")
    if report.checkpoint is None:
        lines.append(
            "No checkpoint yet: the newest entries could be removed unnoticed until one is taken "
            "(manage.py audit_checkpoint)."
        )
    else:
        since = (report.last_seq or 0) - report.checkpoint.seq
        lines.append(
            f"Checkpoint {report.checkpoint.n} of {report.checkpoint.at} covers #{report.checkpoint.seq}; "
            f"{since} entries written since."
        )
    return "\n".join(lines)
