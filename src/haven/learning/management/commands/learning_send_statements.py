from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from haven.learning import lrs


class Command(BaseCommand):
    help = "Send every company's unsent xAPI statements to its learning record store (run often; failures retry)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=lrs.BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        results = lrs.send_all(batch_size=options["batch_size"])
        sent = sum(result.sent for result in results.values())
        failed = sum(result.failed for result in results.values())
        self.stdout.write(f"{sent} statement(s) sent, {failed} kept to retry, {len(results)} store(s).")
