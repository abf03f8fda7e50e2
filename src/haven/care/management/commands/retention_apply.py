"""Apply the programs' retention policies to the care records: de-identify the children past their window."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from haven.audit.context import COMMAND, running
from haven.care import retention
from haven.organizations.models import Organization


class Command(BaseCommand):
    help = (
        "De-identify the care records of children whose every program ended longer ago than its retention policy "
        "says (decision 0047). Says what it will do, per CAC and kind of record, then does it in batches; "
        "--dry-run only says. Running it again does nothing. The audit log is never touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        planned = retention.plan(timezone.localdate())
        names = dict(Organization.objects.filter(pk__in=planned.children).values_list("pk", "name"))
        for program in planned.programs:
            self.stdout.write(f"Past its retention window: {program.name} (ended {program.ends_on.isoformat()})")
        for cac, counts in planned.counts.items():
            shown = ", ".join(f"{counts[kind]} {kind.replace('_', ' ')}" for kind in retention.KINDS)
            self.stdout.write(f"{names.get(cac, cac)} (#{cac}): {shown}")
        if planned.is_empty:
            self.stdout.write("Nothing to de-identify.")
            return
        total = planned.totals()
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {total['children']} children would be de-identified; nothing changed.")
            return
        with running(COMMAND, "retention_apply"):
            retention.apply(planned)
        self.stdout.write(self.style.SUCCESS(f"{total['children']} children de-identified."))
