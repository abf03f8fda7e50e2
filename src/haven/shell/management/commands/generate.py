import random
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from haven.api import generate as api
from haven.audit import services as audit
from haven.awareness import generate as awareness
from haven.care import generate as care
from haven.core.dates import add_months
from haven.core.generation import SCALES, GenerationContext
from haven.evaluation import generate as evaluation
from haven.grants import generate as grants
from haven.learning import generate as learning
from haven.organizations import generate as organizations
from haven.organizations.models import Organization
from haven.programs import generate as programs
from haven.reporting import generate as reporting
from haven.safeguarding import generate as safeguarding
from haven.training import generate as training

# Every app's step, in the order their data depend on: certification needs the completed cases, and reporting
# keeps what all of them wrote; the money pillar's grants wait for their figures. The company's staff learning
# needs only the organizations and the program its figure counts toward.
STEPS: tuple[Callable[[GenerationContext], None], ...] = (
    # The creative reviews' files, made in another process from the start (bench scales: they need no row).
    safeguarding.ahead,
    organizations.run,
    programs.run,
    learning.run,
    training.run,
    # Care's plans, made in another process while the creative reviews keep this one busy (bench scales).
    care.ahead,
    # The creative reviews: they need no care row, and draw from a seeded generator of their own.
    safeguarding.run,
    care.run,
    training.certify,
    reporting.run,
    grants.run,
    # The campaigns, which the ready reviews clear.
    awareness.run,
    # A second program admin (no export by one person alone) and a request waiting for their decision.
    evaluation.run,
    # The API's sample key for one demo CAC, derived from the seed (demo_logins prints it again).
    api.run,
)


# SQLite's page cache while generating, in KiB, where 256 MiB is not enough.
CACHE_KIB = {"national": 3 * 1024 * 1024}


def default_start() -> date:
    """The program starts 18 months before this month, so the demo shows a programme half-way through."""
    today = timezone.now().date()
    return add_months(date(today.year, today.month, 1), -18)


class Command(BaseCommand):
    help = "Fill an empty database with deterministic, realistic program data at a given scale."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--start", type=date.fromisoformat, default=None, help="program start (YYYY-MM-DD)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if the database holds data")

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "HAVEN_ALLOW_DEMO_DATA", False):
            # Generated people share a published demo password and seeded second factors.
            raise CommandError("Refused: generated data is for the demo, tests and benchmarks, not a deployment.")
        if Organization.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data: nothing generated.")
                return
            raise CommandError("The database already holds data; generate into an empty one.")
        scale = SCALES[options["scale"]]
        start = options["start"] or default_start()
        ctx = GenerationContext(scale=scale, seed=options["seed"], start=start, rng=random.Random(options["seed"]))
        began = time.perf_counter()
        # Outside a transaction only (a test's is open already): SQLite changes neither inside one.
        bulk_sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
        if connection.vendor == "sqlite":
            # Millions of rows go through the tables' indexes in one transaction: a page cache for this connection
            # keeps them in memory instead of spilling to the journal (SQLite's default is 2 MiB). National scale's
            # database is about 3 GB: with 256 MiB its index pages were spilled and written again and again.
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB.get(scale.name, 262_144)}")
        journal_changed = False
        if bulk_sqlite:
            with connection.cursor() as cursor:
                # The foreign keys are checked once, every table in one pass, before the commit (below), rather than
                # a lookup of each parent as each of millions of rows goes in (a quarter of the sessions' insert).
                cursor.execute("PRAGMA foreign_keys = OFF")
            if scale.name in ROLLBACK_JOURNAL_SCALES:
                journal_changed = _rollback_journal()
        try:
            with transaction.atomic():
                for step in STEPS:
                    step(ctx)
                audit.record(
                    actor=None,
                    action="data.generate",
                    detail={"scale": scale.name, "seed": ctx.seed, **ctx.counts},
                )
                if bulk_sqlite:
                    _check_foreign_keys()
        finally:
            for pool in ctx.pools:
                pool.shutdown(cancel_futures=True)
            if bulk_sqlite:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA foreign_keys = ON")
                    if journal_changed:
                        cursor.execute("PRAGMA journal_mode = WAL")
        elapsed = time.perf_counter() - began
        summary = ", ".join(f"{n:,} {name}" for name, n in ctx.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Generated {scale.name} scale (seed {ctx.seed}) in {elapsed:.1f}s: {summary}.")
        )


# The scales whose generation fills an empty SQLite database through a rollback journal (``_rollback_journal``):
# the bench's, made by a process of their own. The demo's is small, and made by tests beside a live server.
ROLLBACK_JOURNAL_SCALES = frozenset({"program", "national"})


def _rollback_journal() -> bool:
    """A rollback journal while the empty database fills: the pages a transaction adds to the file are written once,
    where in WAL mode each is written to the log and then copied into the file (about 3 GB twice at national scale).
    SQLite leaves WAL only when no other connection has the database open; otherwise the generation keeps WAL.
    Whether the journal changed (the database goes back to WAL, which Haven serves with, after)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = DELETE")
            (mode,) = cursor.fetchone()
    except OperationalError:  # another connection holds the database: WAL it stays
        return False
    return str(mode).lower() == "delete"


def _check_foreign_keys() -> None:
    """Every row's foreign keys name a row that exists (SQLite's own check of the whole database): a row that does
    not stops the generation, and its transaction is rolled back."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        broken = cursor.fetchmany(5)
    if broken:
        raise CommandError(f"Rows naming rows that do not exist (table, row, parent): {broken}")
