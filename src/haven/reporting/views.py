import csv
import io
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from haven.audit import services as audit
from haven.care import selectors as care_selectors
from haven.core.permissions import role_required
from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.programs.selectors import programs_visible_to
from haven.training import selectors as training_selectors

from . import charts, figures, forecasting, pdf, tables
from .forms import FiltersForm, ReportForm, WhatIfForm
from .models import QuarterlyReport, ReportStatus
from .tasks import generate_report

FUNDER_AUDIENCE = (Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER)


def _membership(request: HttpRequest) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    return membership


def _program(request: HttpRequest) -> Program:
    """The program the page is about: ``?program=`` among those the user may see, else the newest."""
    programs = programs_visible_to(_membership(request)).order_by("-starts_on", "pk")
    wanted = request.GET.get("program", "")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        programs = programs.filter(pk=int(wanted))
    program = programs.first()
    if program is None:
        raise Http404
    return program


@require_GET
@role_required(Role.PROGRAM_ADMIN)
def dashboard(request: HttpRequest) -> HttpResponse:
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
        },
    )


def _funder_report(program: Program) -> tables.FunderReport | None:
    """The funder's protected figures as of the last closed quarter (None before the first one ends)."""
    quarter = tables.last_closed_quarter(program, timezone.now().date())
    return tables.funder_report(program, quarter) if quarter else None


@require_GET
@role_required(*FUNDER_AUDIENCE)
def funder(request: HttpRequest) -> HttpResponse:
    """The funder's dashboard: the program's figures after disclosure control, as of the last closed quarter."""
    program = _program(request)
    report = _funder_report(program)
    return TemplateResponse(
        request,
        "reporting/funder.html",
        {
            "program": program,
            "report": report,
            "programs": programs_visible_to(_membership(request)).order_by("-starts_on"),
            "chart_quarters": charts.quarters_data(report) if report else None,
            "reports": QuarterlyReport.objects.in_org(program.organization_id)
            .filter(program=program, status=ReportStatus.READY)
            .defer("pdf")[:12],
        },
    )


def _cell_text(value: tables.Value, column: tables.Column) -> Any:
    return "" if value is None else value


@require_GET
@role_required(*FUNDER_AUDIENCE)
def funder_export(request: HttpRequest, fmt: str) -> HttpResponse:
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
        html = render_to_string(
            "reporting/report_pdf.html", {"report": report, "narrative": "", **charts.pdf_charts(report)}, request
        )
        response = HttpResponse(pdf.render_pdf(html), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    audit.record(
        actor=request.user,
        action="report.export",
        organization=_membership(request).organization_id,
        target=report.program,
        detail={"format": fmt, "quarter": report.quarter.isoformat()},
    )
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
def reports(request: HttpRequest) -> HttpResponse:
    """Quarterly funder reports: write the narrative, choose the quarter and language; the PDF is made in the
    background."""
    program = _program(request)
    today = timezone.now().date()
    form = ReportForm(request.POST or None, program=program, today=today)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            report = QuarterlyReport.objects.create(
                organization_id=program.organization_id,
                program=program,
                quarter=form.cleaned_data["quarter"],
                language=form.cleaned_data["language"],
                narrative=form.cleaned_data["narrative"],
                requested_by=request.user,
            )
            audit.record(
                actor=request.user,
                action="report.request",
                organization=program.organization_id,
                target=report,
                detail={"quarter": report.quarter.isoformat(), "language": report.language},
            )
            transaction.on_commit(lambda: generate_report.enqueue(report.pk))
        return redirect(f"{request.path}?program={program.pk}")
    return TemplateResponse(
        request,
        "reporting/reports.html",
        {
            "program": program,
            "form": form,
            "reports": QuarterlyReport.objects.in_org(program.organization_id)
            .filter(program=program)
            .select_related("requested_by")
            .defer("pdf"),
        },
    )


@require_GET
@role_required(*FUNDER_AUDIENCE)
def report_download(request: HttpRequest, report_id: int) -> HttpResponse:
    programs = programs_visible_to(_membership(request))
    report = (
        QuarterlyReport.objects.in_orgs(programs.values("organization_id"))
        .filter(pk=report_id, program__in=programs, status=ReportStatus.READY)
        .first()
    )
    if report is None or report.pdf is None:
        raise Http404
    audit.record(
        actor=request.user,
        action="report.download",
        organization=_membership(request).organization_id,
        target=report,
        detail={"quarter": report.quarter.isoformat(), "language": report.language},
    )
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="haven-report-{report.quarter:%Y-%m}-{report.language}.pdf"'
    )
    return response


@require_GET
@role_required(Role.PROGRAM_ADMIN, Role.ORG_ADMIN)
def outcomes(request: HttpRequest) -> HttpResponse:
    """Children served, engagement, outcomes and fidelity: the program's, or one CAC's for its admin. The same
    figures as the program dashboard (``figures.care``), from the kept cells."""
    membership = _membership(request)
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
def forecast(request: HttpRequest) -> HttpResponse:
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
