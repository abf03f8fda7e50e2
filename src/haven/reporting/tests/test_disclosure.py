"""Disclosure control (reference/privacy.md) against its promises: hand-worked tables, then random ones.

The random tables are one-way breakdowns, two-way tables with margins, linked tables (a breakdown of a two-way
table's grand total, and of one of its cells) and funnels whose drop-outs are hidden, with many counts of 1 to 10.
Whether a withheld count can be worked out is checked here independently of the module: by finding another table
of whole numbers of at least 0 that satisfies every relation and shows the same published cells, but differs in
that count. If one exists, no reader can tell the two apart.
"""

from collections.abc import Hashable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haven.core.shares import nearest
from haven.reporting.disclosure import SUPPRESSED, Protected, Relation, one_way, protect, two_way

SMALL = range(1, 11)
COUNTS = st.one_of(st.just(0), st.integers(1, 10), st.integers(1, 10), st.integers(11, 40))
SAFE_COUNTS = st.one_of(st.just(0), st.integers(11, 40))  # nothing from 1 to 10, and so no sum either


@dataclass(frozen=True)
class Case:
    values: dict[Hashable, int]
    relations: list[Relation]
    hidden: frozenset[Hashable] = field(default_factory=frozenset)

    def protect(self) -> Protected:
        return protect(self.values, self.relations, self.hidden)

    def unpublished(self, table: Protected) -> list[Hashable]:
        return [key for key in self.values if not table.published(key)]


# Hand-worked tables


def row(*parts: int) -> tuple[dict[Hashable, int], list[Relation]]:
    values: dict[Hashable, int] = {f"p{index}": count for index, count in enumerate(parts)}
    values["total"] = sum(parts)
    return values, one_way("total", [f"p{index}" for index in range(len(parts))])


@pytest.mark.parametrize(
    ("parts", "withheld"),
    [
        # 3 is small; alone it would be 53 - 20 - 30, so the next smallest, 20, goes too (3 + 20 = 23 >= 11).
        ((3, 20, 30), {"p0", "p1"}),
        # Nothing from 1 to 10: all shown, the zero as 0.
        ((0, 25, 30), set()),
        # 3 and 4 are small and sum to 7, which would say both are at most 7: 30 goes too; the total stays.
        ((3, 4, 30), {"p0", "p1", "p2"}),
        # 5 and 6 sum to 11: enough.
        ((5, 6, 40), {"p0", "p1"}),
        # The total is 3 as well; nothing else is non-zero, so nothing more can help, and the zeros stay shown.
        ((3, 0, 0), {"p0", "total"}),
    ],
)
def test_a_row_and_its_total(parts: tuple[int, ...], withheld: set[str]) -> None:
    values, relations = row(*parts)
    table = protect(values, relations)
    assert table.suppressed == withheld
    for key, count in values.items():
        assert table.display(key) == (SUPPRESSED if key in withheld else str(count))


def test_the_first_worked_row_as_displayed() -> None:
    table = protect(*row(3, 20, 30))
    assert [table.display(key) for key in ("p0", "p1", "p2", "total")] == ["<11", "<11", "30", "53"]
    assert [table.value(key) for key in ("p0", "p1", "p2", "total")] == [None, None, 30, 53]


# State x quarter, with margins:
#          q1   q2   q3 | total
#   A       4   30   25 |  59
#   B      20   15   40 |  75
#   total  24   45   65 | 134
# 4 is small. Row A: its next smallest, 25, goes; column q1: 20 goes. Every row and column now withholds none, or
# two or more summing to 11 or more, yet B1 = 75 - 15 - 40 = 20, and then A1 = 24 - 20 = 4. Withholding 15 would
# not help (B2 = 45 - 30), nor 24 (= 134 - 45 - 65), nor 75 (= 134 - 59); 40 does: the rectangle A1 A3 B1 B3.
STATE_QUARTER = {
    "A1": 4, "A2": 30, "A3": 25, "A": 59,
    "B1": 20, "B2": 15, "B3": 40, "B": 75,
    "Q1": 24, "Q2": 45, "Q3": 65, "all": 134,
}  # fmt: skip
STATE_QUARTER_RELATIONS = two_way(["A", "B"], ["1", "2", "3"], lambda s, q: s + q, lambda s: s, "Q{}".format, "all")


