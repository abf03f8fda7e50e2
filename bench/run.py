"""Haven's benchmark: times pages on a generated database of the given scale, in one run.

    make bench SCALE=program        (or demo, national)

Generates `var/bench-<scale>.sqlite3` when missing or stale (timing the generator and keeping the time in
`var/bench-<scale>.json`), then, warm (one untimed request first), takes the median of several requests of each
page through Django's test client with its user signed in: the program dashboard (`/reporting/`, program admin)
and its floor (the bare SQL for the same figures over the raw rows, `bench/floor.py`, median of a few runs), the
funder dashboard (funder viewer), the clinician's caseload and session page (with their query counts), the
workforce pages, the money pages (``MONEY_PAGES``: skipped with a note while their URL name does not resolve), and
the creative review's pages (``SAFEGUARDING_PAGES``, skipped with a note while their URL name does not resolve),
the API's funder figures (``api_figures``, with a key of the demo funder made for the run) and program figures
(``api_figures_program``, with a key of the demo national office),
the seconds Tesseract takes to read a typical image and a two-page PDF (``ocr``), and the import's rows per second.

Prints a table, then as its last line one JSON object: `dashboard_ms`, `floor_ms`, `ratio` (floor / dashboard),
`funder_ms`, `caseload_ms`, `caseload_queries`, `import_rows_per_s`, `generate_s`, `scale`, then the other figures
(among them `money_cold_ms`: the money page's first view after a write to the money, its books built again).
Environment: SCALE, RUNS (requests per page, default 15), FLOOR_RUNS (default 5), PAGES (names of pages,
comma-separated, e.g. ``PAGES=grants_home,funder_money``: time only those, then print their JSON and stop, with no
floor, first views (but the money page's, when it is among them) or import; ``ocr`` among them times the OCR).
"""

