"""The care figures kept up to date as records are written (docs/goals.md).

A dashboard that scans 55,000 children's sessions and measures on every view takes seconds. Instead each CAC's
care records are summed into :class:`CacCell` rows: one count per (month, figure, key), e.g. children first
served in March, or completed episodes whose CATS score fell by 12 points. The rows of one state are summed into
:class:`StateCell` rows, which is all a dashboard reads: some tens of thousands of small rows at program scale,
however many children there are.

Every care write calls :func:`refresh` for its CAC inside its own transaction. ``refresh`` computes the CAC's
cells from its raw rows with :func:`compute`, the same function a full recomputation uses over every CAC, and
writes only the cells that changed; then it moves its state's and the program's cells by as much. So the kept
cells always equal a recomputation (``manage.py reporting_verify`` checks a live database).

Every figure is counted on one kind of day of one row (``COUNTED_ON``): a session's day, an episode's referral,
first session or close, a child's first service. So a write that names the days it moved, by kind
(``CareChanged.days``: a session recorded or deleted, a measure, an episode opened, closed or reopened), has only
those months' figures of those kinds counted again: a session on an open episode recounts its month's sessions,
not the CAC's three years of everything. At national scale the largest CAC (100,000 sessions) takes about half a
second to count whole.

The cells (``figure``, ``key``), by month:

- ``children`` / ``caregivers``: children (caregivers) first served that month (``served``);
  ``age_band``, ``gender``, ``race``: the children first served that month, by group.
- ``referred``, ``started``, ``completed``, ``ended``: episodes referred, with a first session, completed or
  ended early that month; ``pre_post``: completed that month with a baseline and a post measure.
- ``sessions``: sessions held that month.
- ``wait``: days from referral to the first session, per started episode (key: the days, capped at 365).
- ``length``: sessions per completed episode (key: the number).
- ``practice_episodes``, ``practice_all``, ``practice``: completed TF-CBT episodes, those covering all eight
  PRACTICE components, and the episodes covering each component (key: the component).
- ``change``: completed episodes with a baseline and a post score, per instrument (key:
  ``instrument|post - pre|at or above the threshold at baseline|below it at post``, the threshold of clinically
  significant change under the instrument's criterion, both 0 for an instrument with none), and ``pre``: their
  baseline scores (key: ``instrument|score``). Reliable change needs the SD of the baseline scores of the group a
  figure is about, so the cells keep what classifying each pair needs rather than a classification. A definition
  that moves the threshold bumps its scoring version: ``rescore_assessments`` refreshes the cells.
"""

import functools
import operator
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum

from haven.care.models import Assessment, Episode, EpisodeStatus, Practice, Session
from haven.core.changes import CareDays
from haven.core.dates import add_months, month_of
from haven.core.db import MonthOf, insert_rows
from haven.measures import change, instruments
from haven.organizations.models import Organization
from haven.programs.models import Program

from .models import CacCell, ChildServed, ProgramCell, StateCell
from .outcomes import baseline_post_pairs

type CellKey = tuple[int, date, str, str]  # (CAC, month, figure, key)

WAIT_CAP = 365


def _scope(manager: Any, program: Program, cac_ids: set[int] | None) -> Any:
    if cac_ids is None:
        return manager.of_program(program)
    return manager.in_orgs(cac_ids).filter(program=program)


def _within(field: str, months: Iterable[date]) -> Q:
    """``field``'s day falls in one of ``months`` (at least one)."""
    return functools.reduce(
        operator.or_, (Q(**{f"{field}__gte": month, f"{field}__lt": add_months(month, 1)}) for month in months)
    )


# The kind of day each figure is counted on: the month of that day holds it (``CareDays``; children served's own).
COUNTED_ON = {
    **dict.fromkeys(("children", "age_band", "gender", "race", "caregivers"), "served"),
    "referred": "referrals",
    **dict.fromkeys(("started", "wait"), "first_sessions"),
    **dict.fromkeys(
        ("ended", "completed", "length", "pre_post", "practice_episodes", "practice_all", "practice", "change", "pre"),
        "closes",
    ),
    "sessions": "sessions",
}
FIGURES_ON = {kind: {f for f, k in COUNTED_ON.items() if k == kind} for kind in set(COUNTED_ON.values())}

type Months = dict[str, set[date]]  # by kind of day (``COUNTED_ON``), the months whose figures are recounted


