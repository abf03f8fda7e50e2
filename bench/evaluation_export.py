"""An evaluation export of the whole program at program scale (issue 18: 60 seconds or less).

    .venv/bin/python bench/evaluation_export.py          (RUNS=3 by default; PROFILE=1 to profile one run)

On the program-scale database `var/bench-program.sqlite3` (55,000 children, about 540,000 sessions; `make bench`
generates it): every table, the program's whole period, k = 11, a codebook in English, written under a temporary
directory. The export only reads, so the database is left as it was. Prints each run's time, then one JSON line
with `evaluation_export_s` (the median), the package's size and the rows of each file.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    runs = int(os.environ.get("RUNS", "3"))
    os.environ["DATABASE_URL"] = "sqlite:///bench-program.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.demo")
    if not (ROOT / "var" / "bench-program.sqlite3").exists():
        sys.exit("var/bench-program.sqlite3 is missing: `make bench` generates it (SCALE=program).")
    import django

    django.setup()
    from haven.evaluation import package
    from haven.programs.models import Program

    # The bench's one program, read across tenants (this script is the only user of its database).
    program = Program.objects.dangerously_unscoped().get()
    spec = package.Spec(
        program_id=program.pk,
        period_start=program.starts_on,
        period_end=program.ends_on,
        tables=package.TABLES,
    )
    times = []
    built = None
    with tempfile.TemporaryDirectory() as directory:
        for run in range(runs):
            destination = Path(directory) / f"export-{run}.zip"
            profile = None
            if os.environ.get("PROFILE") and run == 0:
                import cProfile

                profile = cProfile.Profile()
                profile.enable()
            started = time.perf_counter()
            built = package.build(spec, destination, "a passphrase for the bench")
            seconds = time.perf_counter() - started
            if profile is not None:
                profile.disable()
                import pstats

                pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
            times.append(seconds)
            print(f"run {run + 1}: {seconds:.1f} s, {built.size / 1e6:.1f} MB", flush=True)
    if built is None:
        sys.exit("RUNS is at least 1.")
    print(
        json.dumps(
            {
                "evaluation_export_s": round(statistics.median(times), 2),
                "runs": runs,
                "size_bytes": built.size,
                "rows": built.files,
                "children_withheld": built.report["records_withheld"],
                "smallest_class": built.report["smallest_class"],
            }
        )
    )


if __name__ == "__main__":
    main()
