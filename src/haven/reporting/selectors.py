"""Reporting's reads for its pages: which program a page shows, the quarterly reports, and the audited downloads.

The figures themselves are computed in ``figures`` (program staff), ``tables`` (funders and the public, after
disclosure control), ``outcomes`` (care figures) and ``forecasting``.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from haven.audit import services as audit
from haven.organizations.models import Membership, Organization
from haven.organizations.selectors import tree_below
from haven.programs.models import Program
from haven.programs.selectors import programs_visible_to
from haven.training import funnel
from haven.training import selectors as training_selectors
from haven.training.models import Enrollment

from . import disclosure
from .models import ChildServed, QuarterlyReport, ReportStatus
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


# -- One organization's figures, for the money pillar's tranches -------------------------------------------------

ORGANIZATION_METRICS = ("clinicians_trained", "clinicians_certified", "children_served")


def organization_figure(program: Program, organization: Organization, metric: str, on: date) -> int:
    """A program figure of one organization and the CACs under it (a chapter's, or a CAC's own), as of ``on``:
    clinicians trained or certified counted as the workforce funnel counts them (``training.funnel``, within the
    program's months and by ``on``) for the enrollments of those CACs; children served from those CACs'
    ``ChildServed`` rows first served by ``on``. Exact counts, for the program's own staff (never a funder's)."""
    if metric not in ORGANIZATION_METRICS:
        raise ValueError(f"unknown figure {metric!r}")
    counts = _organization_counts(program, organization, first=None, last=on)
    return counts[metric]


def _organization_counts(
    program: Program, organization: Organization, *, first: date | None, last: date
) -> dict[str, int]:
    """Clinicians trained and certified (the workforce funnel over the enrollments of the organization and those
    under it, within the program's months) and children first served there, from ``first`` (or the start) to
    ``last``: the one count the tranches and the grantees' reports read."""
    below = Organization.objects.filter(tree_below(organization)).values("pk")
    served = ChildServed.objects.of_program(program).filter(organization__in=below, first_session_on__lte=last)
    if first is not None:
        served = served.filter(first_session_on__gte=first)
    enrollments = Enrollment.objects.of_program(program).filter(organization__in=below)
    rows = [funnel.clinician_of(path) for path in training_selectors.kept_program_paths(enrollments, program)]
    in_program = funnel.program_period(program)

    def within(day: date | None) -> bool:
        return day is not None and (first is None or first <= day) and day <= last and in_program(day)

    steps = funnel.funnel(rows, within)
    return {
        "clinicians_trained": steps.trained,
        "clinicians_certified": steps.certified,
        "children_served": served.count(),
    }


@dataclass(frozen=True)
class GranteeFigures:
    """A grantee's own program figures over a period, for its narrative report: clinicians of its organization and
    those under it who were trained and certified in the period, and children first served by them in it."""

    clinicians_trained: int
    clinicians_certified: int
    # None when 1 to 10: a chapter is outside the care team of its CACs, so a count of children below the
    # threshold is never shown to a grantee (disclosure control, the one module).
    children_served: int | None


def grantee_figures(program: Program, organization: Organization, start: date, end: date) -> GranteeFigures:
    """The figures a grantee's narrative report is filled in with, from ``start`` to ``end`` (inclusive)."""
    counts = _organization_counts(program, organization, first=start, last=end)
    protected = disclosure.protect({"children": counts["children_served"]})
    return GranteeFigures(
        clinicians_trained=counts["clinicians_trained"],
        clinicians_certified=counts["clinicians_certified"],
        children_served=protected.value("children"),
    )