import contextlib
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    scale = os.environ.get("SCALE", "program")
    runs = int(os.environ.get("RUNS", "15"))
    floor_runs = int(os.environ.get("FLOOR_RUNS", "5"))
    db_name = f"bench-{scale}.sqlite3"
    db_path = ROOT / "var" / db_name
    postgres_url = os.environ.get("BENCH_DATABASE_URL")  # set by bench/postgres.sh (make bench DB=postgres)
    if postgres_url:
        db_name = f"bench-{scale}-postgres"
        db_path = ROOT / "var" / db_name  # no file: the generation time is kept beside it, as for SQLite
    os.environ["DATABASE_URL"] = postgres_url or f"sqlite:///{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.demo")
    import django

    django.setup()  # opens no database connection: the file may still be replaced
    from django.apps import apps

    kept = [m._meta.db_table for m in apps.get_app_config("reporting").get_models() if m.__name__.endswith("Cell")]
    needed = ["care_child", "grants_payment", "safeguarding_submission", *kept]
    if postgres_url:
        _drop_if_stale_postgres(db_path, needed)
    else:
        _drop_if_stale(db_path, needed)
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
    generated = not Organization.objects.exists()
    if generated:
        print(f"Generating {scale} scale into var/{db_name} ...", flush=True)
        began = time.perf_counter()
        # The demo's mailer writes the review notices the generator sends to standard output: not the bench's.
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            call_command("generate", f"--scale={scale}", "--seed=1", stdout=devnull)
        generate_s: float | None = round(time.perf_counter() - began, 2)
        _stored(db_path).write_text(
            json.dumps({"generate_s": generate_s, "generated_at": datetime.now(UTC).isoformat(timespec="seconds")})
        )
    else:
        generate_s = _stored_generate_s(db_path)

    def client_of(email: str) -> Client:
        return sign_in_client(Client(HTTP_HOST="127.0.0.1"), User.objects.get(email=email))

    admin = client_of("program.admin@haven.example")
    funder = client_of("funder@haven.example")
    trainer = client_of("trainer@haven.example")
    clinician_user = User.objects.get(email="clinician@haven.example")
    clinician = sign_in_client(Client(HTTP_HOST="127.0.0.1"), clinician_user)
    cohort = Cohort.objects.dangerously_unscoped().order_by("pk").first()
    episode = (
        Episode.objects.dangerously_unscoped().filter(clinician=clinician_user, status="open").order_by("pk").first()
    )
    # (client, address, requests timed): the pages that scan raw rows on every view get fewer.
    pages = {
        "dashboard": (admin, "/reporting/", runs),
        "funder": (funder, "/reporting/funder/", runs),
        # The clinician's pages: their caseload and one episode's session page (each read is audited).
        "caseload": (clinician, "/care/", runs),
        "session_page": (clinician, f"/care/episodes/{episode.pk}/", runs),
        "workforce": (admin, "/training/", runs),
        "capacity": (admin, "/training/capacity/", runs),
        "cohorts": (admin, "/training/cohorts/", 7),
        "cohort": (trainer, f"/training/cohorts/{cohort.pk}/", 7),
        "outcomes": (admin, "/reporting/outcomes/", runs),  # the care figures page, from the kept cells
        # The money figures: the program's books (a fixed number of queries, whatever the number of payments).
        "money": (admin, "/reporting/money/", runs),
        "funder_money": (funder, "/reporting/funder/money/", runs),
    }
    clients = {"admin": admin, "funder": funder, "grantee": client_of("cac.admin@haven.example")}
    pages.update(_money_pages(clients, runs))
    pages.update(_learning_pages(client_of, runs))
    pages.update(_safeguarding_pages(client_of, runs))
    pages.update(_api_pages(runs))
    only = [name.strip() for name in os.environ.get("PAGES", "").split(",") if name.strip()]
    if only:
        unknown = sorted(
            set(only)
            - set(pages)
            - {name for name, *_rest in MONEY_PAGES}
            - {name for name, *_r in LEARNING_PAGES}
            - {name for name, *_r in SAFEGUARDING_PAGES}
            - {"ocr"}
        )
        if unknown:
            raise SystemExit(f"unknown pages {unknown}: choose among {sorted(pages)}")
        pages = {name: page for name, page in pages.items() if name in only}
    timed: dict[str, tuple[float, int, float]] = {}
    print(f"{'page':<44}{'median ms':>12}{'queries':>10}")
    for name, (client, url, count) in pages.items():
        timed[name] = _time_page(client, url, count, connection, CaptureQueriesContext)
        print(f"{name + ' ' + url:<44}{timed[name][0]:>12.1f}{timed[name][1]:>10}", flush=True)
    if only:
        chosen: dict[str, object] = {"scale": scale, "generate_s": generate_s, "runs": runs}
        for name, (ms, queries, fastest) in timed.items():
            chosen.update({f"{name}_ms": round(ms, 1), f"{name}_queries": queries, f"{name}_min_ms": round(fastest, 1)})
        if "money" in timed:
            chosen["money_cold_ms"] = round(_money_cold(admin), 1)
            print(f"{'money, first view after a money write':<44}{chosen['money_cold_ms']:>12.1f}")
        if "ocr" in only:
            chosen.update(_ocr_speed())
        chosen["load_avg"] = round(os.getloadavg()[0], 2)
        print(json.dumps(chosen))
        return

    # The floor: the dashboard's figures straight from the raw rows, with a raw cursor of the same engine.
    import floor
    from django.utils import timezone

    from haven.programs.models import Program
    from haven.reporting import figures as reporting_figures
    from haven.training import services as training_services
    from haven.training.models import Attendance, ConsultationCall, Placement

    program = Program.objects.dangerously_unscoped().order_by("-starts_on").first()
    today = timezone.now().date()
    start, end = reporting_figures.Filters().months(program)
    values = floor.params(program, start, end, today)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    rows = floor.run(cursor, values, connection.vendor)  # warm
    floor_times: list[float] = []
    floor_queries = floor.queries(connection.vendor)
    part_times: dict[str, list[float]] = {name: [] for name in floor_queries}
    for _ in range(floor_runs):
        began = time.perf_counter()
        for name, sql in floor_queries.items():
            part_began = time.perf_counter()
            cursor.execute(sql, values).fetchall()
            part_times[name].append((time.perf_counter() - part_began) * 1000)
        floor_times.append((time.perf_counter() - began) * 1000)
    floor_ms = statistics.median(floor_times)
    parts = {name: round(statistics.median(t), 1) for name, t in part_times.items()}
    problems = floor.agree(rows, program, today)
    print(f"{'floor (bare SQL, ' + str(len(floor.QUERIES)) + ' queries)':<44}{floor_ms:>12.1f}")
    for name, ms in parts.items():
        print(f"{'  ' + name:<44}{ms:>12.1f}")
    print(f"{'  floor figures equal the dashboard':<44}{'yes' if not problems else 'NO':>12}")
    for problem in problems:
        print(f"    {problem}")

    # Cold: the first view after a workforce write (a trainer records a call's attendance again, as it was: the
    # cohort's paths kept again and stamped): the figures counted again from the paths this process holds, the
    # cohort's read again (``training.kept``, ``funnel.program_clinicians``).
    call = (
        ConsultationCall.objects.dangerously_unscoped()
        .filter(cohort__program=program, attendance_recorded_at__isnull=False)
        .order_by("-held_on", "pk")
        .first()
    )
    present = set(
        Attendance.objects.dangerously_unscoped()
        .filter(call=call, attended=True, enrollment__cohort=call.cohort_id, enrollment__placement=Placement.ENROLLED)
        .values_list("enrollment_id", flat=True)
    )
    cold = {}
    for name, url in (("dashboard", "/reporting/"), ("workforce", "/training/")):
        samples = []
        for _ in range(3):
            training_services.attendance_record(actor=None, call=call, present_ids=present)
            began = time.perf_counter()
            admin.get(url)
            samples.append((time.perf_counter() - began) * 1000)
        cold[name] = statistics.median(samples)
        print(f"{name + ', first view after a write':<44}{cold[name]:>12.1f}")
    admin.get("/reporting/")  # leave the caches warm
    cold["money"] = _money_cold(admin)
    print(f"{'money, first view after a money write':<44}{cold['money']:>12.1f}")

    ocr_speed = _ocr_speed()
    speed = _import_speed()
    print(f"{'import':<44}{speed['import_rows_per_s']:>12.0f} rows/s ({speed['import_rows']} rows)")
    gen_text = "n/a" if generate_s is None else f"{generate_s:.1f} s" + ("" if generated else " (stored)")
    print(f"{'generation':<44}{gen_text:>12}")

    dashboard_ms = timed["dashboard"][0]
    results: dict[str, object] = {
        "dashboard_ms": round(dashboard_ms, 1),
        "floor_ms": round(floor_ms, 1),
        "ratio": round(floor_ms / dashboard_ms, 1),
        "funder_ms": round(timed["funder"][0], 1),
        "caseload_ms": round(timed["caseload"][0], 1),
        "caseload_queries": timed["caseload"][1],
        "import_rows_per_s": speed["import_rows_per_s"],
        "generate_s": generate_s,
        "scale": scale,
        "generated": generated,
        "dashboard_queries": timed["dashboard"][1],
        "dashboard_min_ms": round(timed["dashboard"][2], 1),
        "floor_min_ms": round(min(floor_times), 1),
        "funder_queries": timed["funder"][1],
        "dashboard_cold_ms": round(cold["dashboard"], 1),
        "floor_agrees": not problems,
        "floor_parts_ms": parts,
        "runs": runs,
        "floor_runs": floor_runs,
    }
    for name, (ms, queries, _fastest) in timed.items():
        if name not in ("dashboard", "funder", "caseload"):
            results[f"{name}_ms"] = round(ms, 1)
            results[f"{name}_queries"] = queries
    results["workforce_cold_ms"] = round(cold["workforce"], 1)
    results["money_cold_ms"] = round(cold["money"], 1)
    results["import_rows"] = speed["import_rows"]
    results["import_errors"] = speed["import_errors"]
    results.update(ocr_speed)
    results["load_avg"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results))


