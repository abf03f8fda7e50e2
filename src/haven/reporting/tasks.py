"""Background work of the reporting app (Django's tasks framework; the database backend runs it in `db_worker`)."""

from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation

from haven.audit import services as audit

from . import charts, pdf, tables
from .models import QuarterlyReport, ReportStatus


@task()
def generate_report(report_id: int) -> None:
    """Make a quarterly report's PDF from the funder's protected figures, store it, and audit it."""
    report = QuarterlyReport.objects.dangerously_unscoped().select_related("program").get(pk=report_id)
    try:
        with translation.override(report.language):
            figures = tables.funder_report(report.program, report.quarter)
            html = render_to_string(
                "reporting/report_pdf.html",
                {
                    "report": figures,
                    "narrative": report.narrative,
                    "language": report.language,
                    **charts.pdf_charts(figures),
                },
            )
            content = pdf.render_pdf(html)
    except Exception as error:
        QuarterlyReport.objects.in_org(report.organization_id).filter(pk=report.pk).update(
            status=ReportStatus.FAILED, error=type(error).__name__[:200]
        )
        raise
    with transaction.atomic():
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
