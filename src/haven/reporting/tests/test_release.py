"""Quarterly releases against differencing (reference/privacy.md: "different date windows must not let a small cell
be recovered"), over plain data: a state breakdown released quarter after quarter, as children are served and
records are revised.

A reader keeps every release, and carries a figure forward (or back) to the next release when it reads the same
there. What they
can work out is checked independently of the module, as in ``test_disclosure``: for each withheld count of 1 to 10,
and each difference of 1 to 10 between one cell's values in two releases, another set of tables is searched for
that agrees with everything published, satisfies every release's relations and differs there.
"""

from collections.abc import Hashable
from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from haven.reporting import disclosure, release
from haven.reporting.models import ReleasedQuarter
from haven.reporting.release import Cells

from .test_disclosure import SMALL, Case, another_table

QUARTERS = [date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)]


def report_cells(served: list[list[int]], trained: list[list[int]] | None = None) -> Cells:
    """A report's cells from the children first served per state (rows) and quarter (columns) as recorded when it
    is made: children to date by state, each quarter's new children and the running total, as in the funder's; and
    as many cells of the clinicians trained, when given (not derived from care records: exact)."""
    cells = Cells()
    for metric, counts, care in (("children", served, True), ("trained", trained, False)):
        if counts is None:
            continue
        states = [cells.add((metric, "state", str(s)), sum(row), care=care) for s, row in enumerate(counts)]
        cells.add(metric, sum(map(sum, counts)), care=care, headline=care)
        cells.whole(metric, states)
        running: list[Hashable] = []
        total = 0
        for q in range(len(counts[0])):
            new = cells.add((metric, "q", str(q), "new"), sum(row[q] for row in counts), care=care)
            total += cells.values[new]
            cum = cells.add((metric, "q", str(q), "cum"), total, care=care)
            cells.relations.append(disclosure.Relation(cum, (new,) if not running else (running[-1], new)))
            running.append(cum)
        cells.relations.append(disclosure.Relation(metric, (running[-1],)))
    return cells


def release_all(history: list[list[list[int]]], trained: list[list[list[int]]] | None = None) -> list[ReleasedQuarter]:
    rows: list[ReleasedQuarter] = []
    for index, (quarter, served) in enumerate(zip(QUARTERS, history, strict=False)):
        rows.append(release.release(quarter, report_cells(served, trained[index] if trained else None), rows))
    return rows


@st.composite
def histories(draw: st.DrawFn, quarters: int | None = None) -> list[list[list[int]]]:
    """What each quarter's report sees: the children first served per state and quarter so far. Each quarter adds
    none, a few or many per state; now and then a late or corrected record revises an earlier quarter's count."""
    states = draw(st.integers(2, 3))
    quarters = quarters or draw(st.integers(2, 4))
    new = st.one_of(st.just(0), st.integers(1, 10), st.integers(1, 10), st.integers(11, 30))
    revision = st.one_of(st.just(0), st.just(0), st.just(0), st.integers(-2, 2))
    history = [[[draw(new)] for _ in range(states)]]
    for _ in range(quarters - 1):
        history.append([[max(0, n + draw(revision)) for n in row] + [draw(new)] for row in history[-1]])
    return history


def what_a_reader_keeps(rows: list[ReleasedQuarter]) -> tuple[Case, disclosure.Protected, list[Hashable]]:
    """Every release as one table for the independent search, with a hidden cell for each difference of 1 to 10
    between two releases of the same cell; and the cells that must not be worked out."""
    values: dict[Hashable, int] = {}
    relations: list[disclosure.Relation] = []
    hidden: set[Hashable] = set()
    suppressed: set[Hashable] = set()
    tables = [(row.quarter, release.protected(row)) for row in rows]
    exact = {key for _quarter, table in tables for key in table.exact}
    for quarter, table in tables:
        for key, n in table.values.items():
            values[(quarter, key)] = n
            if not table.published(key):
                (hidden if key in table.hidden else suppressed).add((quarter, key))
    for row in rows:
        for total, parts in row.relations:
            relations.append(
                disclosure.Relation((row.quarter, _key(total)), tuple((row.quarter, _key(part)) for part in parts))
            )
    sensitive = [key for key in suppressed | hidden if values[key] in SMALL]
    next_release = {tables[i][0]: tables[i + 1][0] for i in range(len(tables) - 1)}
    for index, (earlier, before) in enumerate(tables):
        for later, after in tables[index + 1 :]:
            for key in before.values.keys() & after.values.keys():
                difference = after.values[key] - before.values[key]
                if (
                    not difference
                    and later == next_release[earlier]
                    and (before.published(key) or after.published(key))
                ):
                    # Unchanged from one release to the next: a reader carries the figure forward, or back.
                    relations.append(disclosure.Relation((later, key), ((earlier, key),)))
                elif abs(difference) in SMALL and key not in exact:  # clinicians are published as they are
                    between = ("between", earlier, later, key)
                    values[between] = abs(difference)
                    hidden.add(between)
                    sensitive.append(between)
                    newer, older = (later, key), (earlier, key)
                    total, part = (newer, older) if difference > 0 else (older, newer)
                    relations.append(disclosure.Relation(total, (part, between)))
    case = Case(values, relations, frozenset(hidden))
    known = disclosure.Protected(values=values, suppressed=frozenset(suppressed), hidden=frozenset(hidden))
    return case, known, sensitive


def _key(encoded: object) -> Hashable:
    return tuple(encoded) if isinstance(encoded, list) else encoded  # type: ignore[return-value]


