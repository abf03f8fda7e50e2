"""Back-test the forecast: made as of a month of the program, against what happened by its last month."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven.programs.models import Program
from haven.reporting import figures, forecasting


class Command(BaseCommand):
    help = (
        "Forecast a program as of its month N (default 12) from the records of that time, and compare with its "
        "actual figures at its last month. The program must have run its course: generate one with "
        "`generate --start` at least 36 months ago."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", type=int, help="program id (default: the newest)")
        parser.add_argument("--at-month", type=int, default=12)
        parser.add_argument("--runs", type=int, default=forecasting.RUNS)

    def handle(self, *args: Any, **options: Any) -> None:
        programs = Program.objects.dangerously_unscoped().order_by("-starts_on")
        program = programs.filter(pk=options["program"]).first() if options["program"] else programs.first()
        if program is None:
            raise CommandError("No such program.")
        months = figures.program_months(program)
        if not 1 <= options["at_month"] < len(months):
            raise CommandError(f"--at-month must be from 1 to {len(months) - 1}.")
        rows = forecasting.backtest(program, at_month=options["at_month"], runs=options["runs"])
        self.stdout.write(
            f"{program.name}: forecast as of month {options['at_month']} ({months[options['at_month'] - 1]:%Y-%m}) "
            f"against month {len(months)} ({months[-1]:%Y-%m})"
        )
        self.stdout.write(f"{'metric':<22}{'p10':>9}{'median':>9}{'p90':>9}{'actual':>9}  inside  median error")
        for row in rows:
            error = f"{row.median_error_percent:+.1f}%" if row.median_error_percent is not None else "-"
            self.stdout.write(
                f"{row.metric:<22}{row.p10:>9,}{row.p50:>9,}{row.p90:>9,}{row.actual:>9,}  "
                f"{'yes' if row.inside else 'no ':<6}  {error}"
            )
        inside = sum(row.inside for row in rows)
        self.stdout.write(f"{inside} of {len(rows)} actual figures fell inside the 80% interval.")