def test_a_two_way_table_withholds_a_rectangle() -> None:
    table = protect(STATE_QUARTER, STATE_QUARTER_RELATIONS)
    assert table.suppressed == {"A1", "A3", "B1", "B3"}
    assert [table.display(key) for key in ("A1", "A2", "A3", "A")] == ["<11", "30", "<11", "59"]


def test_a_breakdown_of_the_grand_total_links_in() -> None:
    # The same 134 children by age band: 0-5 is small, and the next smallest band goes with it.
    values = {**STATE_QUARTER, "0-5": 6, "6-12": 60, "13-17": 68}
    relations = [*STATE_QUARTER_RELATIONS, *one_way("all", ["0-5", "6-12", "13-17"])]
    table = protect(values, relations)
    assert table.suppressed == {"A1", "A3", "B1", "B3", "0-5", "6-12"}
    assert table.display("all") == "134"


def test_a_funnel_hides_a_small_drop_out() -> None:
    # 40 referred, 35 started: the 5 who did not start would be 40 - 35, so 35 is withheld.
    values = {"referred": 40, "started": 35, "not started": 5}
    table = protect(values, one_way("referred", ["started", "not started"]), hidden={"not started"})
    assert table.suppressed == {"started"}
    assert table.value("not started") is None
    assert (table.display("referred"), table.display("started")) == ("40", "<11")
    assert table.percent("started", "referred") is None


def test_a_funnel_with_no_drop_out_is_shown_whole() -> None:
    values = {"referred": 30, "started": 30, "not started": 0}
    table = protect(values, one_way("referred", ["started", "not started"]), hidden={"not started"})
    assert table.suppressed == set()
    assert (table.value("referred"), table.value("started"), table.value("not started")) == (30, 30, None)


def test_percentages() -> None:
    values = {"a": 3, "b": 20, "c": 30, "d": 0, "total": 53, "small total": 0}
    relations = [*one_way("total", ["a", "b", "c"]), *one_way("small total", ["d"])]
    table = protect(values, relations)
    assert table.percent("c", "total") == 57  # 56.60...: whole percentages, to the nearest
    assert table.percent("a", "total") is None  # withheld numerator
    assert table.percent("total", "b") is None  # withheld denominator
    assert table.percent("d", "small total") is None  # a denominator under 11
    assert table.rounded().percent("c", "total") == 57.0  # to a whole percent once rounded


def test_a_denominator_of_eleven_is_enough() -> None:
    table = protect({"yes": 0, "no": 11, "all": 11}, one_way("all", ["yes", "no"]))
    assert table.percent("yes", "all") == 0.0
    assert table.percent("no", "all") == 100.0


def test_rounding_for_the_public() -> None:
    values, relations = row(3, 12, 0, 14, 15, 155)  # total 199; 3 and the next smallest, 12, are withheld
    public = protect(values, relations).rounded()
    assert [public.display(key) for key in values] == ["<11", "<11", "0", "10", "20", "160", "200"]
    assert public.rounded(base=5).value("p3") == 15  # 14 to the nearest 5


def test_another_threshold() -> None:
    table = protect({"a": 3, "b": 20, "total": 23}, one_way("total", ["a", "b"]), threshold=3)
    assert table.suppressed == set()
    table = protect({"a": 2, "b": 20, "total": 22}, one_way("total", ["a", "b"]), threshold=3)
    assert table.display("a") == "<3"


def test_slice_the_protected_table_not_the_other_way_round() -> None:
    # Children by state, and the figure filtered to Ohio and Texas only. Protected one at a time, the filtered
    # view shows Ohio 30, the whole shows Texas 40 and the total 75: Kentucky = 75 - 30 - 40 = 5 from the two
    # answers, though neither shows it. Sliced from one protection of the whole, Ohio is withheld in both.
    values = {"OH": 30, "TX": 40, "KY": 5, "all": 75}
    whole = protect(values, one_way("all", ["OH", "TX", "KY"]))
    assert whole.suppressed == {"OH", "KY"}
    filtered_alone = protect({"OH": 30, "TX": 40, "OH+TX": 70}, one_way("OH+TX", ["OH", "TX"]))
    assert filtered_alone.value("OH") == 30  # the leak that slicing the whole avoids
    assert [whole.display(state) for state in ("OH", "TX")] == ["<11", "40"]


