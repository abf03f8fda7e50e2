"""The funder's figures, released one closed quarter at a time, so that no two releases can be differenced.

A report as of one quarter's end shows every cell protected together (``tables``). Reports of different quarters
share cells: a state's children to date in two successive reports, subtracted, give the children first served there
in between; a quarter's count revised by a late record gives the revision. So the cells of a quarter are released
once, the first time any report needs them, and kept (:class:`ReleasedQuarter`): that quarter's report shows the
same numbers ever after, and each quarter released later is protected with every earlier release as context:

* a cell published earlier is known to the reader: it stays published (``disclosure.protect(published=...)``);
* a cell withheld or hidden earlier stays unknown, and the earlier relations come along, so that the new cells
  cannot pin it down either;
* a cell that reads the same as in the release before it keeps the status it had there (a reader carries the
  latest figure they saw forward);
* every pair of releases is linked, cell by cell: when its values differ by 1 to 10 the difference is a hidden
  cell linking them, protected like any small count (it counts the children, say, served in a state between the
  two quarters).

Each cell says whether it is derived from care records (``Cells.add(..., care=...)``). Those are protected as above;
the others (clinicians placed, trained and certified, the targets) are released exactly (``EXACT``), never withheld,
never a hidden difference between releases, and no relation links them with a care cell. A few care cells are
headlines (children and caregivers served, the program's totals), withheld only when nothing else protects.

Revisions still reach the funder: a late record shows up in the next quarter released, protected as above. Nothing
the funder or the public reads about a released quarter comes from anywhere else: its targets are released with it.
"""

from collections.abc import Hashable, Iterable
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.utils import timezone

from haven.audit import services as audit
from haven.core.dates import month_of, quarter_end
from haven.measures import change
from haven.programs.models import Program

from . import disclosure, figures
from .figures import Filters, program_quarters
from .models import ReleasedQuarter

PUBLISHED, SUPPRESSED, HIDDEN, EXACT = "p", "s", "h", "e"


def released(program: Program, quarter: date) -> disclosure.Protected:
    """The protected cells of the report as of ``quarter``, releasing it, and every quarter of the program before
    it not yet released, first. Only a quarter that has ended can be released: its figures are final then."""
    if quarter_end(quarter) >= timezone.now().date():
        raise ValueError(f"the quarter of {quarter} has not ended: it cannot be released")
    row = ReleasedQuarter.objects.of_program(program).filter(quarter=quarter).first()
    if row is not None:
        return protected(row)
    with transaction.atomic():
        # One release of a program at a time (the same lock as the kept cells' refresh).
        Program.objects.in_org(program.organization_id).select_for_update().filter(pk=program.pk).values_list(
            "pk", flat=True
        ).first()
        rows = {row.quarter: row for row in ReleasedQuarter.objects.of_program(program)}
        for q in program_quarters(program, quarter):
            if q not in rows:
                rows[q] = _release(program, q, list(rows.values()))
    return protected(rows[quarter])


def _release(program: Program, quarter: date, earlier: list[ReleasedQuarter]) -> ReleasedQuarter:
    row = release(quarter, quarter_cells(program, quarter), earlier)
    row.organization_id, row.program = program.organization_id, program
    row.save()
    audit.record(
        actor=None,
        action="report.release",
        organization=program.organization_id,
        target=row,
        detail={
            "quarter": quarter.isoformat(),
            "cells": len(row.cells),
            "withheld": sum(1 for _key, _n, status in row.cells if status == SUPPRESSED),
        },
    )
    return row


def release(quarter: date, cells: "Cells", earlier: Iterable[ReleasedQuarter]) -> ReleasedQuarter:
    """The release of ``cells`` as of ``quarter``, protected with the ``earlier`` releases (not saved)."""
    protected = _protect_with(quarter, cells, earlier)
    return ReleasedQuarter(
        quarter=quarter,
        cells=[[_encode(key), n, _status(protected, key)] for key, n in cells.values.items()],
        relations=[[_encode(r.total), [_encode(p) for p in r.parts]] for r in cells.relations],
    )


def protected(row: ReleasedQuarter) -> disclosure.Protected:
    """A release's cells as a protected table, for display."""
    values: dict[Hashable, int] = {}
    statuses: dict[str, set[Hashable]] = {SUPPRESSED: set(), HIDDEN: set(), EXACT: set(), PUBLISHED: set()}
    for key, n, status in row.cells:
        key = _decode(key)
        values[key] = n
        statuses[status].add(key)
    return disclosure.Protected(
        values=MappingProxyType(values),
        suppressed=frozenset(statuses[SUPPRESSED]),
        hidden=frozenset(statuses[HIDDEN]),
        exact=frozenset(statuses[EXACT]),
    )


