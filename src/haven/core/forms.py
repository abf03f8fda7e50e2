"""Form helpers every app shares."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TABLE_SUFFIXES = (".csv", ".xlsx", ".txt")


def errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def clean_table_file(upload: Any) -> Any:
    """An uploaded table must be CSV or XLSX (read later, in memory, by ``training.tabular``)."""
    if not upload.name.lower().endswith(TABLE_SUFFIXES):
        raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
    return upload
