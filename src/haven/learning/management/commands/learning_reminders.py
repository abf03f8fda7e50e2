from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from haven.learning import reminders


class Command(BaseCommand):
    help = "E-mail learners before and after their due dates and managers a weekly digest (run daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        results = reminders.send_all(options["today"] or timezone.localdate())
        before = sum(counts.before for counts in results.values())
        after = sum(counts.after for counts in results.values())
        digests = sum(counts.digests for counts in results.values())
        self.stdout.write(f"{before} before, {after} after the due date, {digests} manager digest(s).")