def _protect_with(quarter: date, cells: "Cells", earlier: Iterable[ReleasedQuarter]) -> disclosure.Protected:
    """Protect ``cells`` together with the earlier releases (their cells fixed as they were released), every pair
    of releases linked, and slice the new cells out."""
    here = quarter.isoformat()
    values: dict[Hashable, int] = {(here, key): n for key, n in cells.values.items()}
    relations = [_prefixed(here, r) for r in cells.relations]
    hidden: set[Hashable] = {(here, key) for key in cells.hidden}
    exact: set[Hashable] = {(here, key) for key in cells.exact}
    published: set[Hashable] = set()
    releases: list[tuple[str, dict[Hashable, int]]] = []
    for row in earlier:
        then = row.quarter.isoformat()
        counts: dict[Hashable, int] = {}
        for encoded, n, status in row.cells:
            key = _decode(encoded)
            values[(then, key)] = n
            if status == EXACT:
                exact.add((then, key))
                continue
            counts[key] = n
            (published if status == PUBLISHED else hidden).add((then, key))
        relations += [
            _prefixed(then, disclosure.Relation(_decode(t), tuple(_decode(p) for p in parts)))
            for t, parts in row.relations
        ]
        releases.append((then, counts))
    # Only the cells derived from care records are compared between releases: the others are published each time.
    protected = {key: n for key, n in cells.values.items() if key not in cells.exact}
    releases.append((here, protected))
    releases.sort(key=lambda release: release[0])
    for index, (older, before) in enumerate(releases):
        for newer, after in releases[index + 1 :]:
            for key in before.keys() & after.keys():
                difference = after[key] - before[key]
                if 0 < abs(difference) < disclosure.THRESHOLD:
                    between = ("between", older, newer, key)
                    values[between] = abs(difference)
                    hidden.add(between)
                    up, down = ((newer, key), (older, key)) if difference > 0 else ((older, key), (newer, key))
                    relations.append(disclosure.Relation(up, (down, between)))
    # A reader carries a figure forward: a cell that reads the same as in the release next to this one (the latest
    # before it, or the first after it, that has the cell) keeps the status it has there. Withheld there, it stays
    # withheld (published here, it would give the other away); published there, it is known, so it is published.
    position = next(index for index, (name, _counts) in enumerate(releases) if name == here)
    for key, n in protected.items():
        neighbours = [
            next(((name, counts[key]) for name, counts in side if key in counts), None)
            for side in (reversed(releases[:position]), releases[position + 1 :])
        ]
        same = [name for name, count in filter(None, neighbours) if count == n]
        if any((name, key) not in published for name in same):
            hidden.add((here, key))
        elif same and (here, key) not in hidden:
            published.add((here, key))
    together = disclosure.protect(
        values,
        relations,
        hidden=hidden,
        published=published,
        exact=exact,
        headline={(here, key) for key in cells.headline},
    )
    return disclosure.Protected(
        values=MappingProxyType(dict(cells.values)),
        suppressed=frozenset(
            key for key in cells.values if key not in cells.hidden and not together.published((here, key))
        ),
        hidden=frozenset(cells.hidden),
        exact=frozenset(cells.exact),
    )


def _prefixed(prefix: str, relation: disclosure.Relation) -> disclosure.Relation:
    return disclosure.Relation((prefix, relation.total), tuple((prefix, part) for part in relation.parts))


def _status(protected: disclosure.Protected, key: Hashable) -> str:
    if key in protected.exact:
        return EXACT
    if key in protected.hidden:
        return HIDDEN
    return SUPPRESSED if key in protected.suppressed else PUBLISHED


def _encode(key: Hashable) -> Any:
    """A cell's key (a string, or a tuple of strings) as JSON."""
    return list(key) if isinstance(key, tuple) else key


def _decode(key: Any) -> Hashable:
    return tuple(key) if isinstance(key, list) else key


# -- The cells of one quarter's report ---------------------------------------------------------------------------


