"""``db_worker`` that beats: runs background tasks as django-tasks-db's worker does, having first made sure the
worker's heartbeat is scheduled (``core.tasks``), so ``/health/`` can tell that a worker is running."""

from typing import Any

from django_tasks_db.management.commands import db_worker

from haven.core.tasks import heartbeat_schedule


class Command(db_worker.Command):
    help = "Run the task worker (django-tasks-db's db_worker) with its heartbeat, read by /health/."

    def handle(self, *args: Any, **options: Any) -> None:
        heartbeat_schedule()
        super().handle(*args, **options)