@dataclass(frozen=True)
class Days:
    """The days a care write moved (``CareDays``) and those of the children served rows it moved."""

    care: CareDays
    served: frozenset[date]

    def months(self, program: Program) -> Months:
        """By kind of day, the months to count again: a referral or first session before the program started is
        counted in its first month."""
        opening = _opening(program)
        return {
            "served": {month_of(day) for day in self.served},
            "referrals": {max(opening, month_of(day)) for day in self.care.referrals},
            "first_sessions": {
                m for day in self.care.first_sessions for m in (month_of(day), max(opening, month_of(day)))
            },
            "closes": {month_of(day) for day in self.care.closes},
        }

    def sessions(self) -> Counter[date]:
        """By month, how many sessions the write added (or, negative, removed)."""
        moved: Counter[date] = Counter()
        for day, n in self.care.sessions:
            moved[month_of(day)] += n
        return moved


def _opening(program: Program) -> date:
    """The program's first month: an episode referred (or begun) before the program started is counted in it."""
    starts = program.starts_on
    return month_of(starts if isinstance(starts, date) else date.fromisoformat(str(starts)))


def compute(program: Program, cac_ids: Iterable[int] | None = None, months: Months | None = None) -> Counter[CellKey]:
    """The cells of some CACs (every CAC when ``cac_ids`` is None), from the raw rows. Given ``months``, only the
    figures of those months for each kind of day (``COUNTED_ON``), read from the rows counted in them; sessions
    are not counted then (``refresh`` moves them by the write's count)."""
    cacs = set(cac_ids) if cac_ids is not None else None
    cells: Counter[CellKey] = Counter()
    opening = _opening(program)
    every = months is None
    served_in, referred_in, first_in, closed_in = (
        set() if months is None else months.get(kind, set())
        for kind in ("served", "referrals", "first_sessions", "closes")
    )

    served = _scope(ChildServed.objects, program, cacs)
    if served_in:
        served = served.filter(_within("first_session_on", served_in) | _within("caregiver_first_on", served_in))
    elif not every:
        served = served.none()
    for org, first, caregiver_first, band, gender, race in served.values_list(
        "organization_id", "first_session_on", "caregiver_first_on", "age_band", "gender", "race_ethnicity"
    ):
        month = month_of(first)
        cells[org, month, "children", ""] += 1
        cells[org, month, "age_band", band] += 1
        cells[org, month, "gender", gender] += 1
        cells[org, month, "race", race] += 1
        if caregiver_first is not None:
            cells[org, month_of(caregiver_first), "caregivers", ""] += 1

    episodes = _scope(Episode.objects, program, cacs)
    if not every:
        counted_in = [
            *([_within("referred_on", referred_in)] if referred_in else []),
            *([Q(referred_on__lt=opening)] if opening in referred_in else []),
            *([_within("first_session_on", first_in)] if first_in else []),
            *([Q(first_session_on__lt=opening)] if opening in first_in else []),
            *([_within("closed_on", closed_in)] if closed_in else []),
        ]
        episodes = episodes.filter(functools.reduce(operator.or_, counted_in)) if counted_in else episodes.none()
    episodes = episodes.values_list(
        "pk",
        "organization_id",
        "status",
        "referred_on",
        "first_session_on",
        "closed_on",
        "sessions_count",
        "has_baseline",
        "has_post",
        "practice",
        "treatment_model__uses_practice",
    )
    completed_on: dict[int, tuple[int, date]] = {}
    episode_ids = []
    every_component = len(Practice.values)  # the enum's values are made again at each read
    for pk, org, status, referred, first, closed, length, baseline, post, practice, uses_practice in episodes:
        episode_ids.append(pk)
        cells[org, max(opening, month_of(referred)), "referred", ""] += 1
        if first is not None:
            began = max(opening, month_of(first))
            cells[org, began, "started", ""] += 1
            cells[org, began, "wait", str(min(WAIT_CAP, (first - referred).days))] += 1
        if status == EpisodeStatus.ENDED and closed is not None:
            cells[org, month_of(closed), "ended", ""] += 1
        if status != EpisodeStatus.COMPLETED or closed is None:
            continue
        month = month_of(closed)
        completed_on[pk] = (org, month)
        cells[org, month, "completed", ""] += 1
        cells[org, month, "length", str(length)] += 1
        if baseline and post:
            cells[org, month, "pre_post", ""] += 1
        if uses_practice:
            cells[org, month, "practice_episodes", ""] += 1
            if len(practice) == every_component:
                cells[org, month, "practice_all", ""] += 1
            for code in practice:
                cells[org, month, "practice", code] += 1

    if cacs is None:
        sessions = Session.objects.dangerously_unscoped().filter(episode__program=program)
    elif not every:
        sessions = Session.objects.none()
    else:
        # A CAC's sessions are its episodes' (a session belongs to its episode's CAC): named by the episodes just
        # read rather than joined to every session's episode (10,000 lookups for a national-scale CAC's write).
        sessions = Session.objects.in_orgs(cacs).filter(episode_id__in=episode_ids)
    for org, month, n in (
        sessions.annotate(m=MonthOf("held_on"))
        .values("organization_id", "m")
        .annotate(n=Count("id"))
        .values_list("organization_id", "m", "n")
    ):
        cells[org, month, "sessions", ""] += n

    if not every:
        completed_on = {pk: cell for pk, cell in completed_on.items() if cell[1] in closed_in}
    for ((org, month), (code, pre, post)), n in _pairs(program, cacs, completed_on, named=not every).items():
        threshold = instruments.load(code).threshold
        eligible = threshold is not None and not change.functional(pre, threshold)
        below = threshold is not None and change.functional(post, threshold)
        cells[org, month, "change", f"{code}|{post - pre}|{int(eligible)}|{int(below)}"] += n
        cells[org, month, "pre", f"{code}|{pre}"] += n
    if months is not None:
        return Counter({cell: n for cell, n in cells.items() if cell[1] in months.get(COUNTED_ON[cell[2]], ())})
    return cells


