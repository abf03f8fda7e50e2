"""The company's publish gate tokens, for its org admin: make one (shown once), list them, revoke one."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from haven.core import confirm
from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import gate, services
from .models import GateToken


def _company(request: MemberRequest) -> Organization:
    company = request.membership.organization
    if company.kind != OrganizationKind.CORPORATE_PARTNER:
        raise Http404
    return company


class GateTokenForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=120,
        help_text=gettext_lazy("Which system uses it, such as “DAM production”."),
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def tokens(request: MemberRequest) -> HttpResponse:
    """The tokens (prefix, label, last use); a new one is shown once, on the answer to its creation."""
    company = _company(request)
    form = GateTokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = services.gate_token_create(
                membership=request.membership, company=company, label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            form.add_error("label", error)
        else:
            form = GateTokenForm()
    context = {
        "form": form,
        "secret": secret,
        "tokens": gate.tokens_of(company),
        "endpoint": request.build_absolute_uri(reverse("safeguarding:gate", kwargs={"sha256": "0" * 64})),
    }
    return TemplateResponse(request, "safeguarding/tokens.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def token_revoke(request: MemberRequest, token_id: int) -> HttpResponse:
    company = _company(request)
    token = get_object_or_404(GateToken.objects.in_org(company), pk=token_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Revoke the token %(label)s?") % {"label": token.label},
            consequence=_(
                "The system using it can no longer ask the publish gate until it is given a new token: files it "
                "checks are refused meanwhile. Reviews and their decisions do not change."
            ),
            button=_("Revoke the token"),
            back=reverse("safeguarding:tokens"),
        )
    gate.token_revoke(membership=request.membership, token=token)
    messages.success(request, _("The token %(label)s is revoked.") % {"label": token.label})
    return redirect("safeguarding:tokens")
