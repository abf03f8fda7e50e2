"""Reporting's reads for its pages: which program a page shows, the quarterly reports, and the audited downloads.

The figures themselves are computed in ``figures`` (program staff), ``tables`` (funders and the public, after
disclosure control), ``outcomes`` (care figures) and ``forecasting``.
"""

from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from haven.audit import services as audit
from haven.organizations.models import Membership
from haven.programs.models import Program
from haven.programs.selectors import programs_visible_to

from .models import QuarterlyReport, ReportStatus
from .tables import FunderReport


def program_shown(membership: Membership, wanted: str = "") -> Program:
    """The program a page is about: ``wanted`` (the ``?program=`` id) among those the membership may see, else the
    newest. 404 when there is none, or the id is not one of them."""
    programs = programs_visible_to(membership).order_by("-starts_on", "pk")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        programs = programs.filter(pk=int(wanted))
    program = programs.first()
    if program is None:
        raise Http404
    return program


def reports_of(program: Program, *, ready: bool = False) -> QuerySet[QuarterlyReport]:
    """The program's quarterly reports, newest request first (the PDF itself left out); only those made when
    ``ready``."""
    reports = QuarterlyReport.objects.in_org(program.organization_id).filter(program=program)
    if ready:
        reports = reports.filter(status=ReportStatus.READY)
    return reports.select_related("requested_by").defer("pdf")


def access_report(*, membership: Membership, report_id: int) -> tuple[QuarterlyReport, bytes]:
    """A made report of a program the membership sees, and its PDF, for download: the download is audited. 404
    otherwise."""
    programs = programs_visible_to(membership)
    report = (
        QuarterlyReport.objects.in_orgs(programs.values("organization_id"))
        .filter(pk=report_id, program__in=programs, status=ReportStatus.READY)
        .first()
    )
    if report is None or report.pdf is None:
        raise Http404
    audit.record(
        actor=membership.user,
        action="report.download",
        organization=membership.organization_id,
        target=report,
        detail={"quarter": report.quarter.isoformat(), "language": report.language},
    )
    return report, bytes(report.pdf)


def audit_export(*, membership: Membership, report: FunderReport, fmt: str) -> None:
    """One audit event for a download of the funder's tables (CSV, XLSX or PDF)."""
    audit.record(
        actor=membership.user,
        action="report.export",
        organization=membership.organization_id,
        target=report.program,
        detail={"format": fmt, "quarter": report.quarter.isoformat()},
    )


def audit_money_export(*, membership: Membership, program: Program, as_of: date, fmt: str) -> None:
    """One audit event for a download of the money tables (CSV or XLSX)."""
    audit.record(
        actor=membership.user,
        action="report.export",
        organization=membership.organization_id,
        target=program,
        detail={"format": fmt, "as_of": as_of.isoformat(), "tables": "money"},
    )