@pytest.mark.parametrize(
    ("values", "relations", "hidden"),
    [
        ({"a": -1, "total": -1}, one_way("total", ["a"]), ()),
        ({"a": 1, "b": 2, "total": 4}, one_way("total", ["a", "b"]), ()),
        ({"a": 1}, one_way("total", ["a"]), ()),
        ({"a": 1, "total": 1}, one_way("total", ["a"]), ("b",)),
    ],
)
def test_bad_tables_are_refused(
    values: dict[Hashable, int], relations: list[Relation], hidden: tuple[Hashable, ...]
) -> None:
    with pytest.raises(ValueError):
        protect(values, relations, hidden)


def test_a_key_outside_the_table_is_an_error() -> None:
    with pytest.raises(KeyError):
        protect(*row(3, 20)).value("elsewhere")


# Random tables


def _split(draw: st.DrawFn, total: int, parts: int, counts: st.SearchStrategy[int]) -> list[int]:
    """``parts`` counts summing to ``total``, often small (or, with SAFE_COUNTS, never from 1 to 10)."""
    safe = counts is SAFE_COUNTS
    out = []
    left = total
    for _ in range(parts - 1):
        if safe:
            share = draw(st.integers(11, left)) if left >= 11 and draw(st.booleans()) else 0
        else:
            share = draw(st.one_of(st.integers(0, min(left, 10)), st.integers(0, left)))
        out.append(share)
        left -= share
    out.append(left)
    if safe and left in SMALL:  # total and the shares are 0 or 11+, so a larger share exists to take it
        biggest = max(range(parts - 1), key=out.__getitem__)
        out[biggest] += left
        out[-1] = 0
    return out


def _grid(
    draw: st.DrawFn, counts: st.SearchStrategy[int], rows: int, cols: int, first: int | None = None
) -> tuple[dict[Hashable, int], list[Relation]]:
    values: dict[Hashable, int] = {}
    for r in range(rows):
        for c in range(cols):
            values[("cell", r, c)] = first if first is not None and (r, c) == (0, 0) else draw(counts)
    for r in range(rows):
        values[("row", r)] = sum(values[("cell", r, c)] for c in range(cols))
    for c in range(cols):
        values[("col", c)] = sum(values[("cell", r, c)] for r in range(rows))
    values["all"] = sum(values[("row", r)] for r in range(rows))
    relations = two_way(
        range(rows), range(cols), lambda r, c: ("cell", r, c), lambda r: ("row", r), lambda c: ("col", c), "all"
    )
    return values, relations


@st.composite
def one_way_cases(draw: st.DrawFn, counts: st.SearchStrategy[int] = COUNTS) -> Case:
    values, relations = row(*draw(st.lists(counts, min_size=1, max_size=6)))
    return Case(values, relations)


@st.composite
def two_way_cases(draw: st.DrawFn, counts: st.SearchStrategy[int] = COUNTS) -> Case:
    return Case(*_grid(draw, counts, draw(st.integers(1, 4)), draw(st.integers(1, 5))))


@st.composite
def linked_cases(draw: st.DrawFn, counts: st.SearchStrategy[int] = COUNTS) -> Case:
    """A two-way table whose first cell is broken down by sex, and whose grand total is broken down by age."""
    by_sex = draw(st.lists(counts, min_size=2, max_size=2))
    values, relations = _grid(draw, counts, draw(st.integers(1, 3)), draw(st.integers(2, 4)), first=sum(by_sex))
    values |= {("sex", index): count for index, count in enumerate(by_sex)}
    relations += one_way(("cell", 0, 0), [("sex", 0), ("sex", 1)])
    by_age = _split(draw, values["all"], draw(st.integers(2, 3)), counts)
    values |= {("age", index): count for index, count in enumerate(by_age)}
    relations += one_way("all", [("age", index) for index in range(len(by_age))])
    return Case(values, relations)


