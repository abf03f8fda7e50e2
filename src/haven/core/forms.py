"""Form helpers every app shares."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

TABLE_SUFFIXES = (".csv", ".xlsx", ".txt")
ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO (YYYY-MM-DD), in every language: a browser discards any
    other value (a French 29/11/2026 shows as blank, and the form is sent back without it). Django's date fields
    accept ISO in every language, after the language's own formats."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class DateField(forms.DateField):
    """A date, picked with the browser's date picker (``DateInput``). Every form's dates use it."""

    widget = DateInput


def errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def table_file_field(**kwargs: Any) -> forms.FileField:
    """The field an import's table is uploaded with. A file over the upload limit never reaches the form (uploads
    are kept in memory, up to ``FILE_UPLOAD_MAX_MEMORY_SIZE``): it is missing, so the missing file's message says
    the limit."""
    limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE // 2**20
    required = format_lazy(_("Choose a CSV or XLSX file of at most {limit} MB."), limit=limit)
    return forms.FileField(error_messages={"required": required}, **kwargs)


def clean_table_file(upload: Any) -> Any:
    """An uploaded table must be CSV or XLSX (read later, in memory, by ``core.tabular``); None when the field is
    optional and left empty."""
    if upload and not upload.name.lower().endswith(TABLE_SUFFIXES):
        raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
    return upload
