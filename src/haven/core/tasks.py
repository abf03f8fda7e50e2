"""The task worker's heartbeat: a task that runs every ``HAVEN_WORKER_HEARTBEAT_SECONDS`` and schedules its next run.

django-tasks-db keeps no record of a worker being alive, only of the tasks it ran. So the worker beats through the
queue itself: ``manage.py task_worker`` (``db_worker`` that starts the beat) makes sure one beat is waiting, and each
beat enqueues the next before it finishes. The newest finished beat says that some worker took a task from the
queue and ran it at that time; the health endpoint reads it (``last_heartbeat``). A backend that cannot defer a
task (the tests' immediate backend) does not beat.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import default_task_backend, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

# Finished beats kept besides the newest (older ones are deleted by each beat).
KEEP_BEATS = 3


@task()
def worker_heartbeat() -> None:
    """Schedule the next beat, then delete the finished beats but the newest few."""
    heartbeat_schedule()
    beats = DBTaskResult.objects.filter(task_path=_beat_path()).finished()
    keep = list(beats.order_by("-finished_at").values_list("pk", flat=True)[:KEEP_BEATS])
    beats.exclude(pk__in=keep).delete()


def _beat_path() -> str:
    return worker_heartbeat.module_path


def heartbeat_schedule() -> None:
    """Enqueue the next beat, ``HAVEN_WORKER_HEARTBEAT_SECONDS`` from now, unless one is already waiting (several
    workers starting at once may make two; the extra one ends as the other beats, without a successor)."""
    if not default_task_backend.supports_defer:
        return
    waiting = DBTaskResult.objects.filter(task_path=_beat_path(), status="READY").exists()
    if not waiting:
        at = timezone.now() + timedelta(seconds=settings.HAVEN_WORKER_HEARTBEAT_SECONDS)
        worker_heartbeat.using(run_after=at).enqueue()


def last_heartbeat() -> datetime | None:
    """When a worker last finished a beat, or None if none ever did."""
    return (
        DBTaskResult.objects.filter(task_path=_beat_path())
        .successful()
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )


def oldest_waiting() -> datetime | None:
    """Since when the task that has waited longest for a worker has been due: a task enqueued to run at once since
    it was enqueued, a deferred one since its time came."""
    due = DBTaskResult.objects.ready()
    at_once = due.filter(run_after=get_date_max()).order_by("enqueued_at").values_list("enqueued_at", flat=True)
    deferred = due.exclude(run_after=get_date_max()).order_by("run_after").values_list("run_after", flat=True)
    times = [time for time in (at_once.first(), deferred.first()) if time is not None]
    return min(times, default=None)
