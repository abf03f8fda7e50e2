"""The money pillar's pages. The program admin's: the program's funds and grants (``home``), a fund with its
receipts and grants, a grant with its budget and commitment and what can be done with it, and the money rules.
Views read through ``selectors`` and write through ``services``; an invalid form comes back with its errors (422,
swapped in by htmx like a success)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import confirm
from haven.core.forms import errors_to_form
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.programs.selectors import programs_visible_to

from . import selectors, services, views_payments
from .forms import ApproveForm, CloseForm, FundForm, GrantFilterForm, GrantForm, MoneyRulesForm, ReceiptForm
from .models import Grant, GrantStatus

PROGRAM_ADMIN = Role.PROGRAM_ADMIN
GRANTS_PER_PAGE = 50


def _program(request: MemberRequest) -> Program:
    return selectors.program_shown(request.membership, request.GET.get("program", ""))


def _invalid(form_errors: bool) -> int:
    return 422 if form_errors else 200


def _done(request: MemberRequest, url: str) -> HttpResponse:
    """After a form's success, the page it leads to. The money forms are plain forms: an error answers 422 with the
    whole page and what was typed, and a success goes on to the next page."""
    return redirect(url)


@require_GET
@role_required(PROGRAM_ADMIN)
def home(request: MemberRequest) -> HttpResponse:
    """The program's funds with their position, and its grants, filtered by status, ``GRANTS_PER_PAGE`` a page."""
    program = _program(request)
    form = GrantFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    funds = list(selectors.funds_of_program(program))
    grants = selectors.grants_of_program(program, status=status)
    page = Paginator(grants, GRANTS_PER_PAGE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    context = {
        "program": program,
        "programs": programs_visible_to(request.membership).order_by("-starts_on"),
        "positions": selectors.fund_positions(funds),
        "grants": page.object_list,
        "page": page,
        "form": form,
        "status": status,
    }
    return TemplateResponse(request, "grants/home.html", context)


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def fund_create(request: MemberRequest) -> HttpResponse:
    program = _program(request)
    form = FundForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            fund = services.fund_create(
                actor=request.user,
                program=program,
                funder=form.cleaned_data["funder"],
                name=form.cleaned_data["name"],
                amount=form.amount_money(),
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The fund was created with its pledge."))
            return _done(request, reverse("grants:fund", args=[fund.pk]))
    context = {"program": program, "form": form}
    return TemplateResponse(request, "grants/fund_form.html", context, status=_invalid(bool(form.errors)))


@require_GET
@role_required(PROGRAM_ADMIN)
def fund_detail(request: MemberRequest, fund_id: int) -> HttpResponse:
    fund = selectors.access_fund(membership=request.membership, fund_id=fund_id)
    (position,) = selectors.fund_positions([fund])
    context = {
        "fund": fund,
        "position": position,
        "receipts": selectors.receipts_of(fund),
        "grants": selectors.grants_of_program(fund.program).filter(fund=fund),
    }
    return TemplateResponse(request, "grants/fund.html", context)


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def receipt_create(request: MemberRequest, fund_id: int) -> HttpResponse:
    fund = selectors.access_fund(membership=request.membership, fund_id=fund_id)
    currency = selectors.money_rules_of(fund.program).currency
    form = ReceiptForm(request.POST or None, fund=fund, arrived_currency=currency)
    if request.method == "POST" and form.is_valid():
        try:
            services.receipt_record(
                actor=request.user,
                fund=fund,
                received_on=form.cleaned_data["received_on"],
                sent=form.sent_money(),
                arrived=form.arrived_money(),
                reference=form.cleaned_data["reference"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The receipt was recorded."))
            return _done(request, reverse("grants:fund", args=[fund.pk]))
    context = {"fund": fund, "form": form}
    return TemplateResponse(request, "grants/receipt_form.html", context, status=_invalid(bool(form.errors)))


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def grant_edit(request: MemberRequest, grant_id: int | None = None) -> HttpResponse:
    """Draft a grant, or change a draft: its grantee, purpose, amount, period and budget by category."""
    grant = selectors.access_grant(membership=request.membership, grant_id=grant_id) if grant_id else None
    if grant is not None and grant.status != GrantStatus.DRAFT:
        messages.error(request, _("Only a draft grant can be changed."))
        return redirect("grants:grant", grant_id=grant.pk)
    program = grant.fund.program if grant else _program(request)
    today = timezone.localdate()
    form = GrantForm(request.POST or None, program=program, grant=grant, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.grant_save(
                actor=request.user,
                fund=form.cleaned_data["fund"],
                grant=grant,
                grantee=form.cleaned_data["grantee"],
                purpose=form.cleaned_data["purpose"],
                amount=form.amount_money(),
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                budget=form.budget(),
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The draft grant was saved."))
            return _done(request, reverse("grants:grant", args=[grant.pk]))
    context = {"program": program, "grant": grant, "form": form}
    return TemplateResponse(request, "grants/grant_form.html", context, status=_invalid(bool(form.errors)))


def _grant_page(request: MemberRequest, grant: Grant, *, day_form: ApproveForm | None = None) -> TemplateResponse:
    today = timezone.localdate()
    # The budget and the payments are read once for the page's three sections.
    payments = views_payments.section_context(request, grant)
    budget = selectors.budget_of(grant)
    context = {
        # The sections below the grant's own: its tranches and payments (with what the exchange did) and its reports.
        **payments,
        **selectors.grant_reports_section(grant, today, budget=budget, paid=payments["section"].paid),
        "grant": grant,
        "summary": selectors.grant_summary(grant, budget=budget),
        "day_form": day_form or ApproveForm(initial={"on": today}),
        "statuses": GrantStatus,
    }
    return TemplateResponse(request, "grants/grant.html", context, status=422 if day_form else 200)


@require_GET
@role_required(PROGRAM_ADMIN)
def grant_detail(request: MemberRequest, grant_id: int) -> HttpResponse:
    grant = selectors.access_grant(membership=request.membership, grant_id=grant_id)
    return _grant_page(request, grant)


@require_POST
@role_required(PROGRAM_ADMIN)
def grant_approve(request: MemberRequest, grant_id: int) -> HttpResponse:
    """Approve a draft: its amount is committed from the fund at the euro reference rate of the day given."""
    grant = selectors.access_grant(membership=request.membership, grant_id=grant_id)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            services.grant_approve(actor=request.user, grant=grant, on=form.cleaned_data["on"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The grant was approved and its amount committed from the fund."))
            return _done(request, reverse("grants:grant", args=[grant.pk]))
    return _grant_page(request, grant, day_form=form)


@require_POST
@role_required(PROGRAM_ADMIN)
def grant_activate(request: MemberRequest, grant_id: int) -> HttpResponse:
    grant = selectors.access_grant(membership=request.membership, grant_id=grant_id)
    try:
        services.grant_activate(actor=request.user, grant=grant)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The grant has started."))
    return redirect("grants:grant", grant_id=grant.pk)


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def grant_close(request: MemberRequest, grant_id: int) -> HttpResponse:
    """Closing is final: what the grant leaves unpaid goes back to its fund. Asked first, with the day."""
    grant = selectors.access_grant(membership=request.membership, grant_id=grant_id)
    # The button on the grant page only asks: its POST shows the question, with the day to fill in.
    asking = not confirm.confirmed(request)
    form = CloseForm(None if asking else request.POST, initial={"on": timezone.localdate()})
    if not asking and form.is_valid():
        try:
            services.grant_close(actor=request.user, grant=grant, on=form.cleaned_data["on"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The grant was closed; what it left unpaid went back to its fund."))
            return redirect("grants:grant", grant_id=grant.pk)
    names = {"purpose": grant.purpose, "grantee": grant.organization.name}
    return confirm.ask(
        request,
        title=_("Close the grant “%(purpose)s” to %(grantee)s?") % names,
        consequence=_(
            "The grant ends for good: nothing more can be paid on it, and what it has not paid goes back to its "
            "fund, at the rate it was committed at."
        ),
        button=_("Close the grant"),
        back=reverse("grants:grant", args=[grant.pk]),
        form=form,
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(PROGRAM_ADMIN)
def rules(request: MemberRequest) -> HttpResponse:
    """The program's money rules: the second-approval threshold of payments and the report reminder days."""
    program = _program(request)
    current = selectors.money_rules_of(program)
    form = MoneyRulesForm(request.POST or None, rules=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.money_rules_save(
                actor=request.user,
                program=program,
                second_approval_above=form.threshold(),
                reminder_days=form.cleaned_data["reminder_days"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The money rules were saved."))
            return _done(request, f"{reverse('grants:rules')}?program={program.pk}")
    context = {"program": program, "form": form}
    return TemplateResponse(request, "grants/rules.html", context, status=_invalid(bool(form.errors)))
