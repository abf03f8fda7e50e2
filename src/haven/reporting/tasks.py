"""Background work of the reporting app (Django's tasks framework; the database backend runs it in `db_worker`)."""

from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from haven.core import pdf

from . import charts, money, services, tables
from .models import QuarterlyReport


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
                    "money_tables": money.report_money(figures),
                    **charts.pdf_charts(figures),
                },
            )
            content = pdf.render_pdf(html)
    except Exception as error:
        services.report_fail(report=report, error=error)
        raise
    services.report_store(report=report, content=content)
