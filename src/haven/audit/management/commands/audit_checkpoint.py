from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.audit import services
from haven.audit.checkpoints import CheckpointFileError


class Command(BaseCommand):
    help = (
        "Record a checkpoint in the audit log and append a signed checkpoint of it to the checkpoint file "
        "(HAVEN_AUDIT_CHECKPOINTS). Run it from a timer in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-new", action="store_true", help="do nothing when the newest checkpoint covers the log's head"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = services.checkpoint_write(if_new=options["if_new"])
        except CheckpointFileError as error:
            raise CommandError(str(error)) from error
        if checkpoint is None:
            self.stdout.write("Nothing new since the last checkpoint.")
            return
        self.stdout.write(
            f"Checkpoint {checkpoint.n} covers #{checkpoint.seq}, written to {services.checkpoint_path()}."
        )
