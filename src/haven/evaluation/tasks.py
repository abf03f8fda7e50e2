"""Background work of evaluation exports (Django's tasks framework; ``db_worker`` runs it): the package's build, and
its deletion when its window ends."""

from django.tasks import default_task_backend, task

from . import package, sealing, services
from .models import ExportRequest


@task()
def build_export(export_id: int) -> None:
    """Build an approved export's package with a new passphrase, keep it sealed for the requester, and schedule the
    package's deletion at the end of its window (``manage.py evaluation_expire`` runs daily behind it)."""
    # A task acts for no one and receives only an id: the export is found across organizations, then every write
    # goes through the services, scoped to its organization.
    export = ExportRequest.objects.dangerously_unscoped().get(pk=export_id)
    if not services.build_begin(export=export):
        return  # built already, or no longer approved
    file_name, passphrase = services.new_file_name(), sealing.make()
    try:
        services.export_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
        spec = package.Spec(
            program_id=export.program_id,
            period_start=export.period_start,
            period_end=export.period_end,
            tables=tuple(export.tables),
            k=export.k,
            date_unit=export.date_unit,
            language=export.language,
        )
        built = package.build(spec, services.export_dir() / file_name, passphrase)
    except Exception as error:
        services.build_fail(export=export, error=error, file_name=file_name)
        raise
    services.build_store(
        export=export,
        file_name=file_name,
        passphrase=passphrase,
        files=dict(built.files),
        report=dict(built.report),
        size=built.size,
    )
    if default_task_backend.supports_defer and export.available_until is not None:
        expire_exports.using(run_after=export.available_until).enqueue()


@task()
def expire_exports() -> None:
    """Delete the packages whose window has ended (scheduled at the end of each one's window)."""
    services.exports_expire()
