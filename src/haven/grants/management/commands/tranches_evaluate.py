from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from haven.grants import services


class Command(BaseCommand):
    help = (
        "Mark met the waiting tranches whose day has come or whose grantee's figure reached its level (run daily). "
        "A met tranche still waits for a person to release it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        met = services.tranches_evaluate_all(on=options["today"] or timezone.now().date())
        self.stdout.write(f"{met} tranche(s) met.")