@st.composite
def funnel_cases(draw: st.DrawFn, counts: st.SearchStrategy[int] = COUNTS) -> Case:
    """Stages (referred, started, ...) by state, with stage totals; the drop-out between two stages is hidden, by
    state and in total."""
    states, stages = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    values: dict[Hashable, int] = {}
    relations: list[Relation] = []
    hidden: set[Hashable] = set()
    for state in range(states):
        values[(state, stages - 1)] = draw(counts)
        for stage in reversed(range(stages - 1)):
            values[(state, "drop", stage)] = draw(counts)
            values[(state, stage)] = values[(state, stage + 1)] + values[(state, "drop", stage)]
    for stage in range(stages):
        values[("all", stage)] = sum(values[(state, stage)] for state in range(states))
        relations += one_way(("all", stage), [(state, stage) for state in range(states)])
    for stage in range(stages - 1):
        drops = [(state, "drop", stage) for state in range(states)]
        values[("all", "drop", stage)] = sum(values[drop] for drop in drops)
        relations += one_way(("all", "drop", stage), drops)
        relations += one_way(("all", stage), [("all", stage + 1), ("all", "drop", stage)])
        for state in range(states):
            relations += one_way((state, stage), [(state, stage + 1), (state, "drop", stage)])
        hidden |= {*drops, ("all", "drop", stage)}
    return Case(values, relations, frozenset(hidden))


KINDS = {"one-way": one_way_cases, "two-way": two_way_cases, "linked": linked_cases, "funnel": funnel_cases}
ANY_CASE = st.one_of([kind() for kind in KINDS.values()])


# An independent check that a count cannot be worked out: look for another table near the true one.

REACH = 2  # how far from its true count each withheld cell may move in the other table


def another_table(case: Case, table: Protected, key: Hashable) -> dict[Hashable, int] | None:
    """Counts that satisfy every relation, are at least 0, agree with every published cell, and differ from the
    true ones at ``key``; or None when there are none within REACH of the true counts."""
    unknown = case.unpublished(table)
    position = {cell: index for index, cell in enumerate(unknown)}
    # Each relation as sum(sign x unknown) == constant, the published cells moved to the right.
    equations: list[tuple[dict[int, int], int]] = []
    for relation in case.relations:
        terms: dict[int, int] = {}
        constant = 0
        for cell, sign in [(relation.total, 1), *((part, -1) for part in relation.parts)]:
            if cell in position:
                terms[position[cell]] = sign
            else:
                constant -= sign * case.values[cell]
        if terms:
            equations.append((terms, constant))
    true = [case.values[cell] for cell in unknown]
    target = position[key]
    for low, high in ((max(0, true[target] - REACH), true[target] - 1), (true[target] + 1, true[target] + REACH)):
        if low > high:
            continue
        lows = [max(0, count - REACH) for count in true]
        highs = [count + REACH for count in true]
        lows[target], highs[target] = low, high
        found = _search(equations, lows, highs, budget=[20_000])
        if found is not None:
            return case.values | {cell: found[index] for cell, index in position.items()}
    return None


def _narrow(equations: list[tuple[dict[int, int], int]], lows: list[int], highs: list[int]) -> bool:
    """Shrink each unknown's range to what the equations allow given the others' ranges; False if one empties."""
    changed = True
    while changed:
        changed = False
        for terms, constant in equations:
            least = sum(lows[i] if sign > 0 else -highs[i] for i, sign in terms.items())
            most = sum(highs[i] if sign > 0 else -lows[i] for i, sign in terms.items())
            if not least <= constant <= most:
                return False
            for i, sign in terms.items():
                # sign x value_i == constant - (the others), whose range is the sum's range less this term's own
                others_least = least - (lows[i] if sign > 0 else -highs[i])
                others_most = most - (highs[i] if sign > 0 else -lows[i])
                low, high = constant - others_most, constant - others_least
                if sign < 0:
                    low, high = -high, -low
                if low > lows[i]:
                    lows[i], changed = low, True
                if high < highs[i]:
                    highs[i], changed = high, True
                if lows[i] > highs[i]:
                    return False
    return True


def _search(
    equations: list[tuple[dict[int, int], int]], lows: list[int], highs: list[int], budget: list[int]
) -> list[int] | None:
    budget[0] -= 1
    if budget[0] < 0:
        raise AssertionError("the search for another table ran out of steps")
    if not _narrow(equations, lows, highs):
        return None
    open_ = [i for i in range(len(lows)) if lows[i] < highs[i]]
    if not open_:
        return lows
    i = min(open_, key=lambda i: highs[i] - lows[i])
    for value in range(lows[i], highs[i] + 1):
        found = _search(equations, [*lows[:i], value, *lows[i + 1 :]], [*highs[:i], value, *highs[i + 1 :]], budget)
        if found is not None:
            return found
    return None


