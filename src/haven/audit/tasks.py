"""Background work of the audit log (Django's tasks framework; the database backend runs it in `db_worker`)."""

from django.tasks import task

from . import services


@task()
def checkpoint_audit_log() -> None:
    """Take a checkpoint of the log's head unless the newest one still covers it (``audit.record`` schedules it)."""
    services.checkpoint_write(if_new=True)
