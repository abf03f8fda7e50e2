"""Disclosure control for every figure that leaves the care team (``reference/privacy.md``), over plain data.

A table is a mapping from keys (anything hashable: ``("OH", "2025Q1")``, ``"total"``) to true counts, plus the
additive relations that link its cells (a total equals the sum of its parts). :func:`protect` decides which cells
to withhold, and the :class:`Protected` it returns is the only thing an output (screen, CSV, PDF, API) reads::

    values = {"a": 3, "b": 20, "c": 30, "total": 53}
    table = protect(values, one_way("total", ["a", "b", "c"]))
    table.display("a"), table.display("b"), table.display("c")  # "<11", "<11", "30"

The promises:

1. No published count is from 1 to 10 (0 may be shown): those cells are suppressed (primary suppression).
2. No suppressed count of 1 to 10 can be worked out from the published ones. In every relation that holds one, the
   withheld cells number at least two and sum to at least 11 (the cells that matter least, promise 9, are withheld
   too; short of 11 only when every non-zero cell of the relation is withheld already). Linked relations can still
   pin a cell down together (in a two-way table, a row whose one withheld cell is not small gives that cell away,
   and with it the small one in its column), so each small cell is then checked exactly, by elimination over the
   relations with the published values known: while one is determined, a cell its derivation uses is withheld too.
   Zeros are not withheld: a zero hides nothing, and since a count cannot go below it, a withheld zero would pin its
   neighbours rather than hide them; only when cells ``published`` already (an earlier release), or the headlines,
   leave nothing else to withhold is a zero withheld. *Hidden* cells are never published (e.g. referred minus
   started in a funnel, which a reader can compute from the two published stages): one of 1 to 10 is protected like
   a suppressed cell, and a hidden zero is treated as known.
3. A percentage only when its numerator and denominator are both published and the denominator is at least 11 (of
   two exact cells, over any denominator but 0), a whole number rounded to the nearest. The parts of a whole sum to
   100 (largest remainder) only when every part is published; a row with a withheld part shows each published
   part's own share, since which shares round up depends on every part's remainder (:meth:`Protected.partition`).
4. **Protect the whole table once, then slice it.** Put every slice a reader can reach (all states, all quarters,
   the margins, and any other breakdown that shares a total) into one :func:`protect` call, and serve each filtered
   view from that one :class:`Protected`. Protecting each filtered view on its own lets a reader subtract two
   answers (all states, and all states but one) and recover a cell that each answer hid. A filter that cannot be
   folded into one protected table (a free date window, a group narrower than the threshold) must be refused or
   coarsened to the buckets that were protected together (months, quarters, states).
5. Tables released at different times (a report each quarter) are differenced too: each one is protected with the
   earlier ones as context, their cells ``published`` (known, never withheld again) or hidden as they were
   released, and the differences between the same cell's values in two releases as hidden cells. See
   ``reporting.release``.
6. Public figures are also rounded, after suppression: :meth:`Protected.rounded`.
7. Suppressed cells read ``"<11"`` (:data:`SUPPRESSED`), never 0 and never blank; :data:`LEGEND` explains it, since
   a cell withheld to protect another one may hold more than 10.
8. Only counts derived from care records (children, caregivers, episodes, sessions, measures, outcomes) are protected.
   Cells that are not (``exact``: clinicians, cohorts, calls, targets) are published as they are, whatever their size,
   never withheld as a complement, and known to the reader; a relation may not link them with protected cells, so
   publishing one cannot give a child count away.
9. Complementary suppression withholds the cells whose loss matters least: never a ``headline`` (a program-wide total)
   when a protection that publishes every headline exists; then inner cells before the totals they add up to (a
   state's cell of a breakdown before the state's total), then smaller before larger, then the cell listed first.
"""

import math
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from django.utils.translation import gettext_lazy as _

from haven.core import shares

type Key = Hashable

THRESHOLD = 11  # the minimum reportable count
SUPPRESSED = "<11"
LEGEND = _("<11: fewer than 11, or withheld so that a count under 11 cannot be worked out from the others.")


