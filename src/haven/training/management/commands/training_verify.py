"""Check that the kept workforce paths equal every path derived again from the records (``training.kept``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.programs.models import Program
from haven.training import kept


class Command(BaseCommand):
    help = (
        "Derive every enrollment's certification path again from the records and compare it with the kept path; "
        "exit 1 on any difference. --repair writes the derived paths instead (after a restore, or to fill them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="keep every path again from the records")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = 0
        # Every program of every national office: a check of the whole database.
        for program in Program.objects.dangerously_unscoped().order_by("pk"):
            if options["repair"]:
                written = kept.rebuild(program)
                self.stdout.write(f"Program {program.pk}: {written} paths kept again from the records.")
                continue
            differences = kept.differences(program)
            for line in differences[:50]:
                self.stderr.write(f"Program {program.pk}: {line}")
            problems += len(differences)
            if not differences:
                count = len(kept.stored(program))
                self.stdout.write(f"Program {program.pk}: {count} kept paths equal the paths derived from the records.")
        if problems:
            raise CommandError(f"{problems} kept paths differ from the records.")