def _pairs(
    program: Program, cacs: set[int] | None, completed_on: dict[int, tuple[int, date]], *, named: bool = False
) -> Counter[tuple[tuple[int, date], tuple[str, int, int]]]:
    """(CAC, month completed) and (instrument, baseline, post) of each completed episode's pair of scores; only the
    measures of the episodes of ``completed_on`` when ``named`` (a few months' completions)."""
    assessments = Assessment.objects.of_program(program)
    if cacs is not None:  # a few months' completions: found through the episodes' index, not the CAC's
        assessments = assessments.in_orgs(cacs, by_organization=not named)
    if named:
        assessments = assessments.filter(episode_id__in=list(completed_on))
    pairs: Counter[tuple[tuple[int, date], tuple[str, int, int]]] = Counter()
    for (episode_id, code), (before, after) in baseline_post_pairs(assessments).items():
        if episode_id in completed_on:
            pairs[completed_on[episode_id], (code, before, after)] += 1
    return pairs


def hold(program: Program) -> None:
    """Lock the program's care cells until the writing transaction ends: one refresh of a program at a time (two
    CACs of one state moving the state's cells at once could each miss the other's), and what a refresh reads next
    is what the last one committed. Writes are short, and SQLite serializes them anyway."""
    Program.objects.in_org(program.organization_id).select_for_update().filter(pk=program.pk).values_list(
        "pk", flat=True
    ).first()


