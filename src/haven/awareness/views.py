"""The awareness pages. A company's campaigns, links and results are its creative team's and its org admin's (404
for anyone else, as for a campaign that does not exist); the program admin keeps the calendar of awareness events
and sees every campaign of the program, read-only. Views read through ``selectors`` and write through ``services``
and ``imports``; a refusal re-renders the page with its reason."""

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm, staging, tabular
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import imports, selectors, services
from .forms import CampaignForm, EventForm, LinkForm, ResultsImportForm
from .models import Campaign

runs_campaigns = role_required(*services.RUNS_CAMPAIGNS)  # and a corporate partner's: ``_company``
program_admin = role_required(Role.PROGRAM_ADMIN)
STAGING = "awareness_results"


def _company(request: MemberRequest) -> Organization:
    company = request.membership.organization
    if company.kind != OrganizationKind.CORPORATE_PARTNER:
        raise Http404
    return company


def _campaign(request: MemberRequest, campaign_id: int) -> Campaign:
    return selectors.access_campaign(company=_company(request), campaign_id=campaign_id)


def _status(form: Any) -> int:
    return 400 if form.errors else 200


@require_GET
@runs_campaigns
def campaigns(request: MemberRequest) -> HttpResponse:
    rows = selectors.campaigns_of(_company(request))
    return TemplateResponse(request, "awareness/campaigns.html", {"campaigns": rows})


