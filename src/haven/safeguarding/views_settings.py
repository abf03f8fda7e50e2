"""The company's review settings, for its org admin: the turnaround target, when reviewers are reminded, the watch
list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from haven.core.forms import errors_to_form
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import services
from .forms_settings import ReviewSettingsForm, WatchListForm
from .models import WatchTerm
from .views_queue import company_required


@require_http_methods(["GET", "POST"])
@company_required(Role.ORG_ADMIN)
def settings_page(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    company = membership.organization
    current = services.settings_of(company)
    action = request.POST.get("action") if request.method == "POST" else None
    form = ReviewSettingsForm(request.POST if action == "settings" else None, current=current)
    terms = list(WatchTerm.objects.in_org(company).filter(is_active=True).order_by("term"))
    watch = WatchListForm(
        request.POST if action == "watch" else None, initial={"terms": "\n".join(t.term for t in terms)}
    )
    if action == "settings" and form.is_valid():
        try:
            services.review_settings_save(membership=membership, company=company, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The review settings were saved."))
            return redirect("safeguarding:settings")
    if action == "watch" and watch.is_valid():
        kept = services.watch_terms_save(membership=membership, company=company, terms=watch.cleaned_data["terms"])
        messages.success(request, _("The watch list was saved: %(count)s terms.") % {"count": kept})
        return redirect("safeguarding:settings")
    invalid = form.errors or watch.errors or (action not in (None, "settings", "watch"))
    context = {"form": form, "watch": watch, "terms": terms, "current": current}
    return TemplateResponse(request, "safeguarding/settings.html", context, status=422 if invalid else 200)