# The money pages (issue 13): (bench name, URL name, who reads it, whose id it takes). The grant page shows the
# running grant with the most payments; "grantee" is the demo CAC's org admin (a grantee).
MONEY_PAGES = (
    ("grants_home", "grants:home", "admin", None),
    ("grants_grant", "grants:grant", "admin", "grant"),
    ("grants_payments", "grants:payments", "admin", None),
    ("grants_mine", "grants:mine", "grantee", None),
    ("reporting_money", "reporting:money", "admin", None),
    ("funder_money", "reporting:funder_money", "funder", None),
)


def _money_pages(clients: dict[str, Any], runs: int) -> dict[str, tuple[Any, str, int]]:
    """The money pages whose URL name resolves; one that does not (its page not written yet) is skipped with a
    printed note, so the bench runs before and after they exist."""
    from django.db.models import Count
    from django.urls import NoReverseMatch, reverse

    from haven.grants.models import Grant, GrantStatus

    grant = (
        Grant.objects.dangerously_unscoped()
        .filter(status=GrantStatus.ACTIVE)
        .annotate(n=Count("payments"))
        .order_by("-n", "pk")
        .first()
    )
    pages = {}
    for name, url_name, reader, takes in MONEY_PAGES:
        args = [grant.pk] if takes == "grant" and grant is not None else []
        try:
            url = reverse(url_name, args=args)
        except NoReverseMatch:
            print(f"{name}: skipped, {url_name} does not resolve yet")
            continue
        pages[name] = (clients[reader], url, runs)
    return pages