@dataclass(frozen=True)
class Relation:
    """``total`` equals the sum of ``parts``."""

    total: Key
    parts: tuple[Key, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))
        if not self.parts:
            raise ValueError(f"the total {self.total!r} has no parts")
        if len(set(self.cells)) != len(self.cells):
            raise ValueError(f"a cell appears twice in the relation for {self.total!r}")

    @property
    def cells(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


def one_way(total: Key, parts: Iterable[Key]) -> list[Relation]:
    """A breakdown and its total."""
    return [Relation(total, tuple(parts))]


def two_way(
    rows: Sequence[Key],
    cols: Sequence[Key],
    cell: Callable[[Key, Key], Key],
    row_total: Callable[[Key], Key],
    col_total: Callable[[Key], Key],
    grand_total: Key,
) -> list[Relation]:
    """A rows x columns table with its row totals, column totals and grand total."""
    relations = [Relation(row_total(row), tuple(cell(row, col) for col in cols)) for row in rows]
    relations += [Relation(col_total(col), tuple(cell(row, col) for row in rows)) for col in cols]
    relations.append(Relation(grand_total, tuple(row_total(row) for row in rows)))
    relations.append(Relation(grand_total, tuple(col_total(col) for col in cols)))
    return relations


def _round(count: int, base: int) -> int:
    """To the nearest multiple of ``base``, halves up (15 -> 20)."""
    return (2 * count + base) // (2 * base) * base


@dataclass(frozen=True)
class Protected:
    """A protected table. ``values`` holds the true counts, which are never shown as they are: read :meth:`value`,
    :meth:`display` and :meth:`percent`. ``suppressed`` holds the withheld cells, not counting ``hidden`` ones;
    ``exact`` the cells that are not derived from care records, published as they are."""

    values: Mapping[Key, int]
    suppressed: frozenset[Key]
    hidden: frozenset[Key] = frozenset()
    threshold: int = THRESHOLD
    base: int = 1  # public rounding; 1 shows counts as they are
    exact: frozenset[Key] = frozenset()

    def published(self, key: Key) -> bool:
        if key not in self.values:
            raise KeyError(key)
        return key not in self.suppressed and key not in self.hidden

    def value(self, key: Key) -> int | None:
        """The count to show, or None when the cell is suppressed or hidden."""
        if not self.published(key):
            return None
        return _round(self.values[key], self.base)

    def display(self, key: Key, formatter: Callable[[int], str] = str) -> str:
        """The cell as text: ``"<11"`` when it is not published."""
        shown = self.value(key)
        return f"<{self.threshold}" if shown is None else formatter(shown)

    def percent(self, numerator: Key, denominator: Key) -> int | None:
        """numerator of denominator as a whole percentage, to the nearest (``core.shares.nearest``), or None unless
        both are published and the denominator is at least the threshold (or, both exact, above 0). Once rounded for
        the public, it is a share of the rounded counts, so that it cannot give back the exact counts the rounding
        hid."""
        if not (self.published(numerator) and self.published(denominator)):
            return None
        over = self.values[denominator]
        least = 1 if numerator in self.exact and denominator in self.exact else self.threshold
        if over < least:
            return None
        return shares.nearest(self.values[numerator], over)

    def partition(self, parts: Sequence[Key], whole: Key) -> list[int | None]:
        """The shares of ``parts``, which make up ``whole``: summing to exactly 100 (largest remainder) when every
        part is published, else each published part's :meth:`percent` of the whole, and None for the others. The
        largest remainder decides which shares round up from every part's remainder, a withheld part's too; only a
        row whose parts are all published may use it, so that no share depends on a count that is not shown (the
        row then sums to no more than 100 minus the withheld parts' share, which the counts already tell)."""
        if not all(self.published(part) for part in parts):
            return [self.percent(part, whole) for part in parts]
        if not parts or self.percent(parts[0], whole) is None:  # the whole is withheld or too small
            return [None] * len(parts)
        parted = shares.partition([self.values[part] for part in parts])
        return list(parted) if parted is not None else [None] * len(parts)

    def rounded(self, base: int = 10) -> "Protected":
        """The same table for the public: published counts to the nearest ``base``; suppressed cells stay so."""
        if base < 1:
            raise ValueError(f"the rounding base must be at least 1, not {base}")
        return replace(self, base=base)


def protect(
    values: Mapping[Key, int],
    relations: Sequence[Relation] = (),
    hidden: Collection[Key] = (),
    threshold: int = THRESHOLD,
    published: Collection[Key] = (),
    exact: Collection[Key] = (),
    headline: Collection[Key] = (),
) -> Protected:
    """Withhold every cell of 1 to ``threshold - 1``, and enough others that none of those can be worked out from
    what is published. ``published`` cells are known already (released earlier) and are never withheld: others
    are withheld instead. ``exact`` cells are not derived from care records: published as they are, never withheld.
    ``headline`` cells are withheld only when no protection publishes them all. The result depends only on the
    input, including the order of ``values`` (ties between cells that matter as little go to the one listed first)."""
    if threshold < 1:
        raise ValueError(f"the threshold must be at least 1, not {threshold}")
    counts = dict(values)
    for key, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{key!r}: a count must be a whole number of at least 0, not {count!r}")
    unpublished = frozenset(hidden)
    exact = frozenset(exact)
    for relation in relations:
        unknown = [key for key in relation.cells if key not in counts]
        if unknown:
            raise ValueError(f"the relation for {relation.total!r} uses cells with no value: {unknown!r}")
        if counts[relation.total] != sum(counts[part] for part in relation.parts):
            raise ValueError(f"{relation.total!r} is not the sum of its parts")
        if len({key in exact for key in relation.cells}) > 1:
            # Published exactly beside withheld cells of the same sum, an exact cell could give a child count away.
            raise ValueError(f"the relation for {relation.total!r} mixes exact cells with protected ones")
    for name, keys in (("hidden", unpublished), ("published", published), ("exact", exact), ("headline", headline)):
        if not frozenset(keys) <= counts.keys():
            raise ValueError(f"{name} cells with no value: {list(frozenset(keys) - counts.keys())!r}")
    known = frozenset(published)
    if known & unpublished or any(0 < counts[key] < threshold for key in known - exact):
        raise ValueError("a cell published already is hidden, or under the threshold")
    if exact & unpublished:
        raise ValueError(f"exact cells are published as they are, not hidden: {list(exact & unpublished)!r}")

    # The cells a reader does not see and that may hide something. A hidden zero is left out: it can only grow, so
    # it hides nothing, and the exact check then treats it as known, which can only withhold more.
    masked = {
        key
        for key, count in counts.items()
        if key not in exact and (0 < count < threshold or (key in unpublished and count > 0))
    }
    # First with every headline that may be published taken as published; should that leave a small count
    # unprotected, once more with the headlines as the last cells to withhold.
    keep = frozenset(headline) - masked
    try:
        withheld = _Suppression(counts, relations, threshold, set(masked), known | exact | keep, keep).run()
    except _HeadlineNeeded:
        withheld = _Suppression(counts, relations, threshold, set(masked), known | exact, keep).run()
    return Protected(
        values=MappingProxyType(counts),
        suppressed=frozenset(withheld - unpublished),
        hidden=unpublished,
        threshold=threshold,
        exact=exact,
    )


def _combine[K: Hashable](a: int, left: Mapping[K, int], b: int, right: Mapping[K, int]) -> dict[K, int]:
    """a x left + b x right, as sparse vectors."""
    out = {key: a * coefficient for key, coefficient in left.items()}
    for key, coefficient in right.items():
        total = out.get(key, 0) + b * coefficient
        if total:
            out[key] = total
        else:
            out.pop(key, None)
    return out


def _coefficients(relation: Relation) -> dict[Key, int]:
    """The relation as total - parts = 0."""
    return {key: (1 if key == relation.total else -1) for key in relation.cells}


type _Row = tuple[dict[Key, int], dict[int, int]]  # over cells, and the combination of relations that makes it


def _reduce(row: dict[Key, int], combination: dict[int, int]) -> _Row:
    divisor = math.gcd(*row.values(), *combination.values())
    return (
        {key: coefficient // divisor for key, coefficient in row.items()},
        {index: coefficient // divisor for index, coefficient in combination.items()},
    )


class _HeadlineNeeded(Exception):
    """Only withholding a headline can protect a small count."""


class _Suppression:
    """Complementary suppression: grows ``masked``, the cells withheld so far, until no sensitive one can be
    worked out. ``fixed`` cells are never withheld; ``headline`` cells are withheld last."""

    def __init__(
        self,
        counts: Mapping[Key, int],
        relations: Sequence[Relation],
        threshold: int,
        masked: set[Key],
        fixed: Collection[Key] = frozenset(),
        headline: Collection[Key] = frozenset(),
    ):
        self.counts = counts
        self.fixed = fixed
        self.headline = headline
        self.relations = relations
        self.threshold = threshold
        self.masked = masked
        self.order = {key: index for index, key in enumerate(counts)}  # ties go to the cell listed first
        self.by_cell: dict[Key, list[int]] = {}
        for index, relation in enumerate(relations):
            for key in relation.cells:
                self.by_cell.setdefault(key, []).append(index)
        self.depth = self._depths()

    def _depths(self) -> dict[Key, int]:
        """How far inside the tables each cell is: 0 for a total that is part of nothing, 1 for its parts, and so
        on (the shortest way down from such a total; 0 too for a cell no such total reaches)."""
        parts = {part for relation in self.relations for part in relation.parts}
        depth = {key: 0 for key in self.counts if key not in parts}
        queue = deque(depth)
        while queue:
            key = queue.popleft()
            for index in self.by_cell.get(key, ()):
                relation = self.relations[index]
                if relation.total != key:
                    continue
                for part in relation.parts:
                    if part not in depth:
                        depth[part] = depth[key] + 1
                        queue.append(part)
        return depth

    def cost(self, key: Key) -> tuple[bool, int, int, int]:
        """What withholding the cell loses, least first: a headline most; then an outer total more than the cells
        inside it; then a larger count more than a smaller one; then a cell listed later more."""
        return (key in self.headline, -self.depth.get(key, 0), self.counts[key], self.order[key])

    def sensitive(self, key: Key) -> bool:
        return 0 < self.counts[key] < self.threshold

    def cheapest(self, keys: Iterable[Key]) -> list[Key]:
        """The published non-zero cells among ``keys`` that may still be withheld, cheapest first."""
        candidates = {key for key in keys if key not in self.masked and key not in self.fixed and self.counts[key] > 0}
        return sorted(candidates, key=self.cost)

    def zeros(self, keys: Iterable[Key]) -> list[Key]:
        """The published zeros among ``keys`` that may still be withheld: the last resort, when cells published
        already leave nothing else to withhold (a withheld zero is otherwise more telling than a shown one)."""
        candidates = {key for key in keys if key not in self.masked and key not in self.fixed and not self.counts[key]}
        return sorted(candidates, key=self.cost)

    def stuck(self, keys: Iterable[Key]) -> None:
        """Nothing among ``keys`` may be withheld: if a headline kept published is among them, it must go."""
        if any(key in self.headline and key in self.fixed for key in keys):
            raise _HeadlineNeeded

    def run(self) -> set[Key]:
        """The cells to withhold."""
        # Withholding a cell never lets a masked cell be worked out that could not be before, so a group of linked
        # masked cells found safe stays safe until a newly withheld cell joins it: only those are checked again.
        unchecked = set(self.masked)
        touched: Iterable[int] = range(len(self.relations))
        while True:
            unchecked |= self.settle(touched)
            while unchecked:
                cells, indexes = self.component([min(unchecked, key=self.order.__getitem__)], self.masked)
                unchecked -= cells
                more = self.next_to_withhold(indexes)
                if more is not None:
                    self.masked.add(more)
                    unchecked |= cells | {more}
                    touched = self.by_cell[more]
                    break
            else:
                return self.masked

    def settle(self, touched: Iterable[int]) -> set[Key]:
        """Relation by relation, to a fixpoint: a relation that withholds a sensitive cell must withhold at least
        two cells summing to at least the threshold; if not, its cheapest published non-zero cell is withheld too.
        Returns the cells withheld."""
        added: set[Key] = set()
        queue = deque(sorted(set(touched)))
        queued = set(queue)
        while queue:
            index = queue.popleft()
            queued.discard(index)
            cells = self.relations[index].cells
            withheld = [key for key in cells if key in self.masked]
            if not any(self.sensitive(key) for key in withheld):
                continue
            if len(withheld) >= 2 and sum(self.counts[key] for key in withheld) >= self.threshold:
                continue
            # With fewer than two withheld, published cells must balance a non-zero withheld one, so a candidate
            # exists unless they are fixed; with too small a sum and none left, every non-zero cell that may be
            # withheld is withheld already.
            candidates = self.cheapest(cells)
            if not candidates:
                self.stuck(key for key in cells if key not in self.masked and self.counts[key] > 0)
                continue
            self.masked.add(candidates[0])
            added.add(candidates[0])
            for other in self.by_cell[candidates[0]]:
                if other not in queued:
                    queue.append(other)
                    queued.add(other)
        return added

    def component(self, start: Iterable[Key], masked: Collection[Key]) -> tuple[set[Key], list[int]]:
        """The masked cells linked to ``start`` through relations, and those relations: the equations about a
        masked cell that a reader can use."""
        cells = set(start)
        stack = list(cells)
        indexes: set[int] = set()
        while stack:
            for index in self.by_cell.get(stack.pop(), ()):
                if index not in indexes:
                    indexes.add(index)
                    linked = [key for key in self.relations[index].cells if key in masked and key not in cells]
                    cells.update(linked)
                    stack.extend(linked)
        return cells, sorted(indexes)

    def eliminate(self, indexes: Iterable[int], masked: Collection[Key]) -> dict[Key, _Row]:
        """Gauss-Jordan elimination, in whole numbers, of the relations restricted to the masked cells (published
        ones being known), as reduced rows by pivot cell. A masked cell is a linear consequence of the relations
        and the published values exactly when its reduced row holds it alone (in reduced form, a vector of the row
        space is the sum of its pivots' rows, each weighted by the vector's own value at the pivot)."""
        pivots: dict[Key, _Row] = {}
        for index in indexes:
            row = {key: value for key, value in _coefficients(self.relations[index]).items() if key in masked}
            if not row:
                continue
            combination = {index: 1}
            for key in [key for key in row if key in pivots]:
                pivot_row, pivot_combination = pivots[key]
                a, b = pivot_row[key], -row[key]
                row, combination = _combine(a, row, b, pivot_row), _combine(a, combination, b, pivot_combination)
            if not row:
                continue  # nothing new about the masked cells
            row, combination = _reduce(row, combination)
            pivot = min(row, key=self.order.__getitem__)
            if row[pivot] < 0:
                row = {key: -value for key, value in row.items()}
                combination = {key: -value for key, value in combination.items()}
            for key, (other_row, other_combination) in pivots.items():
                if pivot in other_row:
                    a, b = row[pivot], -other_row[pivot]
                    pivots[key] = _reduce(
                        _combine(a, other_row, b, row), _combine(a, other_combination, b, combination)
                    )
            pivots[pivot] = (row, combination)
        return pivots

    def worked_out(self, key: Key, masked: Collection[Key]) -> bool:
        _, indexes = self.component([key], masked)
        row, _ = self.eliminate(indexes, masked).get(key, ({}, {}))
        return len(row) == 1

    def next_to_withhold(self, indexes: list[int]) -> Key | None:
        """A published cell to withhold because a sensitive masked cell of these relations can be worked out, or
        None when none can. The derivation of the first such cell names the published cells it uses; the cheapest
        non-zero one whose withholding stops the cell being worked out is chosen, else the cheapest (one exists:
        were they all zero, the cell would be zero). A headline only when no other cell of the derivation is left."""
        pivots = self.eliminate(indexes, self.masked)
        leaks = [key for key, (row, _) in pivots.items() if len(row) == 1 and self.sensitive(key)]
        if not leaks:
            return None
        leak = min(leaks, key=self.order.__getitem__)
        used: dict[Key, int] = {}
        for index, weight in pivots[leak][1].items():
            used = _combine(1, used, weight, _coefficients(self.relations[index]))
        candidates = self.cheapest(used) or self.zeros(used)
        if not candidates:
            self.stuck(used)
            raise RuntimeError(f"{leak!r} is worked out from cells published already")
        ordinary = [key for key in candidates if key not in self.headline] or candidates
        return next((key for key in ordinary if not self.worked_out(leak, self.masked | {key})), ordinary[0])
