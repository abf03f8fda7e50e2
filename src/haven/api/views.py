"""The organization's API keys, for its admin: make one (shown once), list them, revoke one. The writes are
``keys.key_create`` and ``keys.key_revoke``, which check the admin and audit."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from haven.core import confirm
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import keys
from .forms import ApiKeyForm


def _organization(request: MemberRequest) -> Organization:
    """The admin's organization, when its kind may hold a key (a state chapter holds none): 404 otherwise. A
    program admin manages the keys of a national office only."""
    organization = request.membership.organization
    if not keys.scopes_for(organization):
        raise Http404
    if request.membership.role == Role.PROGRAM_ADMIN and organization.kind != OrganizationKind.NATIONAL_OFFICE:
        raise Http404
    return organization


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN, Role.PROGRAM_ADMIN)
def key_list(request: MemberRequest) -> HttpResponse:
    """The keys (label, prefix, scopes, expiry, who made them, last use, revocation); a new one is shown once, on
    the answer to its creation, and never again."""
    organization = _organization(request)
    form = ApiKeyForm(request.POST or None, organization=organization)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _key, secret = keys.key_create(
                membership=request.membership,
                label=form.cleaned_data["label"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            form = ApiKeyForm(organization=organization)
    context = {
        "form": form,
        "secret": secret,
        "keys": keys.keys_of(organization),
        "now": timezone.now(),
        "documentation": request.build_absolute_uri(reverse("api:openapi-view")),
    }
    return TemplateResponse(request, "api/keys.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN, Role.PROGRAM_ADMIN)
def key_revoke(request: MemberRequest, key_id: int) -> HttpResponse:
    organization = _organization(request)
    key = keys.key_of(organization, key_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Revoke the key %(label)s?") % {"label": key.label},
            consequence=_(
                "The system using it is refused at once: it can no longer send or read anything through the API "
                "until it is given a new key. What it sent before stays."
            ),
            button=_("Revoke the key"),
            back=reverse("api_keys:list"),
        )
    keys.key_revoke(membership=request.membership, key=key)
    messages.success(request, _("The key %(label)s is revoked.") % {"label": key.label})
    return redirect("api_keys:list")
