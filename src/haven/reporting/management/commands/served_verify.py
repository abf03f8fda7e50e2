"""Check that the kept children-served rows equal a full recomputation from the raw session rows."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.core import routers
from haven.programs.models import Program
from haven.reporting import served


class Command(BaseCommand):
    help = "Compare every program's kept children-served rows with a recomputation from the sessions."

    def handle(self, *args: Any, **options: Any) -> None:
        with routers.primary():  # the kept rows and the raw rows from the same database
            self.compare()

    def compare(self) -> None:
        problems = 0
        for program in Program.objects.dangerously_unscoped().order_by("pk"):
            kept, fresh = served.kept(program), served.recompute(program)
            differing = sorted(
                child_id for child_id in kept.keys() | fresh.keys() if kept.get(child_id) != fresh.get(child_id)
            )
            if differing:
                problems += len(differing)
                self.stderr.write(
                    f"Program {program.pk}: {len(differing)} children differ (ids {differing[:20]}"
                    f"{'…' if len(differing) > 20 else ''})."
                )
            else:
                self.stdout.write(f"Program {program.pk}: {len(kept)} children served, all equal to the raw rows.")
        if problems:
            raise CommandError(f"{problems} children-served rows differ from the raw rows.")