def test_the_search_finds_a_determined_count_determined() -> None:
    # The search itself: with only 3 withheld in 3 + 20 + 30 = 53, no other table exists.
    values, relations = row(3, 20, 30)
    case = Case(values, relations)
    careless = Protected(values=values, suppressed=frozenset({"p0"}))
    assert another_table(case, careless, "p0") is None
    other = another_table(case, protect(values, relations), "p0")
    assert other is not None
    assert other["p0"] != 3 and other["p0"] + other["p1"] == 23


# Properties


@settings(deadline=None, max_examples=150)
@given(case=ANY_CASE)
def test_no_published_count_is_from_1_to_10(case: Case) -> None:
    table = case.protect()
    for key in case.values:
        assert table.value(key) not in SMALL
        if key in case.hidden:
            assert table.value(key) is None


@pytest.mark.parametrize("kind", KINDS)
@settings(deadline=None, max_examples=300)
@given(data=st.data())
def test_no_small_count_can_be_worked_out(kind: str, data: st.DataObject) -> None:
    case = data.draw(KINDS[kind]())
    table = case.protect()
    for key in case.unpublished(table):
        if case.values[key] not in SMALL:
            continue
        other = another_table(case, table, key)
        assert other is not None, f"{key!r} = {case.values[key]} can be worked out"
        # Check the other table directly against what a reader knows.
        assert other[key] != case.values[key]
        assert all(count >= 0 for count in other.values())
        assert all(other[r.total] == sum(other[part] for part in r.parts) for r in case.relations)
        assert all(other[cell] == case.values[cell] for cell in case.values if table.published(cell))


@settings(deadline=None, max_examples=200)
@given(case=ANY_CASE)
def test_a_relation_withholds_two_or_more_cells_summing_to_11(case: Case) -> None:
    table = case.protect()
    for relation in case.relations:
        unpublished = [key for key in relation.cells if not table.published(key)]
        if not any(case.values[key] in SMALL for key in unpublished):
            continue
        assert len(unpublished) >= 2
        # Short of 11 only when no published count is left that could add to the sum.
        assert sum(case.values[key] for key in unpublished) >= 11 or all(
            case.values[key] == 0 for key in relation.cells if table.published(key)
        )


def test_a_row_of_published_parts_sums_to_100_and_a_withheld_part_leaves_no_trace() -> None:
    shown = {"c": 40, "d": 48, "total": 100}
    for a, b in ((3, 9), (5, 7), (2, 10)):
        table = protect({"a": a, "b": b, **shown}, one_way("total", ["a", "b", "c", "d"]))
        assert table.suppressed == {"a", "b"}
        # Each published part's own share of the total: nothing that depends on how the 12 withheld split.
        assert table.partition(["a", "b", "c", "d"], "total") == [None, None, 40, 48]
    table = protect({"a": 20, "b": 29, "c": 51, "total": 100}, one_way("total", ["a", "b", "c"]))
    assert table.partition(["a", "b", "c"], "total") == [20, 29, 51]
    table = protect({"a": 17, "b": 17, "c": 17, "total": 51}, one_way("total", ["a", "b", "c"]))
    assert table.partition(["a", "b", "c"], "total") == [34, 33, 33]  # not 33 + 33 + 33


@settings(deadline=None, max_examples=100)
@given(case=ANY_CASE)
def test_the_shares_of_a_relations_parts_use_only_published_counts(case: Case) -> None:
    table = case.protect()
    for relation in case.relations:
        parts = list(relation.parts)
        shares = table.partition(parts, relation.total)
        if all(table.published(part) for part in parts) and table.percent(parts[0], relation.total) is not None:
            assert sum(share or 0 for share in shares) == 100 or sum(case.values[p] for p in parts) == 0
        else:
            assert shares == [table.percent(part, relation.total) for part in parts]


