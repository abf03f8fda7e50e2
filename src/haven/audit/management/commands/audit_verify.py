from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.audit.chain import HASHED_FIELDS, first_break
from haven.audit.models import AuditEntry

REASONS = {
    "missing": "entry #{seq} is missing (a row was removed)",
    "relinked": "entry #{seq} does not link to the entry before it (a row was removed or replaced)",
    "altered": "entry #{seq} does not match its hash (the row was altered)",
}


class Command(BaseCommand):
    help = "Walk the audit log's hash chain and name the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = (
            AuditEntry.objects.dangerously_unscoped()
            .order_by("seq")
            .values(*HASHED_FIELDS, "hash")
            .iterator(chunk_size=5000)
        )
        count = 0

        def counted() -> Any:
            nonlocal count
            for row in rows:
                count += 1
                yield row

        try:
            broken = first_break(counted())
        finally:
            # Close the database cursor now, not when the half-read iterator is garbage-collected: by then the
            # connection may be in another transaction, which closing a cursor it does not know would abort.
            rows.close()
        if broken is not None:
            raise CommandError(f"Audit chain broken: {REASONS[broken.reason].format(seq=broken.seq)}.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} entries."))
