"""Background work of the creative review (Django's tasks framework; `db_worker` runs it)."""

from django.tasks import task

from . import ocr


@task()
def read_asset(asset_id: int) -> None:
    """Read the legible text of a stored asset (OCR) for its reviewers."""
    ocr.read_asset(asset_id)
