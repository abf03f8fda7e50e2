"""The workforce funnel, defined once: the workforce page, the program dashboard, the funder's tables, the quarterly
report and the forecast all count clinicians with :func:`funnel` over :func:`program_clinicians`.

Each step is a subset of the one before: every clinician nominated by their CAC; those placed in a cohort (still
on the path, trained, certified, or withdrawn after their placement); those trained; those certified. Awaiting a
place, waitlisted and withdrawn say where the others stand. Trained and certified count the clinicians who reached
the step within a period (every month of the program by default); the other steps are as of the day the paths are
read.
"""

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from haven.core.dates import add_months, month_of
from haven.programs.models import Program

from . import path, selectors, version
from .models import Enrollment
from .path import Requirement, Status
from .selectors import EnrollmentPath


class Clinician(NamedTuple):
    """One enrollment's place on the path, as the figures need it (no name). A plain tuple: tens of thousands are
    made for a first view at national scale."""

    state: str
    cohort_id: int | None
    cohort_name: str
    status: str
    placed_on: date | None
    trained_on: date | None
    certified_on: date | None
    cohort_start: date | None
    # What says whether an enrolled trainee is falling behind (``dashboard.lag``).
    placement: str = ""
    consultation_due: date | None = None
    calls_held: int = 0
    calls_attended: int = 0

    @property
    def trained(self) -> bool:
        return self.status in TRAINED

    @property
    def placed(self) -> bool:
        """Placed in a cohort, whatever happened since (a withdrawal from a cohort keeps the placement)."""
        if self.status == Status.WITHDRAWN:
            return self.cohort_id is not None
        return self.status in PLACED


PLACED = frozenset((Status.ENROLLED, Status.TRAINED, Status.CERTIFIED))
TRAINED = frozenset((Status.TRAINED, Status.CERTIFIED))


def clinician_of(path: EnrollmentPath) -> Clinician:
    enrollment, state = path.enrollment, path.state
    cohort = enrollment.cohort
    return Clinician(
        state=enrollment.organization.state,
        cohort_id=enrollment.cohort_id,
        cohort_name=cohort.name if cohort else "",
        status=state.status,
        placed_on=enrollment.live_training_on,
        trained_on=state.trained_on,
        certified_on=state.certified_on,
        cohort_start=cohort.starts_on if cohort else None,
        placement=enrollment.placement,
        consultation_due=state.step(Requirement.CONSULTATION).due_by,
        calls_held=path.calls_held,
        calls_attended=path.calls_attended,
    )


def program_clinicians(program: Program) -> list[Clinician]:
    """Every enrollment of the program on its path, read from the kept paths (``kept``) and read on today.

    Held in the process, not in Django's cache: the local-memory cache pickles what it stores and unpickles it on
    every read, and tens of thousands of rows at national scale cost more to copy than to read again. Each call
    reads the workforce version (``version.state``) from the database, so every process sees a write at once; after
    a write only the paths it stamped are read again (one clinician, a cohort, a CAC's clinicians), and the program's
    paths are read whole only on a new day, a new epoch or in a new process."""
    return _current(program).rows


def per_cohort[T](program: Program, kind: Hashable, summarize: Callable[[Iterable[Clinician]], T]) -> dict[Any, T]:
    """``summarize`` of each cohort's clinicians (under None, those in no cohort), as :func:`program_clinicians`
    holds them: asked again only for the cohorts whose clinicians changed since it was last asked in this process
    (``kind`` names the summary, with whatever it depends on besides the clinicians: a period, the day)."""
    held = _current(program)
    if len(_SUMMARIES) > MAX_SUMMARIES:
        _SUMMARIES.clear()
    result = {}
    for cohort_id, members in held.cohorts.items():
        key = (program.pk, kind, cohort_id)
        found = _SUMMARIES.get(key)
        if found is None or found[0] is not members:  # the same clinicians: the same dict, kept across writes
            found = _SUMMARIES[key] = (members, summarize(members.values()))
        result[cohort_id] = found[1]
    return result


