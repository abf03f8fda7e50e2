"""The company's learning settings page and its statements download, for its learning admin."""

import typing
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from haven.core.forms import DateField, errors_to_form
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import company_settings, lrs, sso
from .company_settings import SettingsFields
from .models import LearningSettings
from .services import learning_settings


def learning_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The company's learning admin: an org admin acting for a corporate partner (anyone else gets 404)."""

    @role_required(Role.ORG_ADMIN)
    @wraps(view)
    def wrapper(request: MemberRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.membership.organization.kind != OrganizationKind.CORPORATE_PARTNER:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class SettingsForm(forms.Form):
    oidc_issuer = forms.URLField(
        label=gettext_lazy("OpenID Connect issuer"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("Your identity provider's address, as its discovery document names it."),
    )
    oidc_client_id = forms.CharField(label=gettext_lazy("Client id"), required=False, max_length=200)
    oidc_client_secret = forms.CharField(
        label=gettext_lazy("Client secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    oidc_client_secret_remove = forms.BooleanField(label=gettext_lazy("Remove the client secret"), required=False)
    lrs_endpoint = forms.URLField(
        label=gettext_lazy("Learning record store endpoint"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("The xAPI endpoint: statements are sent to its /statements resource."),
    )
    lrs_username = forms.CharField(label=gettext_lazy("Learning record store key"), required=False, max_length=200)
    lrs_password = forms.CharField(
        label=gettext_lazy("Learning record store secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    lrs_password_remove = forms.BooleanField(label=gettext_lazy("Remove the store secret"), required=False)
    remind_days_before = forms.IntegerField(
        label=gettext_lazy("Remind this many days before the due date"), min_value=0, max_value=90
    )
    remind_days_after = forms.IntegerField(
        label=gettext_lazy("Remind again this many days after it"), min_value=0, max_value=90
    )
    program = forms.TypedChoiceField(
        label=gettext_lazy("Program"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy("The program whose target of staff educated this company's learning counts toward."),
    )

    def __init__(self, *args: Any, current: LearningSettings, **kwargs: Any) -> None:
        initial = {
            "oidc_issuer": current.oidc_issuer,
            "oidc_client_id": current.oidc_client_id,
            "lrs_endpoint": current.lrs_endpoint,
            "lrs_username": current.lrs_username,
            "remind_days_before": current.remind_days_before,
            "remind_days_after": current.remind_days_after,
            "program": current.program_id,
        }
        super().__init__(*args, **{**kwargs, "initial": initial})
        self.programs = {program.pk: program for program in company_settings.program_choices()}
        program_field = typing.cast(forms.ChoiceField, self.fields["program"])
        program_field.choices = [("", _("None")), *((pk, p.name) for pk, p in self.programs.items())]
        secrets_stored = (("oidc_client_secret", current.oidc_client_secret), ("lrs_password", current.lrs_password))
        for name, stored in secrets_stored:
            self.fields[name].help_text = (
                _("A secret is set: leave this empty to keep it.") if stored else _("No secret is set.")
            )

    def settings_fields(self) -> SettingsFields:
        data = self.cleaned_data

        def secret(name: str) -> str | None:
            if data[f"{name}_remove"]:
                return ""
            return data[name] or company_settings.KEEP

        return SettingsFields(
            program=self.programs.get(data["program"]) if data["program"] else None,
            oidc_issuer=data["oidc_issuer"],
            oidc_client_id=data["oidc_client_id"],
            oidc_client_secret=secret("oidc_client_secret"),
            lrs_endpoint=data["lrs_endpoint"],
            lrs_username=data["lrs_username"],
            lrs_password=secret("lrs_password"),
            remind_days_before=data["remind_days_before"],
            remind_days_after=data["remind_days_after"],
        )


class PeriodForm(forms.Form):
    since = DateField(label=gettext_lazy("From"), required=False)
    until = DateField(label=gettext_lazy("To"), required=False)


@require_http_methods(["GET", "POST"])
@learning_admin_required
def learning_settings_page(request: MemberRequest) -> HttpResponse:
    company = request.membership.organization
    current = learning_settings(company)
    if request.method == "POST" and request.POST.get("action") == "test_store":
        problem = lrs.check_connection(current) if lrs.is_configured(current) else _("No store is set.")
        if problem:
            messages.error(request, _("The learning record store did not answer: %(problem)s.") % {"problem": problem})
        else:
            messages.success(request, _("The learning record store answered."))
        return redirect("learning:settings")
    form = SettingsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            company_settings.settings_save(actor=request.user, company=company, fields=form.settings_fields())
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The learning settings were saved."))
            return redirect("learning:settings")
    context = {
        "form": form,
        "current": current,
        "sso_configured": sso.is_configured(current),
        "store_configured": lrs.is_configured(current),
        "period": PeriodForm(),
    }
    return TemplateResponse(request, "learning/settings.html", context, status=422 if form.errors else 200)


@require_GET
@learning_admin_required
def statements_download(request: MemberRequest) -> HttpResponse:
    """The company's xAPI statements of a period, as a JSON array (an LRS or a spreadsheet's import reads it)."""
    period = PeriodForm(request.GET)
    if not period.is_valid():
        return JsonResponse({"errors": period.errors.get_json_data()}, status=400)
    statements = lrs.statements_export(
        actor=request.user,
        company=request.membership.organization,
        since=period.cleaned_data["since"],
        until=period.cleaned_data["until"],
    )
    response = JsonResponse(statements, safe=False)
    response["Content-Disposition"] = 'attachment; filename="statements.json"'
    return response
