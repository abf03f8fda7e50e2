"""Grantee reports' pages: the grantee's org admin sees and reports on its own grants (``/grants/ours/``); the
program admin schedules and reviews them (``/grants/reports/``)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core import staging, tabular
from haven.core.forms import errors_to_form
from haven.core.money import Money
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role
from haven.reporting import selectors as reporting
from haven.reporting.selectors import program_shown

from . import report_import, selectors, services
from .models import BudgetCategory, BudgetLine, GrantReport, ReportKind, ReportStatus
from .report_forms import ExpenseImportForm, FinancialReportForm, NarrativeReportForm, ReportScheduleForm, ReviewForm

STAGING = "grant-report"

# -- The grantee's side ------------------------------------------------------------------------------------------


@require_GET
@role_required(Role.ORG_ADMIN)
def mine(request: MemberRequest) -> HttpResponse:
    today = timezone.now().date()
    standings = selectors.grant_standings(selectors.grants_of_grantee(request.membership), today)
    return TemplateResponse(request, "grants/ours.html", {"standings": standings, "today": today})


@require_GET
@role_required(Role.ORG_ADMIN)
def our_grant(request: MemberRequest, grant_id: int) -> HttpResponse:
    today = timezone.now().date()
    grant = selectors.access_our_grant(membership=request.membership, grant_id=grant_id)
    (standing,) = selectors.grant_standings([grant], today)
    return TemplateResponse(request, "grants/our_grant.html", {"standing": standing, "today": today})


def _categories(report: GrantReport) -> list[str]:
    budgeted = set(
        BudgetLine.objects.in_org(report.organization_id).filter(grant=report.grant).values_list("category", flat=True)
    )
    return [category for category in BudgetCategory.values if category in budgeted]


def _report_form(request: MemberRequest, report: GrantReport) -> FinancialReportForm | NarrativeReportForm:
    data = request.POST if request.method == "POST" else None
    if report.kind == ReportKind.NARRATIVE:
        return NarrativeReportForm(data, initial={"narrative": report.narrative})
    lines = selectors.report_lines(report)
    initial: dict[str, Any] = {c: Money(m, report.grant.currency).amount for c, m in lines.items()}
    initial["narrative"] = report.narrative
    return FinancialReportForm(data, initial=initial, categories=_categories(report), currency=report.grant.currency)


def _report_context(request: MemberRequest, report: GrantReport, **extra: Any) -> dict[str, Any]:
    today = timezone.now().date()
    standing, lines = selectors.report_review(report, today)
    figures = None
    if report.kind == ReportKind.NARRATIVE:
        figures = reporting.grantee_figures(
            report.grant.fund.program, report.grant.organization, report.period_start, report.period_end
        )
    return {
        "report": report,
        "standing": standing,
        "lines": [
            (row, Money(lines[row.category], report.grant.currency) if row.category in lines else None)
            for row in standing.rows
        ],
        "figures": figures,
        "late": selectors.is_late(report, today),
        "open": report.status in selectors.OPEN_REPORTS,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def our_report(request: MemberRequest, report_id: int) -> HttpResponse:
    """A report of the grantee's: typed in and submitted while due or sent back, read once submitted."""
    report = selectors.access_our_report(membership=request.membership, report_id=report_id)
    form = _report_form(request, report)
    if request.method == "POST" and report.status in selectors.OPEN_REPORTS and form.is_valid():
        try:
            if isinstance(form, FinancialReportForm):
                services.report_submit(
                    actor=request.user,
                    report=report,
                    expenses=form.expenses(),
                    narrative=form.cleaned_data["narrative"],
                )
            else:
                services.report_submit(actor=request.user, report=report, narrative=form.cleaned_data["narrative"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Report submitted: the program admin reviews it."))
            return redirect("grants:our_grant", grant_id=report.grant_id)
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(
        request, "grants/our_report.html", _report_context(request, report, form=form), status=status
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ORG_ADMIN)
def our_report_import(request: MemberRequest, report_id: int) -> HttpResponse:
    """A financial report from the grantee's file: upload, then a dry run showing every row; nothing is submitted
    until confirmed (``our_report_import_confirm``). The file itself is not kept."""
    report = selectors.access_our_report(membership=request.membership, report_id=report_id)
    if report.kind != ReportKind.FINANCIAL or report.status not in selectors.OPEN_REPORTS:
        return redirect("grants:our_report", report_id=report.pk)
    form = ExpenseImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"report": report, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = tabular.read_table(upload)
        except tabular.TableError as error:
            form.add_error("file", str(error))
        else:
            rows = report_import.rows_of(table)
            plan = report_import.plan(rows=rows, budgeted=set(_categories(report)), currency=report.grant.currency)
            payload = staging.stage(
                purpose=STAGING, user_id=request.user.pk, scope=report.pk, name=upload.name, lines=plan.lines
            )
            context |= {"plan": plan, "payload": None if plan.has_errors else payload, "file_name": upload.name}
            context["lines"] = [
                (BudgetCategory(category).label, Money(plan.lines[category], report.grant.currency))
                for category in _categories(report)
                if category in plan.lines
            ]
            return TemplateResponse(request, "grants/our_report_import.html", context)
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "grants/our_report_import.html", context, status=status)


@require_POST
@role_required(Role.ORG_ADMIN)
def our_report_import_confirm(request: MemberRequest, report_id: int) -> HttpResponse:
    """Submit the report with the lines the dry run showed, carried signed (``core.staging``)."""
    report = selectors.access_our_report(membership=request.membership, report_id=report_id)
    try:
        data = staging.unstage(
            request.POST.get("payload", ""), purpose=STAGING, user_id=request.user.pk, scope=report.pk
        )
    except staging.Expired:
        messages.error(request, _("This import expired or was altered. Upload the file again."))
        return redirect("grants:our_report_import", report_id=report.pk)
    expenses = {category: Money(minor, report.grant.currency) for category, minor in data["lines"].items()}
    try:
        services.report_submit(actor=request.user, report=report, expenses=expenses)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("grants:our_report", report_id=report.pk)
    messages.success(
        request, _("Report submitted from %(name)s: the program admin reviews it.") % {"name": data["name"]}
    )
    return redirect("grants:our_grant", grant_id=report.grant_id)


# -- The program admin's side ------------------------------------------------------------------------------------


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def reports(request: MemberRequest) -> HttpResponse:
    today = timezone.now().date()
    program = program_shown(request.membership, request.GET.get("program", ""))
    board = selectors.program_reports(program, today)
    return TemplateResponse(request, "grants/reports.html", {"program": program, "board": board, "today": today})


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def report(request: MemberRequest, report_id: int) -> HttpResponse:
    """A grantee's report to review: its lines against the budget, lines it would take over budget flagged, then
    accept it or send it back with a note."""
    found = selectors.access_report_to_review(membership=request.membership, report_id=report_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and found.status == ReportStatus.SUBMITTED and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.report_accept(actor=request.user, report=found)
                messages.success(request, _("Report accepted."))
            else:
                services.report_return(actor=request.user, report=found, note=form.cleaned_data["note"])
                messages.success(request, _("Report sent back to the grantee."))
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return redirect("grants:reports")
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "grants/report.html", _report_context(request, found, form=form), status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def report_schedule(request: MemberRequest, grant_id: int) -> HttpResponse:
    grant = selectors.access_grant_to_review(membership=request.membership, grant_id=grant_id)
    form = ReportScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scheduled = services.reports_schedule(actor=request.user, grant=grant, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("%(count)d reports scheduled.") % {"count": len(scheduled)})
            return redirect("grants:reports")
    section = selectors.grant_reports_section(grant, timezone.now().date())
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(
        request, "grants/report_schedule.html", {"grant": grant, "form": form, **section}, status=status
    )