def _current(program: Program) -> "_Held":
    today = timezone.now().date()
    now = version.state(program)
    held = _HELD.get(program.pk)
    if held is None or held.epoch != now.epoch or held.today != today or held.stamp > now.stamp:
        by_pk = _read(program, today)
        cohorts = _grouped(by_pk)
    elif held.stamp < now.stamp:  # the writes since: the paths they stamped
        fresh = _read(program, today, since=held.stamp)
        by_pk = held.by_pk | fresh
        cohorts = _regrouped(held, fresh)
    elif held.token == now.token:
        return held
    else:  # the same count, another write (a database restored under this process)
        by_pk = _read(program, today)
        cohorts = _grouped(by_pk)
    current = _Held(now.epoch, now.stamp, now.token, today, by_pk, list(by_pk.values()), cohorts)
    if not connection.in_atomic_block:
        # Only what was read outside a transaction is held: a transaction's own writes may yet be rolled back, and
        # their count given again to other writes.
        _HELD[program.pk] = current
    return current


def _grouped(by_pk: dict[int, Clinician]) -> dict[int | None, dict[int, Clinician]]:
    cohorts: dict[int | None, dict[int, Clinician]] = {}
    for pk, c in by_pk.items():
        cohorts.setdefault(c.cohort_id, {})[pk] = c
    return cohorts


def _regrouped(held: "_Held", fresh: dict[int, Clinician]) -> dict[int | None, dict[int, Clinician]]:
    """The held clinicians by cohort, with those read again: only the cohorts they left or joined are new dicts."""
    cohorts = dict(held.cohorts)
    copied: set[int | None] = set()

    def members(cohort_id: int | None) -> dict[int, Clinician]:
        if cohort_id not in copied:
            cohorts[cohort_id] = dict(cohorts.get(cohort_id, {}))
            copied.add(cohort_id)
        return cohorts[cohort_id]

    for pk, c in fresh.items():
        if (old := held.by_pk.get(pk)) is not None:
            del members(old.cohort_id)[pk]
        members(c.cohort_id)[pk] = c
    for cohort_id in copied:
        if not cohorts[cohort_id]:
            del cohorts[cohort_id]
    return cohorts


class _Held(NamedTuple):
    epoch: str
    stamp: int
    token: str
    today: date
    by_pk: dict[int, Clinician]
    rows: list[Clinician]
    cohorts: dict[int | None, dict[int, Clinician]]


_HELD: dict[int, _Held] = {}
_SUMMARIES: dict[tuple[int, Hashable, int | None], tuple[dict[int, Clinician], Any]] = {}
MAX_SUMMARIES = 100_000  # a few kinds of summary of a program's thousand cohorts, for a few programs


def forget() -> None:
    """Drop what this process holds (a test starting afresh, as a new process would)."""
    _HELD.clear()
    _SUMMARIES.clear()


DAY_COLUMNS = (
    "cohort__starts_on",
    "live_training_on",
    "kept_path__trained_from",
    "kept_path__trained_on",
    "kept_path__certified_on",
    "kept_path__certified_until",
    "kept_path__consultation_due",
)


def kept_clinicians(program: Program, today: date) -> list[Clinician]:
    """Every enrollment of the program from its kept path, read on ``today``: one query. An enrollment whose path
    is not kept (none should be: ``training_verify`` says) is derived on the spot."""
    return list(_read(program, today).values())


