"""Score assessments again after an instrument's definition changed; the superseded scores are kept."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.care import services
from haven.measures import instruments


class Command(BaseCommand):
    help = "Rescore every assessment of the given instruments (all by default) under their current definition."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("instruments", nargs="*", help="instrument codes, e.g. phq_a")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = options["instruments"] or [i.code for i in instruments.all_instruments()]
        for code in codes:
            try:
                checked, rescored = services.rescore(code)
            except instruments.UnknownInstrument as error:
                raise CommandError(f"Unknown instrument: {code}") from error
            self.stdout.write(f"{code}: {checked} checked, {rescored} rescored.")
