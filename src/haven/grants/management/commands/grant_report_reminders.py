from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from haven.grants import services


class Command(BaseCommand):
    help = "E-mail grantees whose reports fall due or are late (run daily). Each reminder is sent once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.report_reminders_send(today=options["today"] or timezone.now().date())
        self.stdout.write(f"{sent} report reminder(s) sent.")