class Cells:
    """Collects cells (key -> true value), whether each is derived from care records, and the relations between
    them."""

    def __init__(self) -> None:
        self.values: dict[Hashable, int] = {}
        self.relations: list[disclosure.Relation] = []
        self.hidden: set[Hashable] = set()
        self.exact: set[Hashable] = set()  # not derived from care records: released as they are
        self.headline: set[Hashable] = set()  # withheld only when nothing else protects

    def add(self, key: Hashable, value: int, *, care: bool, headline: bool = False) -> Hashable:
        """A cell. ``care``: whether it counts children, caregivers, episodes, sessions, measures or outcomes (or
        anything else derived from care records), and so is protected; clinicians, cohorts, calls and targets are
        not, and are released exactly. ``headline``: a program-wide total the funder reads first."""
        self.values[key] = value
        if not care:
            self.exact.add(key)
        if headline:
            self.headline.add(key)
        return key

    def whole(self, total: Hashable, parts: list[Hashable]) -> None:
        """``total`` equals the sum of ``parts``; a remainder cell is added (hidden, for care records) when they
        fall short."""
        rest = self.values[total] - sum(self.values[p] for p in parts)
        if rest < 0 or (not parts and not rest):
            # Not a sum: the parts count things the total does not (nothing to derive), or there are none.
            return
        if rest:
            care = total not in self.exact
            # One remainder per breakdown: a total broken down several ways (episodes by each PRACTICE component)
            # has several. The first keeps the plain name that quarters released before used.
            key: Hashable = (*_as_tuple(total), "rest")
            n = 1
            while key in self.values:
                n += 1
                key = (*_as_tuple(total), "rest", n)
            key = self.add(key, rest, care=care)
            if care:
                self.hidden.add(key)
            parts = [*parts, key]
        self.relations.extend(disclosure.one_way(total, parts))


