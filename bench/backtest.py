"""The forecast's back-test, on a generated program that has run its course, in one run.

    SCALE=demo .venv/bin/python bench/backtest.py        (or program)

Generates `var/bench-backtest-<scale>.sqlite3` when missing: the program begins 39 months before this month, so
its 36 months are over and its records are a full history. Then forecasts it as of every third month from its
sixth, each from the records of that time only (`reporting.forecasting.backtest`), and compares each forecast with
the actual figures 3, 6 and 12 months later: the share of actuals inside the 80% interval (about 80% when the
forecast is calibrated) and the median absolute percentage error of the median, per figure and over all.

Prints a table, then as its last line one JSON object: `scale`, `forecasts`, `compared`, `inside_share`,
`median_error_percent`, `seconds` and the same per figure. Environment: SCALE, RUNS (runs per forecast, default
200).
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    scale = os.environ.get("SCALE", "demo")
    runs = int(os.environ.get("RUNS", "200"))
    db_name = f"bench-backtest-{scale}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.demo")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from haven.core.dates import add_months, month_of
    from haven.organizations.models import Organization
    from haven.programs.models import Program
    from haven.reporting import forecasting

    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        start = add_months(month_of(timezone.now().date()), -39)
        print(f"Generating {scale} scale from {start:%Y-%m} into var/{db_name} ...", flush=True)
        call_command("generate", f"--scale={scale}", "--seed=1", f"--start={start}", stdout=open(os.devnull, "w"))  # noqa: SIM115
    program = Program.objects.dangerously_unscoped().order_by("-starts_on").first()
    if program is None:
        sys.exit("No program in the database.")
    began = time.perf_counter()
    result = forecasting.backtest(program, today=timezone.now().date(), runs=runs)
    seconds = round(time.perf_counter() - began, 1)
    print(
        f"{scale} scale, {runs} runs a forecast: records cover months 1 to {result.last_month + 1}; forecasts made "
        f"at the end of months {', '.join(str(m + 1) for m in result.as_of_months)}; horizons "
        f"{', '.join(map(str, result.horizons))} months; {seconds} s"
    )
    print(f"{'figure':<22}{'compared':>9}{'inside 80%':>12}{'median abs. error':>19}")
    summary: dict[str, object] = {"scale": scale, "forecasts": len(result.as_of_months), "seconds": seconds}
    for row in result.calibration:
        inside = round(100 * row.inside_share, 1) if row.inside_share is not None else None
        error = round(row.median_error_percent, 1) if row.median_error_percent is not None else None
        print(f"{row.metric or 'all':<22}{row.compared:>9}{inside!s:>11}%{error!s:>18}%")
        prefix = f"{row.metric}_" if row.metric else ""
        summary |= {
            f"{prefix}compared": row.compared,
            f"{prefix}inside_share": inside,
            f"{prefix}median_error_percent": error,
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
