"""Attempt every webhook delivery that is due (a sweep behind the task worker: run it every few minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from haven.api import webhooks


class Command(BaseCommand):
    help = "Attempt every webhook delivery whose next attempt has come."

    def handle(self, *args: Any, **options: Any) -> None:
        attempted = webhooks.deliver_due()
        self.stdout.write(f"{attempted} deliveries attempted")