@require_http_methods(["GET", "POST"])
@runs_campaigns
def campaign_edit(request: MemberRequest, campaign_id: int | None = None) -> HttpResponse:
    company = _company(request)
    campaign = _campaign(request, campaign_id) if campaign_id else None
    reviews = selectors.review_choices(company, campaign)
    form = CampaignForm(request.POST or None, reviews=reviews, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_save(
                membership=request.membership, company=company, fields=form.fields_of(), campaign=campaign
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return redirect("awareness:campaign", campaign_id=campaign.pk)
    context = {"form": form, "campaign": campaign, "has_reviews": bool(reviews)}
    return TemplateResponse(request, "awareness/campaign_form.html", context, status=_status(form))


def _campaign_context(campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "review": selectors.review_of(campaign),
        "needs": selectors.go_live_needs(campaign),
        "links": selectors.links_of(campaign),
        "channels": selectors.channel_names(campaign.channels),
        "results": selectors.results_of(campaign),
        "event_name": selectors.event_name(campaign.event) if campaign.event else "",
    }


@require_GET
@runs_campaigns
def campaign(request: MemberRequest, campaign_id: int) -> HttpResponse:
    context = {**_campaign_context(_campaign(request, campaign_id)), "read_only": False}
    return TemplateResponse(request, "awareness/campaign.html", context)


@require_http_methods(["GET", "POST"])
@runs_campaigns
def campaign_go_live(request: MemberRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    back = reverse("awareness:campaign", kwargs={"campaign_id": campaign.pk})
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            title=_("Put %(name)s live?") % {"name": campaign.name},
            consequence=_(
                "The campaign is marked live from now: its message, period and review can still be changed, and it "
                "can be ended or cancelled later."
            ),
            button=_("Go live"),
            back=back,
        )
    try:
        services.campaign_go_live(membership=request.membership, campaign=campaign)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is live.") % {"name": campaign.name})
    return redirect(back)


def _end(request: MemberRequest, campaign_id: int, *, cancelled: bool) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    back = reverse("awareness:campaign", kwargs={"campaign_id": campaign.pk})
    if not confirm.confirmed(request):
        if cancelled:
            title = _("Cancel %(name)s?") % {"name": campaign.name}
            consequence = _("The campaign is marked cancelled: it will not run. Its links and results are kept.")
            button = _("Cancel the campaign")
        else:
            title = _("End %(name)s?") % {"name": campaign.name}
            consequence = _(
                "The campaign is marked ended: it cannot go live again. Its links and results are kept, and results "
                "can still be imported."
            )
            button = _("End the campaign")
        return confirm.ask(request, title=title, consequence=consequence, button=button, back=back)
    services.campaign_end(membership=request.membership, campaign=campaign, cancelled=cancelled)
    if cancelled:
        messages.success(request, _("%(name)s is cancelled.") % {"name": campaign.name})
    else:
        messages.success(request, _("%(name)s has ended.") % {"name": campaign.name})
    return redirect(back)


@require_http_methods(["GET", "POST"])
@runs_campaigns
def campaign_end(request: MemberRequest, campaign_id: int) -> HttpResponse:
    return _end(request, campaign_id, cancelled=False)


@require_http_methods(["GET", "POST"])
@runs_campaigns
def campaign_cancel(request: MemberRequest, campaign_id: int) -> HttpResponse:
    return _end(request, campaign_id, cancelled=True)


@require_http_methods(["GET", "POST"])
@runs_campaigns
def campaign_links(request: MemberRequest, campaign_id: int) -> HttpResponse:
    """The campaign's tracked links, and a form that builds one from a destination."""
    campaign = _campaign(request, campaign_id)
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.links_add(
                membership=request.membership,
                campaign=campaign,
                destination=data["destination"],
                pairs=[(data["source"], data["medium"], data["content"], data["term"])],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The tracked link is ready to copy."))
            return redirect("awareness:campaign_links", campaign_id=campaign.pk)
    context = {"campaign": campaign, "form": form, "links": selectors.links_of(campaign)}
    return TemplateResponse(request, "awareness/links.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@runs_campaigns
def results_import(request: MemberRequest, campaign_id: int) -> HttpResponse:
    """Upload, then a dry run: every row's outcome, nothing written. The file is read in memory only."""
    campaign = _campaign(request, campaign_id)
    form = ResultsImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = tabular.read_table(upload)
        except tabular.TableError as error:
            form.add_error("file", str(error))
        else:
            source = form.cleaned_data["source"]
            if source == imports.DETECT:
                source = imports.detect(table.header)
            if source is None:
                form.add_error("source", _("The columns are not those of an export Haven knows: say where it is from."))
            else:
                rows = imports.rows_of(table, source)
                del table
                plan = imports.plan(
                    campaign=campaign,
                    rows=rows,
                    source_key=source,
                    date_order=form.cleaned_data["date_order"] or None,
                    country=form.cleaned_data["country"],
                )
                payload = (
                    None
                    if plan.has_errors
                    else staging.stage(
                        purpose=STAGING,
                        user_id=request.user.pk,
                        scope=campaign.pk,
                        name=upload.name,
                        rows=plan.rows(),
                    )
                )
                context = {
                    "campaign": campaign,
                    "plan": plan,
                    "payload": payload,
                    "file_name": upload.name,
                    "source": imports.SOURCES[source].label,
                    "counts": plan.counts(),
                }
                return TemplateResponse(request, "awareness/results_review.html", context)
    context = {"campaign": campaign, "form": form, "sources": imports.SOURCES}
    return TemplateResponse(request, "awareness/results_import.html", context, status=_status(form))


@require_POST
@runs_campaigns
def results_import_confirm(request: MemberRequest, campaign_id: int) -> HttpResponse:
    """Apply what the dry run showed, in one transaction."""
    campaign = _campaign(request, campaign_id)
    try:
        data = staging.unstage(
            request.POST.get("payload", ""), purpose=STAGING, user_id=request.user.pk, scope=campaign.pk
        )
    except staging.Expired:
        messages.error(request, _("This import expired or was altered. Upload the file again."))
        return redirect("awareness:results_import", campaign_id=campaign.pk)
    counts = imports.apply(membership=request.membership, campaign=campaign, rows=data["rows"])
    messages.success(
        request,
        _("Imported %(name)s: %(added)d periods added, %(replaced)d replaced.") % {"name": data["name"], **counts},
    )
    return redirect("awareness:campaign", campaign_id=campaign.pk)


@require_GET
@runs_campaigns
def results_template(request: MemberRequest) -> HttpResponse:
    """Haven's own results template: its header and one example row."""
    _company(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(imports.TEMPLATE_HEADER)
    writer.writerow(imports.TEMPLATE_EXAMPLE)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="campaign-results.csv"'
    return response


@require_GET
@role_required(*services.RUNS_CAMPAIGNS, Role.PROGRAM_ADMIN)
def events(request: MemberRequest) -> HttpResponse:
    """The awareness calendar: the creative team plans around it, the program admin keeps it."""
    is_admin = request.membership.role == Role.PROGRAM_ADMIN
    if not is_admin:
        _company(request)
    context = {"rows": selectors.calendar(timezone.localdate()), "may_edit": is_admin}
    return TemplateResponse(request, "awareness/events.html", context)


@require_http_methods(["GET", "POST"])
@program_admin
def event_edit(request: MemberRequest, event_id: int | None = None) -> HttpResponse:
    event = selectors.access_event(event_id) if event_id else None
    form = EventForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_save(membership=request.membership, fields=form.fields_of(), event=event)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The calendar is saved."))
            return redirect("awareness:events")
    return TemplateResponse(request, "awareness/event_form.html", {"form": form, "event": event}, status=_status(form))


@require_GET
@program_admin
def program_campaigns(request: MemberRequest) -> HttpResponse:
    rows = selectors.program_campaigns(request.membership).order_by("-starts_on", "organization__name", "name")
    return TemplateResponse(request, "awareness/program.html", {"campaigns": rows})


@require_GET
@program_admin
def program_campaign(request: MemberRequest, campaign_id: int) -> HttpResponse:
    found = selectors.access_program_campaign(membership=request.membership, campaign_id=campaign_id)
    context = {**_campaign_context(found), "read_only": True}
    return TemplateResponse(request, "awareness/campaign.html", context)
