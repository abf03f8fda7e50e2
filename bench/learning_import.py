"""The staff table import's rate (issue 14: 20,000 rows a second or more on a quiet machine).

    .venv/bin/python bench/learning_import.py          (ROWS=20000 RUNS=5 by default)

On its own SQLite database (`var/bench-learning.sqlite3`, migrated when missing): a company, then a generated
staff table of ROWS rows (every column, a manager for most rows) written as CSV and read by `core.tabular`.
Times, each the median of RUNS after one untimed run, rolled back every time: the dry run (`imports.plan`) on an
empty directory, the import that creates everyone (`imports.apply`, which plans again), and the same file applied
to the directory it made (every row unchanged). Prints a table, then one JSON line with `learning_import_rows_per_s`
(the creating import, the figure the issue asks for).
"""

import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


class _Rollback(Exception):
    pass


def _csv(rows: int) -> bytes:
    from haven.learning.imports import COLUMNS

    lines = [",".join(COLUMNS)]
    departments = ("Sales", "Finance", "Operations", "Legal", "People")
    for n in range(rows):
        manager = f"staff{n // 10}@company.example" if n >= 10 else ""
        lines.append(
            f"staff{n}@company.example,,Given{n},Family{n},E{n:06d},{departments[n % 5]},Team {n % 40},"
            f"{'FR' if n % 3 else 'US'},{'fr' if n % 3 else 'en'},{manager},2020-01-{1 + n % 28:02d},yes"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    rows_wanted = int(os.environ.get("ROWS", "20000"))
    runs = int(os.environ.get("RUNS", "5"))
    os.environ["DATABASE_URL"] = "sqlite:///bench-learning.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.demo")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from haven.accounts.models import User
    from haven.core.tabular import read_table
    from haven.learning import imports
    from haven.organizations.models import Organization
    from haven.organizations.roles import OrganizationKind

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    rows = imports.rows_of(read_table(io.BytesIO(_csv(rows_wanted))))
    read_s = time.perf_counter() - began

    def timed(step: Callable[[Organization, User], Any], *, prepare: bool = False) -> tuple[float, Any]:
        times, result = [], None
        for _ in range(runs + 1):
            try:
                with transaction.atomic():
                    company = Organization.objects.create(name="Bench company", kind=OrganizationKind.CORPORATE_PARTNER)
                    actor = User.objects.create_user(email="bench.admin@company.example", full_name="Bench")
                    if prepare:
                        imports.apply(actor=actor, company=company, rows=rows, file_name="bench.csv")
                    start = time.perf_counter()
                    result = step(company, actor)
                    times.append(time.perf_counter() - start)
                    raise _Rollback
            except _Rollback:
                pass
        return statistics.median(times[1:]), result

    dry_s, dry = timed(lambda company, actor: imports.plan(company=company, rows=rows))
    create_s, made = timed(lambda company, actor: imports.apply(actor=actor, company=company, rows=rows, file_name="b"))
    again_s, again = timed(
        lambda company, actor: imports.apply(actor=actor, company=company, rows=rows, file_name="b"), prepare=True
    )
    n = len(rows)
    figures = {
        "learning_import_rows": n,
        "learning_import_rows_per_s": round(n / create_s),
        "learning_dry_run_rows_per_s": round(n / dry_s),
        "learning_reimport_rows_per_s": round(n / again_s),
        "learning_read_rows_per_s": round(n / read_s),
        "learning_import_errors": made.count(imports.ERROR) + dry.count(imports.ERROR),
        "learning_reimport_unchanged": again.count(imports.UNCHANGED),
        "runs": runs,
    }
    print(f"{'step':<42}{'ms':>10}{'rows/s':>12}")
    for label, seconds in (
        ("read the CSV (core.tabular)", read_s),
        ("dry run on an empty directory", dry_s),
        ("import creating every member of staff", create_s),
        ("the same file again (all unchanged)", again_s),
    ):
        print(f"{label:<42}{seconds * 1000:>10.0f}{n / seconds:>12.0f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
