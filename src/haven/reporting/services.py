"""Reporting's writes: a quarterly report requested (the PDF is made in the background, ``tasks``), made, or failed.

Quarters are released in ``release``; children served and the care cells are kept by ``keepers`` as the pillars
write.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.changes import ReportReady, announce
from haven.programs.models import Program

from .models import QuarterlyReport, ReportStatus


@transaction.atomic
def report_request(*, actor: User, program: Program, quarter: date, language: str, narrative: str) -> QuarterlyReport:
    """Ask for a quarter's report in a language; its PDF is made once the request is committed."""
    from .tasks import generate_report  # the task stores its PDF through this module

    report = QuarterlyReport.objects.create(
        organization_id=program.organization_id,
        program=program,
        quarter=quarter,
        language=language,
        narrative=narrative,
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        action="report.request",
        organization=program.organization_id,
        target=report,
        detail={"quarter": quarter.isoformat(), "language": language},
    )
    transaction.on_commit(lambda: generate_report.enqueue(report.pk))
    return report


@transaction.atomic
@transaction.atomic
def report_store(*, report: QuarterlyReport, content: bytes) -> None:
    """The report's PDF is made: keep it, say so in the log (by the system), and announce it (``ReportReady``)."""
    QuarterlyReport.objects.in_org(report.organization_id).filter(pk=report.pk).update(
        status=ReportStatus.READY, pdf=content, generated_at=timezone.now(), error=""
    )
    audit.record(
        actor=None,
        action="report.generate",
        organization=report.organization_id,
        target=report,
        detail={"quarter": report.quarter.isoformat(), "language": report.language, "bytes": len(content)},
    )
    announce(ReportReady(program_id=report.program_id, organization_id=report.organization_id, report_id=report.pk))


def report_fail(*, report: QuarterlyReport, error: Exception) -> None:
    """The PDF could not be made: the report says so, with the kind of error only (never its message)."""
    QuarterlyReport.objects.in_org(report.organization_id).filter(pk=report.pk).update(
        status=ReportStatus.FAILED, error=type(error).__name__[:200]
    )
