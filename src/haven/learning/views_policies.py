"""Policies: the company's org admin writes and publishes versions; each learner reads and attests them."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import markdown, policies, selectors
from .models import Attestation, Policy, PolicyVersion


def learning_company(request: MemberRequest) -> Organization:
    """The corporate partner whose learning admin is signed in (another kind of organization: 404)."""
    organization = request.membership.organization
    if organization.kind != OrganizationKind.CORPORATE_PARTNER:
        raise Http404
    return organization


class PolicyForm(forms.Form):
    slug = forms.SlugField(label=gettext_lazy("Code"), max_length=80)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200)
    title_fr = forms.CharField(label=gettext_lazy("Title (French)"), max_length=200, required=False)


class VersionForm(forms.Form):
    body_en = forms.CharField(label=gettext_lazy("Text (English, Markdown)"), widget=forms.Textarea)
    body_fr = forms.CharField(label=gettext_lazy("Text (French, Markdown)"), widget=forms.Textarea, required=False)
    attest_within_days = forms.IntegerField(label=gettext_lazy("Days to attest"), min_value=1, max_value=365)


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def policy_list(request: MemberRequest) -> HttpResponse:
    company = learning_company(request)
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = policies.policy_create(actor=request.user, company=company, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("slug", error)
        else:
            return redirect("learning:policy", policy_id=policy.pk)
    current = {version.policy_id: version for version in policies.current_versions(company)}
    rows = [{"policy": policy, "current": current.get(policy.pk)} for policy in Policy.objects.in_org(company)]
    return TemplateResponse(
        request, "learning/policies.html", {"rows": rows, "form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def policy_detail(request: MemberRequest, policy_id: int) -> HttpResponse:
    company = learning_company(request)
    policy = get_object_or_404(Policy.objects.in_org(company), pk=policy_id)
    form = VersionForm(request.POST or None, initial={"attest_within_days": 30})
    if request.method == "POST" and form.is_valid():
        policies.version_save(actor=request.user, policy=policy, **form.cleaned_data)
        messages.success(request, _("Version written. Publish it when it is ready."))
        return redirect("learning:policy", policy_id=policy.pk)
    versions = list(PolicyVersion.objects.in_org(company).filter(policy=policy))
    attested = dict(
        Attestation.objects.in_org(company)
        .filter(version__policy=policy)
        .values("version_id")
        .annotate(n=Count("pk"))
        .values_list("version_id", "n")
    )
    context: dict[str, Any] = {
        "policy": policy,
        "versions": [
            {"version": v, "attested": attested.get(v.pk, 0), "due_on": policies.attest_by(v)} for v in versions
        ],
        "form": form,
    }
    return TemplateResponse(request, "learning/policy.html", context, status=400 if form.errors else 200)


@require_POST
@role_required(Role.ORG_ADMIN)
def policy_publish(request: MemberRequest, version_id: int) -> HttpResponse:
    company = learning_company(request)
    version = get_object_or_404(PolicyVersion.objects.in_org(company), pk=version_id)
    policies.version_publish(actor=request.user, version=version)
    messages.success(request, _("Published: every member of staff is asked to attest it."))
    return redirect("learning:policy", policy_id=version.policy_id)


@require_http_methods(["GET", "POST"])
@role_required(Role.LEARNER)
def attest(request: MemberRequest, version_id: int) -> HttpResponse:
    """The learner reads the policy and ticks that they have read and accept it."""
    staff = selectors.staff_of(request.membership)
    if staff is None:
        raise Http404
    version = get_object_or_404(
        PolicyVersion.objects.in_org(staff.organization_id).filter(published_at__isnull=False).select_related("policy"),
        pk=version_id,
    )
    done = Attestation.objects.in_org(staff.organization_id).filter(staff=staff, version=version).first()
    error = ""
    if request.method == "POST" and done is None:
        if request.POST.get("accept") == "yes":
            policies.attest(staff=staff, version=version)
            messages.success(request, _("Thank you: your attestation is recorded."))
            return redirect("learning:attest", version_id=version.pk)
        error = _("Tick the box to say you have read and accept the policy.")
    context = {
        "version": version,
        "body": markdown.render(version.body),
        "done": done,
        "due_on": policies.attest_by(version),
        "error": error,
    }
    return TemplateResponse(request, "learning/attest.html", context, status=400 if error else 200)
