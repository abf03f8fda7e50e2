from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.audit import backup
from haven.audit import services as audit
from haven.audit.backup_file import BackupFileError


class Command(BaseCommand):
    help = (
        "Back the database up to FILE, encrypted and authenticated with the backup key (HAVEN_BACKUP_KEY or "
        "backup.key in the key directory): SQLite through its online backup, PostgreSQL through pg_dump."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            key = backup.backup_key()
            header = backup.create(path, alias="default", key=key)
        except (BackupFileError, ImproperlyConfigured, OSError) as error:
            raise CommandError(str(error)) from error
        rows = sum(header.counts.values())
        audit.record(
            actor=None,
            action="backup.create",
            detail={"engine": header.engine, "tables": len(header.counts), "rows": rows, "bytes": path.stat().st_size},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {backup.ENGINES[header.engine]}: {len(header.counts)} tables, {rows:,} rows, "
                f"{len(header.migrations)} migrations, to {path}."
            )
        )