@transaction.atomic
def refresh(program: Program, cac_id: int, *, days: Days | None = None) -> None:
    """Bring one CAC's cells, and its state's, in line with its raw rows (call inside the writing transaction):
    only the figures of the months ``days`` names when given, every figure otherwise."""
    hold(program)
    state = Organization.objects.values_list("state", flat=True).get(pk=cac_id)
    rows = CacCell.objects.in_org(cac_id).filter(program=program)
    # A CAC's cells are all of one state (they move together): one row says which.
    moved = set(rows.values_list("state", flat=True)[:1]) - {state}
    months, sessions = None, Counter[date]()
    if moved:  # the CAC is now in another state: its cells move with it, every month
        rows.delete()
    elif days is not None:
        months, sessions = days.months(program), days.sessions()
        named = [Q(month__in=ms, figure__in=FIGURES_ON[kind]) for kind, ms in months.items() if ms]
        named += [Q(month__in=sessions, figure="sessions")] if sessions else []
        if not named:  # e.g. a measure of an episode still open: no figure counts it yet
            return
        rows = rows.filter(functools.reduce(operator.or_, named))
    fresh = {(m, figure, key): n for (_org, m, figure, key), n in compute(program, [cac_id], months).items() if n}
    # Plain rows: a CAC has hundreds of cells, of which a write changes a few.
    stored = {(m, f, k): (pk, n) for pk, m, f, k, n in rows.values_list("pk", "month", "figure", "key", "n")}
    for month, n in sessions.items():  # the sessions the write added or removed, on their month's count
        if total := stored.get((month, "sessions", ""), (None, 0))[1] + n:
            fresh[month, "sessions", ""] = total
    gone = [pk for cell, (pk, _n) in stored.items() if cell not in fresh]
    changed = [CacCell(pk=pk, n=fresh[cell]) for cell, (pk, n) in stored.items() if cell in fresh and n != fresh[cell]]
    added = [
        CacCell(organization_id=cac_id, program=program, state=state, month=m, figure=f, key=k, n=n)
        for (m, f, k), n in fresh.items()
        if (m, f, k) not in stored
    ]
    if not (gone or changed or added or moved):
        return
    deltas = {cell: fresh.get(cell, 0) - (stored[cell][1] if cell in stored else 0) for cell in fresh.keys() | stored}
    CacCell.objects.in_org(cac_id).filter(pk__in=gone).delete()
    CacCell.objects.in_org(cac_id).bulk_update(changed, ["n"], batch_size=500)
    CacCell.objects.bulk_create(added, batch_size=1000)
    if moved:  # rare: both states summed again from their CACs' cells
        for changed_state in {state} | moved:
            _sum_state(program, changed_state)
        return
    # The state's and the program's cells move by what the CAC's moved: a handful of rows, where summing the
    # state's CACs again read thousands on every write.
    deltas = {cell: d for cell, d in deltas.items() if d}
    _add(StateCell.objects.of_program(program).filter(state=state), deltas, program=program, state=state)
    _add(ProgramCell.objects.of_program(program), deltas, program=program)


def refresh_all(program: Program) -> None:
    """Every CAC's cells again (after the program's period changed, and by the generator). Written as plain rows
    (``insert_rows``): at program scale there are hundreds of thousands."""
    columns = ["organization_id", "program_id", "state", "month", "figure", "key", "n"]
    with transaction.atomic():
        CacCell.objects.of_program(program).delete()
        StateCell.objects.of_program(program).delete()
        ProgramCell.objects.of_program(program).delete()
        states = dict(
            Organization.objects.filter(pk__in=_cacs_with_records(program)).values_list("pk", "state").order_by()
        )
        fresh = compute(program)
        insert_rows(
            CacCell,
            columns,
            ((org, program.pk, states[org], m, f, k, n) for (org, m, f, k), n in fresh.items() if n),
        )
        by_state: Counter[tuple[str, date, str, str]] = Counter()
        for (org, month, figure, key), n in fresh.items():
            by_state[states[org], month, figure, key] += n
        insert_rows(
            StateCell,
            columns,
            ((program.organization_id, program.pk, *cell, n) for cell, n in by_state.items() if n),
        )
        by_month: Counter[tuple[date, str, str]] = Counter()
        for (_state, month, figure, key), n in by_state.items():
            by_month[month, figure, key] += n
        insert_rows(
            ProgramCell,
            ["organization_id", "program_id", "month", "figure", "key", "n"],
            ((program.organization_id, program.pk, *cell, n) for cell, n in by_month.items() if n),
        )


def _cacs_with_records(program: Program) -> set[int]:
    return set(Episode.objects.of_program(program).order_by().values_list("organization_id", flat=True).distinct())