@settings(deadline=None, max_examples=100)
@given(case=ANY_CASE)
def test_percentages_only_over_published_counts_of_11_or_more(case: Case) -> None:
    table = case.protect()
    for numerator in case.values:
        for denominator in case.values:
            share = table.percent(numerator, denominator)
            allowed = table.published(numerator) and table.published(denominator) and case.values[denominator] >= 11
            if not allowed:
                assert share is None
            else:
                assert share == nearest(case.values[numerator], case.values[denominator])


@settings(deadline=None, max_examples=100)
@given(case=ANY_CASE, base=st.sampled_from([5, 10, 100]))
def test_rounding_keeps_suppression(case: Case, base: int) -> None:
    table = case.protect()
    public = table.rounded(base)
    for key, count in case.values.items():
        shown = public.value(key)
        if table.value(key) is None:
            assert shown is None
            assert public.display(key) == SUPPRESSED
        else:
            assert shown is not None
            assert shown % base == 0
            assert abs(shown - count) <= base / 2
            assert public.display(key) == str(shown)


@settings(deadline=None, max_examples=100)
@given(case=ANY_CASE)
def test_the_same_table_is_protected_the_same_way(case: Case) -> None:
    first = case.protect()
    again = protect(dict(case.values), list(case.relations), set(case.hidden))
    assert first.suppressed == again.suppressed


@settings(deadline=None, max_examples=100)
@given(case=st.one_of([kind(SAFE_COUNTS) for kind in KINDS.values()]))
def test_a_table_without_small_counts_is_published_whole(case: Case) -> None:
    assert all(count not in SMALL for count in case.values.values())
    table = case.protect()
    assert table.suppressed == set()
    assert all(table.value(key) == count for key, count in case.values.items() if key not in case.hidden)


# Counts that are not about children: published exactly (decision 15)


def test_a_count_of_clinicians_is_published_as_it_is() -> None:
    # 3 clinicians trained in Texas, 20 in Ohio: not a child among them, so nothing to withhold; the children served
    # in the same states are protected as before.
    values = {
        "trained TX": 3, "trained OH": 20, "trained": 23,
        "children TX": 4, "children OH": 30, "children KY": 25, "children": 59,
    }  # fmt: skip
    relations = [
        *one_way("trained", ["trained TX", "trained OH"]),
        *one_way("children", ["children TX", "children OH", "children KY"]),
    ]
    table = protect(values, relations, exact={"trained TX", "trained OH", "trained"})
    assert [table.display(key) for key in values] == ["3", "20", "23", "<11", "30", "<11", "59"]
    assert table.percent("trained TX", "trained") == 13  # 3 of 23
    # Exact counts are shares of each other whatever their size; a share of children still needs 11.
    small = protect({"a": 2, "b": 3, "all": 5}, one_way("all", ["a", "b"]), exact={"a", "b", "all"})
    assert small.percent("a", "all") == 40.0
    assert small.rounded().display("a") == "0"  # the public page rounds them like every count


def test_a_relation_may_not_mix_exact_cells_with_protected_ones() -> None:
    # Were children counted in the same sum as clinicians, publishing the clinicians could give a child count away.
    values = {"clinicians": 3, "children": 4, "people": 7}
    with pytest.raises(ValueError, match="mixes"):
        protect(values, one_way("people", ["clinicians", "children"]), exact={"clinicians"})
    with pytest.raises(ValueError, match="exact"):
        protect(values, one_way("people", ["clinicians", "children"]), hidden={"children"}, exact={"children"})


# Headlines stay when another choice protects


def test_cells_inside_a_table_go_before_the_totals_around_them() -> None:
    # Children by state and age, Ohio's young ones by gender too. Kentucky's 1 older child takes Kentucky's young
    # (11) and Texas's older (11) with it; Ohio's 1 girl takes the 12 boys. But Texas has no young child, so its
    # older ones are its total, and Kentucky's older child would be 24 - 12 - 11. Withholding Texas's total (11, the
    # smallest cell that stops it) would do, and then Kentucky's total would give its young away; cells inside the
    # table go instead (Ohio's, 13 and 12), and every state's total stays.
    values = {
        ("OH", "young"): 13, ("OH", "older"): 12, "OH": 25,
        ("TX", "young"): 0, ("TX", "older"): 11, "TX": 11,
        ("KY", "young"): 11, ("KY", "older"): 1, "KY": 12,
        "young": 24, "older": 24, "children": 48, "OH girls": 1, "OH boys": 12,
    }  # fmt: skip
    relations = [
        *two_way(["OH", "TX", "KY"], ["young", "older"], lambda s, a: (s, a), str, str, "children"),
        *one_way(("OH", "young"), ["OH girls", "OH boys"]),
    ]
    table = protect(values, relations)
    assert table.suppressed == {
        ("KY", "older"), ("KY", "young"), ("TX", "older"), ("OH", "young"), ("OH", "older"), "OH girls", "OH boys"
    }  # fmt: skip
    assert [table.display(key) for key in ("OH", "TX", "KY", "young", "older", "children")] == [
        "25", "11", "12", "24", "24", "48"
    ]  # fmt: skip


