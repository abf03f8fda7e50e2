"""The organization's webhooks, for its org admin or program admin: subscribe (the secret shown once), pause or
resume, delete (asks first), and the delivery log."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from haven.core import confirm
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import webhooks
from .models import WebhookEndpoint, WebhookEvent

ADMINS = (Role.ORG_ADMIN, Role.PROGRAM_ADMIN)


class EndpointForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=120,
        help_text=gettext_lazy("Which system receives the events, such as “Case system”."),
    )
    url = forms.CharField(
        label=gettext_lazy("Receiving address"),
        max_length=500,
        help_text=gettext_lazy("Where Haven posts each event: an https:// address of your system."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )


@require_http_methods(["GET", "POST"])
@role_required(*ADMINS)
def endpoints(request: MemberRequest) -> HttpResponse:
    """The subscriptions and the delivery log; a new subscription's secret is shown once, on the answer."""
    organization_id = request.membership.organization_id
    form = EndpointForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _endpoint, secret = webhooks.endpoint_create(membership=request.membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = EndpointForm()
    context = {
        "form": form,
        "secret": secret,
        "endpoints": webhooks.endpoints_of(organization_id),
        "deliveries": webhooks.deliveries_of(organization_id),
    }
    return TemplateResponse(request, "api/webhooks.html", context, status=400 if form.errors else 200)


def _endpoint(request: MemberRequest, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects.in_org(request.membership.organization_id), pk=endpoint_id)


@require_POST
@role_required(*ADMINS)
def endpoint_pause(request: MemberRequest, endpoint_id: int) -> HttpResponse:
    """Pause a subscription, or resume it (``active=yes``)."""
    endpoint = _endpoint(request, endpoint_id)
    active = request.POST.get("active") == "yes"
    webhooks.endpoint_pause(membership=request.membership, endpoint=endpoint, active=active)
    if active:
        messages.success(request, _("%(label)s receives events again.") % {"label": endpoint.label})
    else:
        messages.success(request, _("%(label)s is paused.") % {"label": endpoint.label})
    return redirect("webhooks:list")


@require_http_methods(["GET", "POST"])
@role_required(*ADMINS)
def endpoint_delete(request: MemberRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Delete the subscription %(label)s?") % {"label": endpoint.label},
            consequence=_(
                "Haven stops sending events to %(url)s, and its delivery log is deleted with it. Deliveries "
                "still waiting are not sent."
            )
            % {"url": endpoint.url},
            button=_("Delete the subscription"),
            back=reverse("webhooks:list"),
        )
    label = endpoint.label
    webhooks.endpoint_delete(membership=request.membership, endpoint=endpoint)
    messages.success(request, _("The subscription %(label)s is deleted.") % {"label": label})
    return redirect("webhooks:list")
