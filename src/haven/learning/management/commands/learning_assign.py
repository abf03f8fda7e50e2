from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from haven.learning import rules


class Command(BaseCommand):
    help = "Assign the courses every company's active rules call for (run daily). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        results = rules.assign_all(options["today"] or timezone.localdate())
        created = sum(counts.created for counts in results.values())
        self.stdout.write(f"{created} assignment(s) made in {len(results)} company(ies).")
