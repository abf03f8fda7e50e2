"""Back-test the forecast: made as of many months of a program, each from the records of its time, against the
actual figures at the horizons the records cover."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from haven.programs.models import Program
from haven.reporting import figures, forecasting


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


class Command(BaseCommand):
    help = (
        "Forecast a program as of every third month from its sixth (or the months given), from the records of "
        "each time, and compare each forecast with the actual figures 3, 6 and 12 months later where the records "
        "cover them: the share of actuals inside the 80% interval and the median absolute percentage error. A "
        "program that has run its course (`generate --start` at least 37 months ago) gives a full history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", type=int, help="program id (default: the newest)")
        parser.add_argument("--as-of", type=int, nargs="*", help="months (1-based) to forecast at")
        parser.add_argument("--runs", type=int, default=forecasting.BACKTEST_RUNS)

    def handle(self, *args: Any, **options: Any) -> None:
        programs = Program.objects.dangerously_unscoped().order_by("-starts_on")
        program = programs.filter(pk=options["program"]).first() if options["program"] else programs.first()
        if program is None:
            raise CommandError("No such program.")
        months = figures.program_months(program)
        today = timezone.now().date()
        last = forecasting.last_complete_month(program, today)
        as_of = tuple(m - 1 for m in options["as_of"]) if options["as_of"] else None
        if as_of is not None and not all(0 <= m < last for m in as_of):
            raise CommandError(f"--as-of must be from 1 to {last}: the records cover months 1 to {last + 1}.")
        result = forecasting.backtest(program, today=today, as_of_months=as_of, runs=options["runs"])
        self.write(program, months, result)

    def write(self, program: Program, months: list[Any], result: forecasting.Backtest) -> None:
        made = ", ".join(str(m + 1) for m in result.as_of_months) or "none"
        self.stdout.write(
            f"{program.name}: records cover months 1 to {result.last_month + 1} ({months[result.last_month]:%Y-%m}); "
            f"forecasts made at the end of months {made}; horizons {', '.join(map(str, result.horizons))} months"
        )
        self.stdout.write(f"{'metric':<22}{'compared':>9}{'inside 80%':>12}{'median abs. error':>19}")
        for row in result.calibration:
            inside = percent(None if row.inside_share is None else 100 * row.inside_share)
            self.stdout.write(
                f"{row.metric or 'all':<22}{row.compared:>9}{inside:>12}{percent(row.median_error_percent):>19}"
            )
        if not result.checks:
            self.stdout.write("No forecast could be compared: the records do not cover enough months yet.")