def _sum_state(program: Program, state: str) -> None:
    """A state's cells summed again from its CACs' (a CAC moved in or out of it), and the program's moved by as
    much."""
    fresh = {
        (month, figure, key): n
        for month, figure, key, n in CacCell.objects.of_program(program)
        .filter(state=state)
        .values("month", "figure", "key")
        .annotate(total=Sum("n"))
        .values_list("month", "figure", "key", "total")
        .order_by()
    }
    stored = {
        (row.month, row.figure, row.key): row
        for row in StateCell.objects.of_program(program).filter(state=state).only("pk", "month", "figure", "key", "n")
    }
    deltas: Counter[tuple[date, str, str]] = Counter()
    for cell, row in stored.items():
        deltas[cell] += fresh.get(cell, 0) - row.n
    for cell, n in fresh.items():
        if cell not in stored:
            deltas[cell] += n
    StateCell.objects.of_program(program).filter(pk__in=[r.pk for c, r in stored.items() if c not in fresh]).delete()
    changed = []
    for cell, row in stored.items():
        if cell in fresh and row.n != fresh[cell]:
            row.n = fresh[cell]
            changed.append(row)
    StateCell.objects.of_program(program).bulk_update(changed, ["n"], batch_size=500)
    _add(ProgramCell.objects.of_program(program), {cell: d for cell, d in deltas.items() if d}, program=program)
    StateCell.objects.bulk_create(
        (
            StateCell(
                organization_id=program.organization_id, program=program, state=state, month=m, figure=f, key=k, n=n
            )
            for (m, f, k), n in fresh.items()
            if (m, f, k) not in stored
        ),
        batch_size=1000,
    )


def _add(rows: Any, deltas: dict[tuple[date, str, str], int], *, program: Program, **columns: str) -> None:
    """Add ``deltas`` (by month, figure and key) to the cells ``rows`` holds (a state's or the program's), making
    the cells that are new and deleting those that fall to zero."""
    if not deltas:
        return
    model = rows.model
    rows = rows.filter(month__in={m for m, _f, _k in deltas}, figure__in={f for _m, f, _k in deltas})
    current = {(row.month, row.figure, row.key): row for row in rows.only("pk", "month", "figure", "key", "n")}
    gone, changed, added = [], [], []
    for cell, delta in deltas.items():
        row = current.get(cell)
        if row is None:
            month, figure, key = cell
            added.append(
                model(
                    organization_id=program.organization_id,
                    program=program,
                    month=month,
                    figure=figure,
                    key=key,
                    n=delta,
                    **columns,
                )
            )
        elif row.n + delta == 0:
            gone.append(row.pk)
        else:
            row.n += delta
            changed.append(row)
    scoped = model.objects.of_program(program)
    scoped.filter(pk__in=gone).delete()
    scoped.bulk_update(changed, ["n"], batch_size=500)
    scoped.bulk_create(added, batch_size=1000)


def differences(program: Program) -> list[str]:
    """Where the kept cells differ from a full recomputation from the raw rows (empty when they agree)."""
    problems = []
    fresh = {cell: n for cell, n in compute(program).items() if n}
    kept_cells = {
        (org, month, figure, key): n
        for org, month, figure, key, n in CacCell.objects.of_program(program).values_list(
            "organization_id", "month", "figure", "key", "n"
        )
    }
    for cell in sorted(set(fresh) | set(kept_cells), key=str):
        if fresh.get(cell, 0) != kept_cells.get(cell, 0):
            org, month, figure, key = cell
            problems.append(
                f"CAC {org} {month:%Y-%m} {figure}:{key}: kept {kept_cells.get(cell, 0)}, raw rows {fresh.get(cell, 0)}"
            )
    states = dict(Organization.objects.filter(pk__in={c[0] for c in fresh}).values_list("pk", "state"))
    by_state: Counter[tuple[str, date, str, str]] = Counter()
    for (org, month, figure, key), n in fresh.items():
        by_state[states[org], month, figure, key] += n
    kept_states = {
        (state, month, figure, key): n
        for state, month, figure, key, n in StateCell.objects.of_program(program).values_list(
            "state", "month", "figure", "key", "n"
        )
    }
    by_month: Counter[tuple[date, str, str]] = Counter()
    for (_state, month, figure, key), n in by_state.items():
        by_month[month, figure, key] += n
    kept_program = {
        (month, figure, key): n
        for month, figure, key, n in ProgramCell.objects.of_program(program).values_list("month", "figure", "key", "n")
    }
    for program_cell in sorted(set(by_month) | set(kept_program), key=str):
        want, have = by_month.get(program_cell, 0), kept_program.get(program_cell, 0)
        if want != have:
            month, figure, key = program_cell
            problems.append(f"program {month:%Y-%m} {figure}:{key}: kept {have}, raw rows {want}")
    for state_cell in sorted(set(by_state) | set(kept_states), key=str):
        want, have = by_state.get(state_cell, 0), kept_states.get(state_cell, 0)
        if want != have:
            state, month, figure, key = state_cell
            problems.append(f"{state} {month:%Y-%m} {figure}:{key}: kept {have}, raw rows {want}")
    return problems
