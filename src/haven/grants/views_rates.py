"""The program admin's exchange rates page: import the ECB's files, see what is held, ask the rate of a day.

Its own module beside the grants pages (``views``), so that the money pillar's page groups stay apart."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from haven.core.forms import DateField
from haven.core.money import HELD
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import selectors, services

RATE_SUFFIXES = (".csv", ".zip", ".xml")


class RatesUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File as the ECB publishes it (CSV, zip or XML)"),
        error_messages={
            "required": format_lazy(
                gettext_lazy("Choose a CSV, zip or XML file of at most {limit} MB."),
                limit=settings.FILE_UPLOAD_MAX_MEMORY_SIZE // 2**20,
            )
        },
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(RATE_SUFFIXES):
            raise forms.ValidationError(_("Upload the .csv, .zip or .xml file as the ECB publishes it."))
        return upload


class RateLookupForm(forms.Form):
    currency = forms.ChoiceField(label=gettext_lazy("Currency"))
    day = DateField(label=gettext_lazy("Day"))

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["currency"])
        field.choices = [(currency, currency) for currency in currencies]


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def rates(request: MemberRequest) -> HttpResponse:
    """Upload a file of the ECB's (read in memory, never kept), the rates held and their gaps, and the rate a
    conversion on a given day uses (``?currency=USD&day=2025-04-18``)."""
    upload = RatesUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and upload.is_valid():
        try:
            result = services.rates_import(actor=request.user, file=upload.cleaned_data["file"])
        except ValidationError as error:
            upload.add_error("file", error)
        else:
            messages.success(
                request,
                _(
                    "%(days)s days of rates read, from %(first)s to %(last)s: %(created)s rates new, %(changed)s "
                    "changed, %(unchanged)s already held."
                )
                % {
                    "days": result.days,
                    "first": result.first.isoformat(),
                    "last": result.last.isoformat(),
                    "created": result.created,
                    "changed": result.changed,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("grants:rates")
    currencies = selectors.rate_currencies()
    lookup = RateLookupForm(request.GET if "day" in request.GET else None, currencies=currencies)
    answer = (
        selectors.rate_answer(lookup.cleaned_data["currency"], lookup.cleaned_data["day"])
        if lookup.is_valid()
        else None
    )
    held = [currency for currency in HELD if currency != "EUR"]
    context = {
        "upload": upload,
        "lookup": lookup,
        "answer": answer,
        "coverage": selectors.rate_coverage(held, today=timezone.localdate()),
    }
    return TemplateResponse(request, "grants/rates.html", context, status=400 if upload.errors else 200)
