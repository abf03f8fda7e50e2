import threading
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "haven.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from django.tasks.signals import task_finished, task_started

        task_started.connect(_task_started, dispatch_uid="haven.audit.task_started")
        task_finished.connect(_task_finished, dispatch_uid="haven.audit.task_finished")


# What the audit log writes while a background task runs names it as the one who acted. The tasks framework says
# when a task starts and ends, in the thread that runs it (the worker's, or the caller's with the immediate
# backend); the context is set there and taken back at the end, whatever the task.
_running = threading.local()


def _task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    from .context import TASK, running

    block = running(TASK, task_result.task.name)
    block.__enter__()
    _running.__dict__.setdefault("blocks", []).append(block)


def _task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    if blocks := _running.__dict__.get("blocks"):
        blocks.pop().__exit__(None, None, None)
