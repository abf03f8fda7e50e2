"""Import the ECB's euro reference rates from a file it publishes."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.audit.context import COMMAND, running
from haven.grants import services


class Command(BaseCommand):
    help = (
        "Import the ECB's euro reference rates from a file as the ECB publishes it: the history (eurofxref-hist.csv "
        "or eurofxref-hist.zip), the day's (eurofxref.csv or eurofxref.zip) or the day's XML (eurofxref-daily.xml). "
        "Importing a file again changes nothing; the audit log names this command as who imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the file, in any of the ECB's formats")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            with running(COMMAND, "rates_import"), path.open("rb") as file:
                result = services.rates_import(actor=None, file=file)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
        except ValidationError as error:
            raise CommandError(f"{path}: {' '.join(error.messages)}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.days} days from {result.first} to {result.last}, {len(result.currencies)} currencies: "
                f"{result.created} rates new, {result.changed} changed, {result.unchanged} already held."
            )
        )
