import csv
import io
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from haven.care import selectors as care_selectors
from haven.core import pdf
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.programs.selectors import programs_visible_to
from haven.training import selectors as training_selectors

from . import charts, figures, forecasting, money, selectors, services, tables
from .forms import FiltersForm, ReportForm, WhatIfForm

FUNDER_AUDIENCE = (Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER)


def _program(request: MemberRequest) -> Program:
    """The program the page is about: ``?program=`` among those the user may see, else the newest."""
    return selectors.program_shown(request.membership, request.GET.get("program", ""))


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def dashboard(request: MemberRequest) -> HttpResponse:
    """The program staff's figures, unsuppressed: targets, workforce, reach, engagement, outcomes, fidelity."""
    program = _program(request)
    form = FiltersForm(request.GET or None, program=program)
    filters = form.filters() if form.is_valid() else figures.Filters()
    today = timezone.now().date()
    work = figures.workforce(program, filters, today=today)
    reached = figures.care(program, filters, today=today)
    # Targets are about the whole program, whatever the filters.
    whole = figures.Filters()
    totals = (
        (work, reached)
        if filters.is_whole_program
        else (figures.workforce(program, whole, today=today), figures.care(program, whole, today=today))
    )
    progress = figures.progress(program, *totals)
    series = figures.series(*totals)
    return TemplateResponse(
        request,
        "reporting/dashboard.html",
        {
            "program": program,
            "form": form,
            "filters": filters,
            "work": work,
            "care": reached,
            "progress": progress,
            "series": series,
            "chart_progress": charts.progress_data(series, progress),
            "chart_states": charts.states_data(reached),
            **_professional(program),
        },
    )


def _professional(program: Program) -> dict[str, Any]:
    """The creative reviews and awareness campaigns of the program's companies, whole program to date, exact."""
    reached = figures.awareness(program)
    return {
        "reviews": figures.reviews_today(program),
        "awareness": reached,
        "awareness_tables": [
            ("campaigns", _("By campaign"), [(name, r) for _pk, name, r in reached.by_campaign]),
            ("months", _("By month"), [(month.strftime("%Y-%m"), r) for month, r in reached.by_month]),
            ("countries", _("By country"), [(code or _("Not given"), r) for code, r in reached.by_country]),
        ],
    }


def _funder_report(program: Program) -> tables.FunderReport | None:
    """The funder's protected figures as of the last closed quarter (None before the first one ends)."""
    quarter = tables.last_closed_quarter(program, timezone.now().date())
    return tables.funder_report(program, quarter) if quarter else None


@require_GET
@role_required(*FUNDER_AUDIENCE)
def funder(request: MemberRequest) -> HttpResponse:
    """The funder's dashboard: the program's figures after disclosure control, as of the last closed quarter."""
    program = _program(request)
    report = _funder_report(program)
    return TemplateResponse(
        request,
        "reporting/funder.html",
        {
            "program": program,
            "report": report,
            "programs": programs_visible_to(request.membership).order_by("-starts_on"),
            "chart_quarters": charts.quarters_data(report) if report else None,
            "reports": selectors.reports_of(program, ready=True)[:12],
        },
    )


@require_GET
@role_required(Role.ORG_ADMIN)
def state(request: MemberRequest) -> HttpResponse:
    """An org admin's state (a state chapter's home; a CAC admin sees their own CAC in it): the CACs they oversee
    with their clinicians on the path, and the state's figures as the funder sees them, from the last released
    quarter (children's counts protected, clinicians' exact)."""
    membership = request.membership
    program = training_selectors.program_for(membership)
    if program is None:
        raise Http404
    enrollments = training_selectors.enrollments_visible_to(membership).filter(program=program)
    paths = training_selectors.kept_program_paths(enrollments, program)
    report = _funder_report(program)
    code = membership.organization.state
    reach = report.table("states") if report else None
    values = next((values for label, values in reach.rows if label == code), None) if reach else None
    return TemplateResponse(
        request,
        "reporting/state.html",
        {
            "program": program,
            "state": code,
            "cacs": training_selectors.cacs_progress(membership, paths),
            "report": report,
            "state_figures": list(zip(reach.columns, values, strict=True)) if reach and values else None,
        },
    )