def _read(program: Program, today: date, since: int | None = None) -> dict[int, Clinician]:
    """The enrollments of the program by id, from their kept paths read on ``today``: all of them, or those whose
    path was stamped after the count ``since``.

    Tens of thousands of rows at national scale, sharing a few hundred dates: on SQLite the dates are read as text
    and each distinct one decoded once (Django's converter for each value cost more than the rest of the first
    view), and each distinct path is read on ``today`` once."""
    as_read = (lambda column: Cast(column, TextField())) if connection.vendor == "sqlite" else F
    days_read = {f"day{n}": as_read(column) for n, column in enumerate(DAY_COLUMNS)}
    enrollments = Enrollment.objects.of_program(program)
    if since is not None:
        enrollments = enrollments.filter(kept_path__program=program, kept_path__stamp__gt=since)
    rows = enrollments.annotate(**days_read).values_list(
        "pk",
        "organization__state",
        "cohort_id",
        "cohort__name",
        "placement",
        "kept_path__calls_held",
        "kept_path__calls_attended",
        "kept_path__base",
        *days_read,
    )
    days: dict[Any, date | None] = {None: None}

    def day(value: Any) -> date | None:
        found = days.get(value, MISSING)
        if found is MISSING:
            found = days[value] = value if isinstance(value, date) else date.fromisoformat(value[:10])
        return found  # type: ignore[return-value]

    read_on: dict[tuple[Any, ...], path.OnDay] = {}
    result: dict[int, Clinician] = {}
    missing = []
    for pk, state, cohort_id, cohort_name, placement, held, attended, base, start, placed_on, *dated in rows:
        if base is None:
            missing.append(pk)
            continue
        key = (base, *dated)
        read = read_on.get(key)
        if read is None:
            trained_from, trained_on, certified_on, until, due = map(day, dated)
            dates = path.Dated(Status(base), trained_from, trained_on, certified_on, until, due)
            read = read_on[key] = path.on(dates, today)
        result[pk] = Clinician(
            state,
            cohort_id,
            cohort_name or "",
            read.status,
            day(placed_on),
            read.trained_on,
            read.certified_on,
            day(start),
            placement,
            day(dated[-1]),
            held,
            attended,
        )
    if missing:
        paths = selectors.program_paths(Enrollment.objects.of_program(program).filter(pk__in=missing), program)
        result.update((p.enrollment.pk, clinician_of(p)) for p in paths)
    return result


MISSING = object()


@dataclass(frozen=True)
class Funnel:
    nominated: int = 0
    awaiting: int = 0  # nominated, not yet placed nor waitlisted
    waitlisted: int = 0
    placed: int = 0
    trained: int = 0
    certified: int = 0
    withdrawn: int = 0


def within_months(start: date, end: date) -> Callable[[date | None], bool]:
    """Whether a day falls within the months from ``start`` to ``end`` (first days, inclusive)."""
    # A day's month is from ``start`` on when the day is on or after the first first-of-month from ``start``, and up
    # to ``end``'s month when it is before the next month begins: two comparisons, no month made for each day.
    first = start if start.day == 1 else add_months(month_of(start), 1)
    after = add_months(month_of(end), 1)

    def within(day: date | None) -> bool:
        return day is not None and first <= day < after

    return within


def program_period(program: Program) -> Callable[[date | None], bool]:
    return within_months(month_of(program.starts_on), month_of(program.ends_on))


def funnel(rows: Iterable[Clinician], within: Callable[[date | None], bool]) -> Funnel:
    """The funnel of some clinicians; trained and certified count those who reached the step ``within`` a period."""
    # Plain counters (tens of thousands of rows at national scale, a funnel for each state and cohort).
    nominated = awaiting = waitlisted = placed = trained = certified = withdrawn = 0
    for row in rows:
        nominated += 1
        status = row.status
        if status == Status.NOMINATED:
            awaiting += 1
        elif status == Status.WAITLISTED:
            waitlisted += 1
        elif status == Status.WITHDRAWN:
            withdrawn += 1
        if row.placed:
            placed += 1
        if row.trained_on is not None and within(row.trained_on):
            trained += 1
        if row.certified_on is not None and within(row.certified_on):
            certified += 1
    return Funnel(
        nominated=nominated,
        awaiting=awaiting,
        waitlisted=waitlisted,
        placed=placed,
        trained=trained,
        certified=certified,
        withdrawn=withdrawn,
    )


def by_month(rows: Iterable[Clinician], months: list[date]) -> list[tuple[date, int, int]]:
    """At each month's end, the clinicians trained and certified so far (cumulative)."""
    return running(*months_reached(rows), months)


def months_reached(rows: Iterable[Clinician]) -> tuple[Counter[date], Counter[date]]:
    """How many clinicians were trained, and how many certified, in each month."""
    rows = list(rows)
    trained = Counter(month_of(c.trained_on) for c in rows if c.trained_on)
    certified = Counter(month_of(c.certified_on) for c in rows if c.certified_on)
    return trained, certified


def running(trained: Counter[date], certified: Counter[date], months: list[date]) -> list[tuple[date, int, int]]:
    """At each of ``months``' ends, the clinicians trained and certified from the first of them on."""
    result, running_trained, running_certified = [], 0, 0
    for month in months:
        running_trained += trained[month]
        running_certified += certified[month]
        result.append((month, running_trained, running_certified))
    return result
