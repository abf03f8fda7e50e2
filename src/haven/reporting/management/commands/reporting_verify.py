"""Check that the kept figures (children served and the care cells) equal a full recomputation from the raw rows."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.core import routers
from haven.programs.models import Program
from haven.reporting import kept, served


class Command(BaseCommand):
    help = "Compare every program's kept figures with a recomputation from the raw rows; exit 1 on any difference."

    def handle(self, *args: Any, **options: Any) -> None:
        with routers.primary():  # the kept rows and the raw rows from the same database
            self.compare()

    def compare(self) -> None:
        problems = 0
        for program in Program.objects.dangerously_unscoped().order_by("pk"):
            children_kept, children_fresh = served.kept(program), served.recompute(program)
            children = sorted(
                pk
                for pk in children_kept.keys() | children_fresh.keys()
                if children_kept.get(pk) != children_fresh.get(pk)
            )
            if children:
                problems += len(children)
                self.stderr.write(
                    f"Program {program.pk}: {len(children)} children-served rows differ (ids {children[:20]})."
                )
            cells = kept.differences(program)
            for line in cells[:50]:
                self.stderr.write(f"Program {program.pk}: {line}")
            problems += len(cells)
            if not children and not cells:
                self.stdout.write(
                    f"Program {program.pk}: {len(children_kept)} children served and every figure cell equal "
                    "the raw rows."
                )
        if problems:
            raise CommandError(f"{problems} kept figures differ from the raw rows.")