def test_a_headline_stays_when_other_cells_can_go() -> None:
    # Referred > started > completed, by state: Texas's one referral did not start (the drop-outs are hidden). The
    # program's 12 referred is a headline: Ohio's referrals go with Texas's instead, and the program's started,
    # which with the 12 would give the one drop-out away.
    values = {
        ("OH", "referred"): 11, ("OH", "started"): 11, ("OH", "completed"): 11,
        ("TX", "referred"): 1, ("TX", "started"): 0, ("TX", "completed"): 0,
        "referred": 12, "started": 11, "completed": 11,
        ("OH", "not started"): 0, ("TX", "not started"): 1, "not started": 1,
        ("OH", "not completed"): 0, ("TX", "not completed"): 0, "not completed": 0,
    }  # fmt: skip
    relations: list[Relation] = []
    for total, part, rest in (("referred", "started", "not started"), ("started", "completed", "not completed")):
        for where in ("OH", "TX"):
            relations += one_way((where, total), [(where, part), (where, rest)])
        relations += one_way(total, [part, rest])
        for stage in (total, rest):
            relations += one_way(stage, [("OH", stage), ("TX", stage)])
    relations += one_way("completed", [("OH", "completed"), ("TX", "completed")])
    hidden = {key for key in values if "not" in str(key)}
    table = protect(values, relations, hidden, headline={"referred"})
    assert table.display("referred") == "12"
    assert table.suppressed == {
        ("TX", "referred"), ("OH", "referred"), ("OH", "started"), ("OH", "completed"), "started", "completed"
    }  # fmt: skip


def test_a_headline_goes_only_when_nothing_else_protects() -> None:
    # Started = completed + ended: 4 ended early. Completed and started are both headlines; one must go.
    values = {"started": 40, "completed": 36, "ended": 4}
    table = protect(values, one_way("started", ["completed", "ended"]), headline={"started", "completed"})
    assert table.suppressed == {"ended", "completed"}


def _totals(case: Case) -> list[Hashable]:
    """The totals a reader is shown (a hidden drop-out is never a headline)."""
    totals = {relation.total for relation in case.relations} - case.hidden
    return sorted(totals, key=list(case.values).index)


@st.composite
def with_headlines(draw: st.DrawFn) -> tuple[Case, frozenset[Hashable]]:
    """A random table, and some of its totals named headlines (the grand total most often)."""
    case = draw(ANY_CASE)
    totals = _totals(case)
    outermost = [key for key in totals if not any(key in relation.parts for relation in case.relations)]
    chosen = draw(st.one_of(st.just(outermost), st.lists(st.sampled_from(totals), max_size=3)))
    return case, frozenset(chosen)


def headlines_can_stay(case: Case, headline: frozenset[Hashable]) -> bool:
    """Whether some valid protection publishes every headline, found independently of the module: withholding more
    never lets a count be worked out that could not be before, so one exists exactly when withholding every other
    cell is valid (no published count from 1 to 10, each relation that withholds one withholds two or more summing to
    11 unless nothing non-zero is published, no withheld count from 1 to 10 worked out). A hidden zero is taken as
    known to the reader, as the module takes it."""
    zeros = {key for key in case.hidden if case.values[key] == 0}
    widest = Protected(
        values=case.values,
        suppressed=frozenset(key for key in case.values if key not in headline and key not in case.hidden),
        hidden=frozenset(case.hidden - zeros),
    )
    if any(case.values[key] in SMALL for key in case.values if widest.published(key)):
        return False
    for relation in case.relations:
        withheld = [key for key in relation.cells if not widest.published(key)]
        if not any(case.values[key] in SMALL for key in withheld):
            continue
        if len(withheld) < 2:
            return False
        if sum(case.values[key] for key in withheld) < 11 and any(
            case.values[key] for key in relation.cells if widest.published(key)
        ):
            return False
    known = Case(case.values, case.relations, frozenset(case.hidden - zeros))
    return all(
        another_table(known, widest, key) is not None
        for key in case.values
        if not widest.published(key) and case.values[key] in SMALL
    )