def _as_tuple(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def quarter_cells(program: Program, quarter: date) -> Cells:
    """Every cell the funder's report as of the end of ``quarter`` (its first day) can show, from the records as
    they are now, with the relations between them."""
    until = quarter_end(quarter)
    filters = Filters(end=month_of(until))
    work = figures.workforce(program, filters, today=until)
    reached = figures.care(program, filters, today=until)
    quarters = program_quarters(program, quarter)
    cells = Cells()
    care = {"trained": False, "certified": False, "children": True, "caregivers": True}

    # The targets, as they stood when the quarter was released.
    for metric, value in sorted(figures.targets(program).items()):
        cells.add(("target", metric), value, care=False)

    # Progress (cumulative to the quarter's end).
    cells.add("trained", work.trained, care=False)
    cells.add("certified", work.certified, care=False)
    cells.add("children", reached.children, care=True, headline=True)
    cells.add("caregivers", reached.caregivers, care=True, headline=True)
    cells.add("placed", work.placed, care=False)
    cells.whole("placed", ["trained"])
    cells.whole("trained", ["certified"])
    # Corporate staff educated: adults, released exactly, the program's total only (never by company,
    # department or country), and tied to nothing derived from care records.
    if figures.counts_staff(program):
        cells.add(figures.STAFF_EDUCATED, figures.staff_educated(program, until), care=False)

    _professional_cells(cells, program, until)

    # By quarter: what was new in each, and the running total.
    by_quarter = _quarterly(program, quarters, work, reached)
    for metric in ("trained", "certified", "children", "caregivers"):
        running = [
            cells.add(("q", q.isoformat(), metric, "cum"), by_quarter[q][metric][1], care=care[metric])
            for q in quarters
        ]
        new = [
            cells.add(("q", q.isoformat(), metric, "new"), by_quarter[q][metric][0], care=care[metric])
            for q in quarters
        ]
        _chain(cells, running, new)
    # The last running total is the program-to-date total: the same count under two keys, tied together.
    for metric in ("trained", "certified", "children", "caregivers"):
        cells.relations.extend(disclosure.one_way(metric, [("q", quarters[-1].isoformat(), metric, "cum")]))

    # By state: clinicians trained, children and caregivers served.
    states = sorted(set(work.by_state) | set(reached.by_state))
    for metric, source in (
        ("trained", lambda s: work.by_state.get(s, {}).get("trained", 0)),
        ("certified", lambda s: work.by_state.get(s, {}).get("certified", 0)),
        ("children", lambda s: reached.by_state.get(s, {}).get("children", 0)),
        ("caregivers", lambda s: reached.by_state.get(s, {}).get("caregivers", 0)),
    ):
        parts = [cells.add(("state", s, metric), source(s), care=care[metric]) for s in states]
        cells.whole(metric, parts)

    # Children by group.
    for group, rows in (("age_band", reached.age_band), ("gender", reached.gender), ("race", reached.race)):
        cells.whole("children", [cells.add((group, value), n, care=True) for value, n in rows])

    # Engagement: referred > first session > completed (or ended early).
    cells.add("referred", reached.referred, care=True, headline=True)
    cells.add("started", reached.started, care=True)
    cells.add("completed", reached.completed, care=True)
    cells.add("ended", reached.ended, care=True)
    cells.add("pre_post", reached.pre_post, care=True)
    cells.add("sessions", reached.sessions, care=True, headline=True)
    cells.whole("referred", ["started"])
    cells.whole("started", ["completed", "ended"])
    cells.whole("completed", ["pre_post"])

    # Outcomes per instrument.
    for item in reached.outcomes:
        out, code = item.outcome, item.code
        counts = out.counts or {}
        cells.add(("outcome", code, "n"), out.n, care=True, headline=True)
        keys = [cells.add(("outcome", code, c.value), counts.get(c, 0), care=True) for c in change.Change]
        if out.counts is not None:
            cells.whole(("outcome", code, "n"), keys)
        else:  # no reliable change can be judged (no SD or no reliability): not 0, not shown
            cells.hidden.update(keys)
        cells.add(("outcome", code, "eligible"), out.eligible_for_recovery, care=True)
        cells.whole(("outcome", code, "eligible"), [("outcome", code, change.Change.RECOVERED.value)])
        if out.recovered is None:  # no threshold of clinically significant change: recovery is not judged
            cells.hidden.update([("outcome", code, "eligible"), ("outcome", code, change.Change.RECOVERED.value)])

    # Fidelity.
    cells.add("practice_episodes", reached.practice_episodes, care=True, headline=True)
    cells.add("practice_all", reached.practice_all, care=True)
    cells.whole("practice_episodes", ["practice_all"])
    for code, n in reached.practice:
        cells.add(("practice", code), n, care=True)
        cells.whole("practice_episodes", [("practice", code)])
    return cells


def _chain(cells: Cells, running: list[Hashable], new: list[Hashable]) -> None:
    """Running totals: each quarter's total is the previous total plus the quarter's new count."""
    for index, (total, added) in enumerate(zip(running, new, strict=True)):
        parts = [added] if index == 0 else [running[index - 1], added]
        cells.relations.extend(disclosure.one_way(total, parts))


def _quarterly(
    program: Program, quarters: list[date], work: figures.Workforce, reached: figures.Care
) -> dict[date, dict[str, tuple[int, int]]]:
    """Per quarter and metric: (new in the quarter, running total at its end)."""
    monthly: dict[str, dict[date, int]] = {"trained": {}, "certified": {}, "children": {}, "caregivers": {}}
    for month, trained, certified in work.by_month:
        monthly["trained"][month], monthly["certified"][month] = trained, certified
    for month, children, caregivers in reached.by_month:
        monthly["children"][month], monthly["caregivers"][month] = children, caregivers
    result: dict[date, dict[str, tuple[int, int]]] = {}
    for q in quarters:
        result[q] = {}
        last = month_of(quarter_end(q))
        before = month_of(q - timedelta(days=1))
        for metric, series in monthly.items():
            running = _at(series, last)
            result[q][metric] = (running - _at(series, before), running)
    return result


def _at(series: dict[date, int], month: date) -> int:
    """The running total at the end of ``month`` (the last month before it when missing; 0 before any)."""
    known = [m for m in series if m <= month]
    return series[max(known)] if known else 0


def _professional_cells(cells: Cells, program: Program, until: date) -> None:
    """The creative reviews and the awareness campaigns of the program's companies to the quarter's end: counts of
    professional work and of the public reached, not derived from care records, so released exactly (and rounded on
    the public page). Nothing names a person, a submission or a company: a failed checklist item is its code, a
    campaign its id (its name is read when shown), a place a country. A quarter released before a program had any
    keeps its cells."""
    reviewed = figures.reviews(program, until)
    if reviewed.total:
        for name in REVIEW_CELLS:
            cells.add(("review", name), getattr(reviewed, name), care=False)
        if reviewed.median_working_days is not None:
            # Half days: the median of whole days is a whole or a half.
            cells.add(("review", "median_half_days"), round(2 * reviewed.median_working_days), care=False)
        for item in reviewed.failed:
            cells.add(("review_failed", item.code), item.count, care=False)
    reached = figures.awareness(program, until)
    if reached.any:
        for metric in figures.AWARENESS_METRICS:
            cells.add(("awareness", metric), getattr(reached.total, metric), care=False)
        for by, rows in (
            ("campaign", [(str(pk), r) for pk, _name, r in reached.by_campaign]),
            ("month", [(month.isoformat(), r) for month, r in reached.by_month]),
            ("country", reached.by_country),
        ):
            for key, figure in rows:
                for metric in figures.AWARENESS_METRICS:
                    cells.add((f"awareness_{by}", key, metric), getattr(figure, metric), care=False)


REVIEW_CELLS = ("approved", "rejected", "in_review", "decided", "sent_back")