# The staff-education pages (issue 14), timed once their URL names resolve. Targets: 50, 50 and 100 ms at the
# corporate scale (45,000 staff: SCALE=corporate).
LEARNING_PAGES = (
    ("learning_home", "learning:home", "learner", None),
    ("learning_module", "learning:module", "learner", "module"),
    ("learning_dashboard", "learning:dashboard", "company_admin", None),
)


def _learning_pages(client_of: Any, runs: int) -> dict[str, tuple[Any, str, int]]:
    """The learner's home and a module of their open course (the demo learner), and the company's dashboard (its
    learning admin, the partner's org admin); a page whose URL name does not resolve yet is skipped with a note."""
    from django.urls import NoReverseMatch, reverse

    from haven.learning.models import Assignment
    from haven.organizations.models import Membership
    from haven.organizations.roles import OrganizationKind, Role

    admin = (
        Membership.objects.dangerously_unscoped()
        .filter(role=Role.ORG_ADMIN, organization__kind=OrganizationKind.CORPORATE_PARTNER, is_active=True)
        .order_by("pk")
        .select_related("user")
        .first()
    )
    assignment = (
        Assignment.objects.dangerously_unscoped()
        .filter(staff__user__email="learner@haven.example", completed_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if admin is None or assignment is None:
        print("learning pages: skipped, the database has no company learning (generated before issue 14)")
        return {}
    readers: dict[str, Any] = {}
    pages = {}
    for name, url_name, reader, takes in LEARNING_PAGES:
        # The module page's arguments as the learner's pages define them: (assignment, module position) first.
        tries = [[assignment.pk, 1], [assignment.pk, 0], [assignment.pk]] if takes == "module" else [[]]
        url = None
        for args in tries:
            try:
                url = reverse(url_name, args=args)
                break
            except NoReverseMatch:
                continue
        if url is None:
            print(f"{name}: skipped, {url_name} does not resolve yet")
            continue
        if reader not in readers:
            user = admin.user if reader == "company_admin" else assignment.staff.user
            readers[reader] = client_of(user.email)
        pages[name] = (readers[reader], url, runs)
    return pages


# The creative review's pages (issue 15), timed once their URL names resolve (target: 50 ms or less at program
# scale): the review page of the submission under review with the most files, read by the demo safeguarding
# reviewer, and the reviewers' queue.
SAFEGUARDING_PAGES = (
    ("safeguarding_review", "safeguarding:review", "submission"),
    ("safeguarding_queue", "safeguarding:queue", None),
)
SAFEGUARDING_READER = "safeguarding@haven.example"


def _safeguarding_pages(client_of: Any, runs: int) -> dict[str, tuple[Any, str, int]]:
    from django.db.models import Count, Q
    from django.urls import NoReverseMatch, reverse

    from haven.safeguarding.models import UNDER_REVIEW, Submission

    submission = (
        Submission.objects.dangerously_unscoped()
        .filter(status__in=UNDER_REVIEW)
        .annotate(files=Count("assets", filter=Q(assets__retired_at=None)))
        .order_by("-files", "pk")
        .first()
    )
    if submission is None:
        print("safeguarding pages: skipped, the database has no creative review (generated before issue 15)")
        return {}
    reader = None
    pages = {}
    for name, url_name, takes in SAFEGUARDING_PAGES:
        try:
            url = reverse(url_name, args=[submission.pk] if takes == "submission" else [])
        except NoReverseMatch:
            print(f"{name}: skipped, {url_name} does not resolve yet")
            continue
        reader = reader or client_of(SAFEGUARDING_READER)
        pages[name] = (reader, url, runs)
    return pages


# The API (issue 16): the funder's figures as JSON (target: 30 ms or less at program scale), read with a key of the
# demo funder's organization made for the run (it expires within the hour).
API_FUNDER = "funder@haven.example"
API_OFFICE = "program.admin@haven.example"


def _api_pages(runs: int) -> dict[str, tuple[Any, str, int]]:
    from datetime import timedelta

    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from haven.organizations.models import Membership
    from haven.organizations.roles import Role

    try:
        from haven.api import keys

        url = reverse("api:figures_funder")
    except (ImportError, NoReverseMatch):
        print("api_figures: skipped, the API's figures do not resolve yet")
        return {}
    viewer = Membership.objects.dangerously_unscoped().filter(user__email=API_FUNDER).select_related("user").first()
    if viewer is None:
        print(f"api_figures: skipped, no membership of {API_FUNDER}")
        return {}
    # The demo funder has no org admin: the bench stands in for one (never saved), as the generator would.
    admin = Membership(user=viewer.user, organization=viewer.organization, role=Role.ORG_ADMIN, is_active=True)
    _key, secret = keys.key_create(
        membership=admin,
        label="Bench",
        scopes=[keys.FIGURES_READ],
        expires_at=timezone.now() + timedelta(hours=1),
    )
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    pages = {"api_figures": (client, url, runs)}
    # The program admin's figures (the program dashboard's), with a key of the demo national office.
    office = Membership.objects.dangerously_unscoped().filter(user__email=API_OFFICE).select_related("user").first()
    if office is not None:
        _key, secret = keys.key_create(
            membership=office,
            label="Bench",
            scopes=[keys.FIGURES_READ],
            expires_at=timezone.now() + timedelta(hours=1),
        )
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
        pages["api_figures_program"] = (client, reverse("api:figures_program"), runs)
    return pages


def _ocr_speed() -> dict[str, object]:
    """Seconds to read a typical asset as the worker does (``ocr.pages_of`` then ``ocr.words_in`` for each page):
    a 1600x1000 image with a few lines of text, and a two-page PDF storyboard (A4 landscape, read at 200 dpi).
    Empty when Tesseract is not here."""
    import io
    import random
    from types import SimpleNamespace

    from django.core.files.base import ContentFile
    from PIL import ImageDraw, ImageFont

    from haven.safeguarding import generate, ocr

    if not ocr.available():
        print("ocr: skipped, Tesseract with English and French is not installed")
        return {}
    rng = random.Random(15)  # noqa: S311 - bench data
    image = generate.scene(rng, "BACK TO SCHOOL", (1600, 1000))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    for line, text in enumerate(("Lincoln Elementary - Room 12", "Emma, 3rd grade", "New collection, in store now")):
        draw.rectangle((80, 560 + line * 70, 900, 620 + line * 70), fill="white")
        draw.text((100, 566 + line * 70), text, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    files = {"image": out.getvalue(), "pdf": generate.pdf_file(rng, "Storyboard", (842, 595))}
    found: dict[str, object] = {}
    for kind, data in files.items():
        asset = SimpleNamespace(kind=kind, file=ContentFile(data), contact_sheet=None)
        samples, words = [], 0
        for _ in range(3):
            began = time.perf_counter()
            words = sum(len(ocr.words_in(page)) for page in ocr.pages_of(asset))  # type: ignore[arg-type]
            samples.append(time.perf_counter() - began)
        found[f"ocr_{kind}_s"] = round(statistics.median(samples), 2)
        found[f"ocr_{kind}_words"] = words
        print(f"{'ocr ' + kind:<44}{found[f'ocr_{kind}_s']:>12.2f} s ({words} words)")
    return found


def _money_cold(admin: Any) -> float:
    """The median of three first views of the program admin's money page after its money version moved (what a
    write to the money does: the books are built again), the other figures' caches warm. 0 before the money
    version exists."""
    from haven.programs.models import Program

    try:
        from haven.grants import version as money_version
    except ImportError:
        return 0.0
    program = Program.objects.dangerously_unscoped().order_by("-starts_on").first()
    admin.get("/reporting/money/")
    samples = []
    for _ in range(3):
        money_version.bump(program)
        began = time.perf_counter()
        admin.get("/reporting/money/")
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def _time_page(client: Any, url: str, count: int, connection: Any, capture: Any) -> tuple[float, int, float]:
    """The median ms of ``count`` requests after one untimed request (which warms the caches), the queries of
    one more, and the fastest request (the least disturbed by other work on the machine)."""
    if client.get(url).status_code != 200:
        raise SystemExit(f"{url} did not answer 200")
    times = []
    for _ in range(count):
        began = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    with capture(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries), min(times)


def _stored(path: Path) -> Path:
    return path.with_suffix(".json")


def _stored_generate_s(path: Path) -> float | None:
    """The generation time kept beside the database when it was made (None for a database made before)."""
    try:
        return json.loads(_stored(path).read_text())["generate_s"]
    except (OSError, ValueError, KeyError):
        return None


def _drop_if_stale(path: Path, tables: list[str]) -> None:
    """A bench database without rows in one of ``tables`` (the care records, every table of kept reporting cells)
    is generated again: it was made before they existed, or its generation did not finish."""
    import sqlite3

    if not path.exists():
        return
    with sqlite3.connect(path) as db:

        def has_rows(table: str) -> bool:
            exists = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
            if not exists.fetchone()[0]:
                return False
            return bool(db.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0])  # noqa: S608

        empty = [table for table in tables if not has_rows(table)]
    if empty:
        print(f"var/{path.name} is stale (no rows in {', '.join(empty)}): generating it again.")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _stored(path).unlink(missing_ok=True)


def _drop_if_stale_postgres(path: Path, tables: list[str]) -> None:
    """As :func:`_drop_if_stale`, for the bench's PostgreSQL database: its tables are dropped to generate it again."""
    from django.db import connection

    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        if not present:
            return
        empty = []
        for table in tables:
            if table not in present:
                empty.append(table)
                continue
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")  # noqa: S608
            if not cursor.fetchone()[0]:
                empty.append(table)
        if empty:
            print(f"The bench database is stale (no rows in {', '.join(empty)}): generating it again.")
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            _stored(path).unlink(missing_ok=True)
    connection.close()


IMPORT_RUNS = 5


def _import_speed() -> dict[str, object]:
    """Apply (which plans every row again, as the dry run does) a course-completion file naming every clinician of
    the program, rolled back: one untimed run, then the median of IMPORT_RUNS."""
    from django.db import transaction

    from haven.accounts.models import User
    from haven.organizations.models import Membership
    from haven.training import imports, selectors
    from haven.training.models import Enrollment, Placement

    admin = User.objects.get(email="program.admin@haven.example")
    membership = Membership.objects.of_user(admin).select_related("organization").get()
    program = selectors.program_for(membership)
    in_program = set(
        Enrollment.objects.dangerously_unscoped()
        .filter(program=program)
        .exclude(placement=Placement.WITHDRAWN)
        .values_list("clinician_id", flat=True)
    )
    emails = sorted(
        email
        for email, (user_id, _cac) in imports._clinicians_by_email(membership, program).items()
        if user_id in in_program
    )
    rows = [{"line": line, "email": email, "completed_on": "2025-01-15"} for line, email in enumerate(emails, start=2)]
    times = []
    for _ in range(IMPORT_RUNS + 1):  # the first untimed, like the pages
        began = time.perf_counter()
        with transaction.atomic():
            plan = imports.apply(
                actor=admin, membership=membership, program=program, kind="course", rows=rows, file_name="bench.csv"
            )
            transaction.set_rollback(True)
        times.append(time.perf_counter() - began)
    elapsed = statistics.median(times[1:])
    return {
        "import_rows": len(rows),
        "import_rows_per_s": round(len(rows) / elapsed),
        "import_runs": IMPORT_RUNS,
        "import_errors": plan.count("error"),
    }


if __name__ == "__main__":
    main()
