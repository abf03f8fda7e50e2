"""``manage.py pseudonyms_rekey``: after ``keys_rotate pseudonym`` and a reload of every process, put every child's
case key under the current pseudonym key, in batches, while Haven runs (decision 0048)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.care import services


class Command(BaseCommand):
    help = (
        "Re-key the children's case keys under the current pseudonym key, a batch at a time in short transactions; "
        "safe while Haven runs and resumable. Run it after every process has reloaded the rotated key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="children per transaction (default 500)")
        parser.add_argument("--limit", type=int, default=None, help="stop after this many children (resume later)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        result = services.pseudonyms_rekey(batch=options["batch"], limit=options["limit"])
        self.stdout.write(f"Re-keyed {result.rekeyed} children; {result.remaining} not yet under the current key.")
        for first, second in result.twice:
            self.stdout.write(
                self.style.WARNING(f"Children {first} and {second} have the same case number: merge them by hand.")
            )
        if result.unknown_key:
            self.stdout.write(
                self.style.WARNING(
                    f"{result.unknown_key} children have a key made with a pseudonym key that is no longer configured."
                )
            )
        if result.remaining == 0:
            self.stdout.write(
                self.style.SUCCESS(
                    "Every child is under the current pseudonym key: older forms of a case key match nothing now. "
                    "Keep the older keys in hmac-old.keys: they are inner layers of every child's key (a case "
                    "number's key is computed through them), but a leaked older key alone reveals nothing any more."
                )
            )