@settings(deadline=None, max_examples=200)
@given(history=histories())
# Found by this test: the first quarter revised by 1 and 2 after its release, with the later quarters' new counts
# unchanged or zero; only withholding a zero can keep the revision from being worked out.
@example(
    history=[
        [[0], [1], [10]],
        [[0, 11], [1, 0], [11, 1]],
        [[0, 11, 0], [1, 0, 0], [11, 0, 0]],
        [[0, 11, 0, 0], [1, 0, 0, 0], [12, 0, 0, 0]],
    ]
)
def test_no_small_count_or_small_difference_between_releases_can_be_worked_out(history: list[list[list[int]]]) -> None:
    rows = release_all(history)
    case, known, sensitive = what_a_reader_keeps(rows)
    for key in sensitive:
        other = another_table(case, known, key)
        assert other is not None, f"{key!r} = {case.values[key]} can be worked out from the releases"


@settings(deadline=None, max_examples=200)
@given(history=histories())
def test_a_cell_published_twice_never_differs_by_1_to_10(history: list[list[list[int]]]) -> None:
    tables = [release.protected(row) for row in release_all(history)]
    for index, before in enumerate(tables):
        assert all(before.value(key) not in SMALL for key in before.values)
        for after in tables[index + 1 :]:
            for key in before.values.keys() & after.values.keys():
                if before.published(key) and after.published(key):
                    assert abs(after.values[key] - before.values[key]) not in SMALL


def test_a_new_child_in_a_state_is_not_given_away_by_two_reports() -> None:
    # Texas: 11 children by the end of the first quarter, 12 by the next; 30 elsewhere both times. Published
    # alone, each report would show 11 and 12, and the one new Texan child would be 12 - 11.
    first, second = release_all([[[11], [30]], [[11, 1], [30, 0]]])
    assert release.protected(first).value(("children", "state", "0")) == 11
    later = release.protected(second)
    # The total grew by the same one child, so it is withheld too; the other state, unchanged, can be shown.
    shown = [later.value(key) for key in (("children", "state", "0"), "children", ("children", "state", "1"))]
    assert shown == [None, None, 30]


def test_a_revision_of_a_small_number_is_withheld_too() -> None:
    # A late record moves a state from 25 to 23 children: the 2 removed are as small a count as any.
    first, second = release_all([[[25], [30]], [[23, 0], [30, 0]]])
    assert release.protected(first).value(("children", "state", "0")) == 25
    assert release.protected(second).value(("children", "state", "0")) is None


def test_large_changes_are_published() -> None:
    first, second = release_all([[[11], [30]], [[11, 29], [30, 30]]])
    assert release.protected(second).suppressed == frozenset()


# Clinicians are not children: their counts are released exactly, quarter after quarter.


def test_a_few_clinicians_trained_since_the_last_release_are_published() -> None:
    # 16 clinicians trained by the first quarter's end, 3 more in the next: the funder reads 19, and 3 new, though
    # 3 children served between two releases would be withheld.
    served = [[[20], [30]], [[20, 3], [30, 0]]]
    trained = [[[10], [6]], [[10, 3], [6, 0]]]
    first, second = (release.protected(row) for row in release_all(served, trained))
    assert [first.value(key) for key in ("trained", ("trained", "state", "1"))] == [16, 6]
    assert [second.value(key) for key in ("trained", ("trained", "q", "1", "new"), ("trained", "state", "0"))] == [
        19,
        3,
        13,
    ]
    assert second.value(("children", "q", "1", "new")) is None
    assert second.suppressed.isdisjoint(second.exact)


@st.composite
def with_clinicians(draw: st.DrawFn) -> tuple[list[list[list[int]]], list[list[list[int]]]]:
    """A history of children served, and one of clinicians trained over the same quarters."""
    history = draw(histories())
    trained = draw(histories(quarters=len(history)))
    return history, trained


@settings(deadline=None, max_examples=150)
@given(drawn=with_clinicians())
def test_clinicians_are_released_exactly_and_children_stay_protected(
    drawn: tuple[list[list[list[int]]], list[list[list[int]]]],
) -> None:
    history, trained = drawn
    rows = release_all(history, trained)
    for row, served, clinicians in zip(rows, history, trained, strict=True):
        table = release.protected(row)
        cells = report_cells(served, clinicians)
        assert table.exact == {key for key in cells.values if "trained" in (key, key[0])}
        assert all(table.value(key) == cells.values[key] for key in table.exact)
        assert all(table.value(key) not in SMALL for key in table.values.keys() - table.exact)
    case, known, sensitive = what_a_reader_keeps(rows)
    for key in sensitive:
        assert another_table(case, known, key) is not None, f"{key!r} = {case.values[key]} can be worked out"


@settings(deadline=None, max_examples=60)
@given(total=st.integers(0, 60), parts=st.lists(st.integers(0, 60), min_size=1, max_size=8))
def test_a_total_broken_down_several_ways_keeps_a_remainder_for_each(total: int, parts: list[int]) -> None:
    """Completed episodes, and how many covered each PRACTICE component: each breakdown that falls short of the
    total has its own remainder, and every relation still sums."""
    cells = Cells()
    cells.add("episodes", total, care=True, headline=True)
    for n, part in enumerate(parts):
        cells.add(("component", n), min(part, total), care=True)
        cells.whole("episodes", [("component", n)])
    for relation in cells.relations:
        assert cells.values[relation.total] == sum(cells.values[part] for part in relation.parts)
    disclosure.protect(
        cells.values, cells.relations, cells.hidden, exact=cells.exact, headline=cells.headline
    )  # raises when a relation does not sum
