"""The learning admin's staff pages: the directory, a member of staff, the provisioning tokens, the staff table
import. The learning admin is the corporate partner's org admin; an org admin elsewhere gets 404."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm, staging, tabular
from haven.core.forms import clean_table_file, table_file_field
from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import imports, selectors, services
from .models import ScimToken

PAGE_SIZE = 50
STAGING = "learning_staff"


def _company(request: MemberRequest) -> Organization:
    company = request.membership.organization
    if company.kind != OrganizationKind.CORPORATE_PARTNER:
        raise Http404
    return company


learning_admin = role_required(Role.ORG_ADMIN)  # and a corporate partner's: ``_company``


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    active = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Everyone")), ("yes", gettext_lazy("Active")), ("no", gettext_lazy("Deactivated"))],
    )

    def __init__(self, *args: Any, facets: dict[str, list[str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("Any"))]
        for name in ("department", "country"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = every + [(value, value) for value in facets[name]]


@require_GET
@learning_admin
def staff_list(request: MemberRequest) -> HttpResponse:
    company = _company(request)
    form = StaffFilterForm(request.GET or None, facets=selectors.staff_facets(company))
    query = selectors.StaffQuery()
    if form.is_valid():
        data = form.cleaned_data
        query = selectors.StaffQuery(data["q"], data["department"], data["country"], data["active"])
    found = selectors.staff_directory(company, query)
    page = Paginator(found, PAGE_SIZE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {"form": form, "page": page, "query": kept.urlencode(), "total": page.paginator.count}
    return TemplateResponse(request, "learning/staff_list.html", context)


@require_GET
@learning_admin
def staff_detail(request: MemberRequest, staff_id: int) -> HttpResponse:
    context = selectors.staff_record(_company(request), staff_id)
    return TemplateResponse(request, "learning/staff_detail.html", context)


class TokenForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=120,
        help_text=gettext_lazy("Which identity provider or connection uses it, such as “Okta production”."),
    )


@require_http_methods(["GET", "POST"])
@learning_admin
def scim_tokens(request: MemberRequest) -> HttpResponse:
    """The tokens (prefix, label, last use); a new one is shown once, on the answer to its creation."""
    company = _company(request)
    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = services.scim_token_create(
                actor=request.user, organization=company, label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            form.add_error("label", error)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "secret": secret,
        "tokens": selectors.scim_tokens(company),
        "endpoint": request.build_absolute_uri(reverse("scim:users")).removesuffix("Users"),
    }
    return TemplateResponse(request, "learning/staff_tokens.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@learning_admin
def scim_token_revoke(request: MemberRequest, token_id: int) -> HttpResponse:
    company = _company(request)
    token = get_object_or_404(ScimToken.objects.in_org(company), pk=token_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Revoke the token %(label)s?") % {"label": token.label},
            consequence=_(
                "The identity provider using it can no longer create, change or deactivate staff until it is given a "
                "new token. Staff already provisioned keep their access."
            ),
            button=_("Revoke the token"),
            back=reverse("learning:scim_tokens"),
        )
    services.scim_token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token %(label)s is revoked.") % {"label": token.label})
    return redirect("learning:scim_tokens")


class StaffImportForm(forms.Form):
    file = table_file_field(label=gettext_lazy("File (CSV UTF-8 or XLSX)"))

    def clean_file(self) -> Any:
        return clean_table_file(self.cleaned_data["file"])


@require_http_methods(["GET", "POST"])
@learning_admin
def staff_import(request: MemberRequest) -> HttpResponse:
    """Upload, then a dry run: every row's outcome, nothing written. The file is read in memory only."""
    company = _company(request)
    form = StaffImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = tabular.read_table(upload)
        except tabular.TableError as error:
            form.add_error("file", str(error))
        else:
            rows = imports.rows_of(table)
            del table
            plan = imports.plan(company=company, rows=rows)
            payload = staging.stage(
                purpose=STAGING, user_id=request.user.pk, scope=company.pk, name=upload.name, rows=rows
            )
            context = {"plan": plan, "payload": payload, "file_name": upload.name, "counts": plan.counts()}
            return TemplateResponse(request, "learning/staff_import_review.html", context)
    context = {"form": form, "columns": imports.COLUMNS}
    return TemplateResponse(request, "learning/staff_import.html", context, status=400 if form.errors else 200)


@require_POST
@learning_admin
def staff_import_confirm(request: MemberRequest) -> HttpResponse:
    """Apply what the dry run showed, all of it in one transaction, or nothing if any row fails now."""
    company = _company(request)
    try:
        data = staging.unstage(
            request.POST.get("payload", ""), purpose=STAGING, user_id=request.user.pk, scope=company.pk
        )
    except staging.Expired:
        messages.error(request, _("This import expired or was altered. Upload the file again."))
        return redirect("learning:staff_import")
    plan = imports.apply(actor=request.user, company=company, rows=data["rows"], file_name=data["name"])
    if plan.has_errors:
        context = {"plan": plan, "payload": None, "file_name": data["name"], "counts": plan.counts()}
        return TemplateResponse(request, "learning/staff_import_review.html", context, status=400)
    counts = plan.counts()
    messages.success(
        request,
        _(
            "Imported %(name)s: %(create)d created, %(update)d updated, %(deactivate)d deactivated, "
            "%(unchanged)d unchanged."
        )
        % {"name": data["name"], **counts},
    )
    return redirect("learning:staff_list")