def test_the_independent_check_of_headlines() -> None:
    # 3 withheld in 3 + 20 + 30 = 53: withholding 20 keeps the total; with 20 a headline too, nothing can.
    values, relations = row(3, 20, 30)
    case = Case(values, relations)
    assert headlines_can_stay(case, frozenset({"total"}))
    assert not headlines_can_stay(case, frozenset({"total", "p1", "p2"}))
    assert not headlines_can_stay(case, frozenset({"p0"}))  # a headline of 3 cannot be published


@settings(deadline=None, max_examples=300)
@given(drawn=with_headlines())
def test_a_headline_is_withheld_only_when_no_protection_keeps_it(drawn: tuple[Case, frozenset[Hashable]]) -> None:
    case, headline = drawn
    table = protect(case.values, case.relations, case.hidden, headline=headline)
    if headlines_can_stay(case, headline):
        assert all(table.published(key) for key in headline), sorted(map(str, headline & table.suppressed))


@settings(deadline=None, max_examples=200)
@given(drawn=with_headlines())
def test_headlines_keep_every_promise(drawn: tuple[Case, frozenset[Hashable]]) -> None:
    """With headlines named, still no small count published or worked out, and each relation withholds enough."""
    case, headline = drawn
    table = protect(case.values, case.relations, case.hidden, headline=headline)
    assert table == protect(dict(case.values), list(case.relations), set(case.hidden), headline=set(headline))
    for key in case.unpublished(table):
        assert table.value(key) not in SMALL
        if case.values[key] in SMALL:
            assert another_table(case, table, key) is not None, f"{key!r} = {case.values[key]} can be worked out"
    for relation in case.relations:
        unpublished = [key for key in relation.cells if not table.published(key)]
        if any(case.values[key] in SMALL for key in unpublished):
            assert len(unpublished) >= 2
            assert sum(case.values[key] for key in unpublished) >= 11 or all(
                case.values[key] == 0 for key in relation.cells if table.published(key)
            )


PROFESSIONAL_KINDS = {"one-way": one_way_cases, "two-way": two_way_cases, "linked": linked_cases}


@st.composite
def care_and_clinicians(draw: st.DrawFn) -> tuple[Case, frozenset[Hashable]]:
    """A table of children and, beside it, a table of clinicians (any counts, 1 to 10 included), as one."""
    care = draw(ANY_CASE)
    clinicians = draw(st.one_of([kind() for kind in PROFESSIONAL_KINDS.values()]))

    def mark(key: Hashable) -> Hashable:
        return ("clinicians", key)

    values = {**care.values, **{mark(key): n for key, n in clinicians.values.items()}}
    relations = [*care.relations, *(Relation(mark(r.total), tuple(map(mark, r.parts))) for r in clinicians.relations)]
    return Case(values, relations, care.hidden), frozenset(map(mark, clinicians.values))


@settings(deadline=None, max_examples=200)
@given(drawn=care_and_clinicians())
def test_clinicians_are_published_exactly_and_children_stay_protected(
    drawn: tuple[Case, frozenset[Hashable]],
) -> None:
    case, exact = drawn
    table = protect(case.values, case.relations, case.hidden, exact=exact)
    for key in exact:
        assert table.value(key) == case.values[key]
        assert table.display(key) == str(case.values[key])
    for key in case.values.keys() - exact:
        assert table.value(key) not in SMALL
    for key in case.unpublished(table):
        if case.values[key] in SMALL:
            assert another_table(case, table, key) is not None, f"{key!r} = {case.values[key]} can be worked out"
    # The children's cells are withheld as they would be with no clinicians beside them.
    children = {key: n for key, n in case.values.items() if key not in exact}
    alone = protect(children, [r for r in case.relations if r.total not in exact], case.hidden)
    assert table.suppressed == alone.suppressed
