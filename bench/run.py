"""Haven's benchmark: times pages on a generated database of the given scale, in one run.

    make bench SCALE=program        (or demo, national)

Generates `var/bench-<scale>.sqlite3` once (timing the generator), then, warm, takes the median of several
requests of each page through Django's test client with the program admin (or a trainer) signed in.
Prints a table, then one JSON object with every figure as the last line.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    scale = os.environ.get("SCALE", "program")
    runs = int(os.environ.get("RUNS", "7"))
    db_name = f"bench-{scale}.sqlite3"
    _drop_if_stale(ROOT / "var" / db_name)
    os.environ["DATABASE_URL"] = f"sqlite:///{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.demo")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from haven.accounts.models import User
    from haven.care.models import Episode
    from haven.conftest import sign_in_client
    from haven.organizations.models import Organization
    from haven.training.models import Cohort

    call_command("migrate", verbosity=0)
    generate_s = None
    if not Organization.objects.exists():
        began = time.perf_counter()
        call_command("generate", f"--scale={scale}", "--seed=1", stdout=open(os.devnull, "w"))  # noqa: SIM115
        generate_s = time.perf_counter() - began

    admin = sign_in_client(Client(HTTP_HOST="127.0.0.1"), User.objects.get(email="program.admin@haven.example"))
    trainer = sign_in_client(Client(HTTP_HOST="127.0.0.1"), User.objects.get(email="trainer@haven.example"))
    clinician_user = User.objects.get(email="clinician@haven.example")
    clinician = sign_in_client(Client(HTTP_HOST="127.0.0.1"), clinician_user)
    cohort = Cohort.objects.dangerously_unscoped().order_by("pk").first()
    episode = (
        Episode.objects.dangerously_unscoped().filter(clinician=clinician_user, status="open").order_by("pk").first()
    )
    pages = {
        "workforce": (admin, "/training/"),
        "capacity": (admin, "/training/capacity/"),
        "cohorts": (admin, "/training/cohorts/"),
        "cohort": (trainer, f"/training/cohorts/{cohort.pk}/"),
        # The clinician's pages: their caseload and one episode's session page (each read is audited).
        "caseload": (clinician, "/care/"),
        "session_page": (clinician, f"/care/episodes/{episode.pk}/"),
        "outcomes": (admin, "/care/outcomes/"),
    }
    results: dict[str, object] = {"scale": scale, "generate_s": round(generate_s, 2) if generate_s else None}
    print(f"{'page':<12}{'median ms':>12}{'queries':>10}")
    for name, (client, url) in pages.items():
        if client.get(url).status_code != 200:  # the first request also warms the caches
            raise SystemExit(f"{url} did not answer 200")
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        median = statistics.median(times)
        results[f"{name}_ms"] = round(median, 1)
        results[f"{name}_queries"] = len(queries)
        print(f"{name:<12}{median:>12.1f}{len(queries):>10}")
    # Cold: the first view after a write, which derives every path again (the figures' cache is keyed by writes).
    from haven.programs.models import Program
    from haven.training import figures

    program = Program.objects.dangerously_unscoped().get()
    cold = []
    for _ in range(3):
        figures.changed(program)
        began = time.perf_counter()
        admin.get("/training/")
        cold.append((time.perf_counter() - began) * 1000)
    results["workforce_cold_ms"] = round(statistics.median(cold), 1)
    print(f"{'workforce, first view after a write':<12}{results['workforce_cold_ms']:>12.1f}")
    results.update(_import_speed(scale))
    print(f"{'import':<12}{results['import_rows_per_s']:>12.0f} rows/s ({results['import_rows']} rows)")
    print(json.dumps(results))


def _drop_if_stale(path: Path) -> None:
    """A bench database made before the care records existed is generated again."""
    import sqlite3

    if not path.exists():
        return
    with sqlite3.connect(path) as db:
        has_children = (
            db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'care_child'").fetchone()[0]
            and db.execute("SELECT EXISTS (SELECT 1 FROM care_child)").fetchone()[0]
        )
    if not has_children:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _import_speed(scale: str) -> dict[str, object]:
    """Dry run and apply of a course-completion file naming every clinician of the program (rolled back)."""
    from django.db import transaction

    from haven.accounts.models import User
    from haven.organizations.models import Membership
    from haven.training import imports, selectors

    admin = User.objects.get(email="program.admin@haven.example")
    membership = Membership.objects.of_user(admin).select_related("organization").get()
    program = selectors.program_for(membership)
    from haven.training.models import Enrollment, Placement

    in_program = set(
        Enrollment.objects.dangerously_unscoped()
        .filter(program=program)
        .exclude(placement=Placement.WITHDRAWN)
        .values_list("clinician_id", flat=True)
    )
    emails = sorted(
        email for email, (user_id, _cac) in imports._clinicians_by_email(membership).items() if user_id in in_program
    )
    rows = [{"email": email, "completed_on": "2025-01-15"} for email in emails]
    began = time.perf_counter()
    with transaction.atomic():
        plan = imports.import_apply(
            actor=admin, membership=membership, program=program, kind="course", rows=rows, file_name="bench.csv"
        )
        transaction.set_rollback(True)
    elapsed = time.perf_counter() - began
    return {
        "import_rows": len(rows),
        "import_rows_per_s": round(len(rows) / elapsed),
        "import_errors": plan.count("error"),
    }


if __name__ == "__main__":
    main()
