from io import StringIO
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.audit import backup
from haven.audit import services as audit
from haven.audit.backup_file import BackupFileError


def verify_commands() -> list[str]:
    """Every ``*_verify`` command installed: each checks one kept figure or log against its source."""
    return sorted(name for name in get_commands() if name.endswith("_verify"))


class Command(BaseCommand):
    help = (
        "Restore the database from FILE, a backup made by `manage.py backup` with the same backup key. The whole "
        "file is authenticated first; a target holding data is refused unless --replace. Afterwards every table's "
        "row count is compared with the source's and every *_verify command runs; any difference fails the restore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--replace", action="store_true", help="overwrite a target that already holds data")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        alias = "default"
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        try:
            key = backup.backup_key()
            header = backup.restore(path, alias=alias, key=key, replace=options["replace"])
        except (BackupFileError, ImproperlyConfigured, OSError) as error:
            raise CommandError(f"Refused: {error}") from error
        # Kept figures cached from the database that was there before are not this one's.
        cache.clear()
        differences = backup.count_differences(header.counts, backup.counts_now(alias))
        if differences:
            lines = "\n".join(f"- {line}" for line in differences)
            raise CommandError(f"Restore FAILED: row counts differ from the source's:\n{lines}")
        rows = sum(header.counts.values())
        audit.record(
            actor=None,
            action="backup.restore",
            detail={"engine": header.engine, "tables": len(header.counts), "rows": rows},
        )
        self.stdout.write(f"Restored {len(header.counts)} tables, {rows:,} rows: every count equals the source's.")
        failures = []
        for name in verify_commands():
            output = StringIO()
            try:
                call_command(name, stdout=output, stderr=output)
            except Exception as error:  # noqa: BLE001 - any failure of a check fails the restore, named
                failures.append(f"- {name}: {error}")
            else:
                self.stdout.write(f"{name}: passed.")
        if failures:
            raise CommandError("Restore FAILED verification:\n" + "\n".join(failures))
        self.stdout.write(
            self.style.SUCCESS(
                f"Restore verified ({', '.join(verify_commands())}). Restart Haven's processes: their caches "
                "describe the database that was replaced."
            )
        )