def _cell_text(value: tables.Value, column: tables.Column) -> Any:
    return "" if value is None else value


@require_GET
@role_required(*FUNDER_AUDIENCE)
def funder_export(request: MemberRequest, fmt: str) -> HttpResponse:
    """The funder's tables as CSV, XLSX or PDF: exactly what the page shows, each download audited."""
    report = _funder_report(_program(request))
    if report is None:
        raise Http404
    name = f"haven-{report.program.pk}-{report.quarter:%Y}-q{(report.quarter.month - 1) // 3 + 1}"
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(tables.flat_rows(report, _cell_text))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            _xlsx(tables.flat_rows(report, _cell_text)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        context = {
            "report": report,
            "narrative": "",
            "money_tables": money.report_money(report, funder_id=_funder_id(request)),
            **charts.pdf_charts(report),
        }
        html = render_to_string("reporting/report_pdf.html", context, request)
        response = HttpResponse(pdf.render_pdf(html), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    selectors.audit_export(membership=request.membership, report=report, fmt=fmt)
    return response


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Figures"))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def reports(request: MemberRequest) -> HttpResponse:
    """Quarterly funder reports: write the narrative, choose the quarter and language; the PDF is made in the
    background."""
    program = _program(request)
    today = timezone.now().date()
    form = ReportForm(request.POST or None, program=program, today=today)
    if request.method == "POST" and form.is_valid():
        services.report_request(
            actor=request.user,
            program=program,
            quarter=form.cleaned_data["quarter"],
            language=form.cleaned_data["language"],
            narrative=form.cleaned_data["narrative"],
        )
        return redirect(f"{request.path}?program={program.pk}")
    return TemplateResponse(
        request,
        "reporting/reports.html",
        {
            "program": program,
            "form": form,
            "reports": selectors.reports_of(program),
        },
    )


@require_GET
@role_required(*FUNDER_AUDIENCE)
def report_download(request: MemberRequest, report_id: int) -> HttpResponse:
    report, content = selectors.access_report(membership=request.membership, report_id=report_id)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="haven-report-{report.quarter:%Y-%m}-{report.language}.pdf"'
    )
    return response


@require_GET
@role_required(Role.PROGRAM_ADMIN, Role.ORG_ADMIN)
def outcomes(request: MemberRequest) -> HttpResponse:
    """Children served, engagement, outcomes and fidelity: the program's, or one CAC's for its admin. The same
    figures as the program dashboard (``figures.care``), from the kept cells."""
    membership = request.membership
    if membership.role == Role.ORG_ADMIN and not care_selectors.sees_children(membership):
        raise Http404
    program = training_selectors.program_for(membership)
    if program is None:
        raise Http404
    cac_id = membership.organization_id if membership.role == Role.ORG_ADMIN else None
    reached = figures.care(program, figures.Filters(), organization_id=cac_id)
    return TemplateResponse(
        request, "reporting/outcomes.html", {"program": program, "care": reached, "for_cac": cac_id is not None}
    )


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def forecast(request: MemberRequest) -> HttpResponse:
    """The probability of reaching each target by the program's end, and what-if scenarios."""
    program = _program(request)
    today = timezone.now().date()
    form = WhatIfForm(request.GET or None, program=program, today=today)
    what_if = form.scenarios() if form.is_valid() else []
    result = forecasting.forecast_program(program, today=today, what_if=what_if)
    return TemplateResponse(
        request,
        "reporting/forecast.html",
        {
            "program": program,
            "form": form,
            "result": result,
            "what_if": what_if,
            "chart_forecast": charts.forecast_data(result) if result else None,
            "backtest": forecasting.backtest_cached(program, today=today) if result else None,
        },
    )


@require_GET
@vary_on_headers()
@cache_control(public=True, max_age=3600)
def impact(request: HttpRequest, language: str = "en", program_id: int | None = None) -> HttpResponse:
    """The public impact page: rounded, protected figures and where to get help. No sign-in; the same page for
    everyone, so any cache may keep it (language is in the address, not a cookie)."""
    programs = Program.objects.dangerously_unscoped()  # public: every program's page is public by design
    program = programs.filter(pk=program_id).first() if program_id else programs.order_by("-starts_on").first()
    if program is None:
        raise Http404
    with translation.override(language):
        # Rendered without the request: no context processor reads the session, so nothing varies by cookie.
        html = render_to_string(
            "reporting/impact.html",
            {"program": program, "public": tables.public_figures(program, timezone.now().date()), "language": language},
        )
    response = HttpResponse(html)
    response["Content-Language"] = language
    return response


# -- Money (decision 27) ------------------------------------------------------------------------------------------


def _funder_id(request: MemberRequest) -> int | None:
    """Whose funds a funder's money page shows: the viewer's own funder's; every fund for the program's staff."""
    return None if request.membership.role == Role.PROGRAM_ADMIN else request.membership.organization_id


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def money_page(request: MemberRequest) -> HttpResponse:
    """The program's money, unsuppressed, as of today: funds, pace, costs per outcome, states, quarters, grants."""
    program = _program(request)
    shown = money.admin_money(program, today=timezone.now().date(), page=request.GET.get("page", "1"))
    return TemplateResponse(
        request,
        "reporting/money.html",
        {"program": program, "money": shown, "tables": shown.tables, "chart_money": money.chart(shown.book)},
    )


def _funder_money(request: MemberRequest, program: Program, *, page: str | None = None) -> money.FunderMoney | None:
    quarter = tables.last_closed_quarter(program, timezone.now().date())
    return money.funder_money(program, quarter, funder_id=_funder_id(request), page=page) if quarter else None


@require_GET
@role_required(*FUNDER_AUDIENCE)
def funder_money(request: MemberRequest) -> HttpResponse:
    """A funder's money as of the last closed quarter: its own funds only, costs per outcome under disclosure."""
    program = _program(request)
    shown = _funder_money(request, program, page=request.GET.get("page", "1"))
    return TemplateResponse(
        request,
        "reporting/funder_money.html",
        {
            "program": program,
            "money": shown,
            "tables": shown.tables if shown else [],
            "programs": programs_visible_to(request.membership).order_by("-starts_on"),
            "chart_money": money.chart(shown.book) if shown else None,
        },
    )


def _money_download(rows: list[list[Any]], fmt: str, name: str) -> HttpResponse:
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            _xlsx(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def money_export(request: MemberRequest, fmt: str) -> HttpResponse:
    """The program admin's money tables as CSV or XLSX: what the money page shows, audited."""
    program = _program(request)
    today = timezone.now().date()
    shown = money.admin_money(program, today=today)
    response = _money_download(money.flat_rows(shown.tables, today), fmt, f"haven-{program.pk}-money-{today}")
    selectors.audit_money_export(membership=request.membership, program=program, as_of=today, fmt=fmt)
    return response


@require_GET
@role_required(*FUNDER_AUDIENCE)
def funder_money_export(request: MemberRequest, fmt: str) -> HttpResponse:
    """A funder's money tables as CSV or XLSX: what its money page shows, audited."""
    program = _program(request)
    shown = _funder_money(request, program)
    if shown is None:
        raise Http404
    until = shown.book.as_of
    name = f"haven-{program.pk}-money-{until:%Y}-q{(until.month - 1) // 3 + 1}"
    response = _money_download(money.flat_rows(shown.tables, until), fmt, name)
    selectors.audit_money_export(membership=request.membership, program=program, as_of=until, fmt=fmt)
    return response
