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
   withheld cells number at least two and sum to at least 11 (the next smallest cells are withheld too; short of
   11 only when every non-zero cell of the relation is withheld already). Linked relations can still pin a cell
   down together (in a two-way table, a row whose one withheld cell is not small gives that cell away, and with
   it the small one in its column), so each small cell is then checked exactly, by elimination over the relations
   with the published values known: while one is determined, a cell its derivation uses is withheld too.
   Zeros are not withheld: a zero hides nothing, and since a count cannot go below it, a withheld zero would
   pin its neighbours rather than hide them; only when cells ``published`` already (an earlier release) leave
   nothing else to withhold is a zero withheld. *Hidden* cells are never published (e.g. referred minus started in
   a funnel, which a reader can compute from the two published stages): one of 1 to 10 is protected like a
   suppressed cell, and a hidden zero is treated as known.
3. A percentage only when its numerator and denominator are both published and the denominator is at least 11.
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
"""

import math
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from django.utils.translation import gettext_lazy as _

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
    :meth:`display` and :meth:`percent`. ``suppressed`` holds the withheld cells, not counting ``hidden`` ones."""

    values: Mapping[Key, int]
    suppressed: frozenset[Key]
    hidden: frozenset[Key] = frozenset()
    threshold: int = THRESHOLD
    base: int = 1  # public rounding; 1 shows counts as they are

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

    def percent(self, numerator: Key, denominator: Key) -> float | None:
        """100 x numerator / denominator, or None unless both are published and the denominator is at least the
        threshold. Once rounded, the percentage is rounded to a whole number too, so that it cannot give back the
        exact counts the rounding hid."""
        if not (self.published(numerator) and self.published(denominator)):
            return None
        over = self.values[denominator]
        if over < self.threshold:
            return None
        share = 100 * self.values[numerator] / over
        return float(round(share)) if self.base > 1 else share

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
) -> Protected:
    """Withhold every cell of 1 to ``threshold - 1``, and enough others that none of those can be worked out from
    what is published. ``published`` cells are known already (released earlier) and are never withheld: others
    are withheld instead. The result depends only on the input, including the order of ``values`` (ties between
    equally small candidates go to the cell listed first)."""
    if threshold < 1:
        raise ValueError(f"the threshold must be at least 1, not {threshold}")
    counts = dict(values)
    for key, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{key!r}: a count must be a whole number of at least 0, not {count!r}")
    unpublished = frozenset(hidden)
    for relation in relations:
        unknown = [key for key in relation.cells if key not in counts]
        if unknown:
            raise ValueError(f"the relation for {relation.total!r} uses cells with no value: {unknown!r}")
        if counts[relation.total] != sum(counts[part] for part in relation.parts):
            raise ValueError(f"{relation.total!r} is not the sum of its parts")
    if not unpublished <= counts.keys():
        raise ValueError(f"hidden cells with no value: {list(unpublished - counts.keys())!r}")
    known = frozenset(published)
    if not known <= counts.keys():
        raise ValueError(f"published cells with no value: {list(known - counts.keys())!r}")
    if known & unpublished or any(0 < counts[key] < threshold for key in known):
        raise ValueError("a cell published already is hidden, or under the threshold")

    # The cells a reader does not see and that may hide something. A hidden zero is left out: it can only grow, so
    # it hides nothing, and the exact check then treats it as known, which can only withhold more.
    masked = {key for key, count in counts.items() if 0 < count < threshold or (key in unpublished and count > 0)}
    _Suppression(counts, relations, threshold, masked, known).run()
    return Protected(
        values=MappingProxyType(counts),
        suppressed=frozenset(masked - unpublished),
        hidden=unpublished,
        threshold=threshold,
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


class _Suppression:
    """Complementary suppression: grows ``masked``, the cells withheld so far, until no sensitive one can be
    worked out."""

    def __init__(
        self,
        counts: Mapping[Key, int],
        relations: Sequence[Relation],
        threshold: int,
        masked: set[Key],
        known: Collection[Key] = frozenset(),
    ):
        self.counts = counts
        self.known = known
        self.relations = relations
        self.threshold = threshold
        self.masked = masked
        self.order = {key: index for index, key in enumerate(counts)}  # ties go to the cell listed first
        self.by_cell: dict[Key, list[int]] = {}
        for index, relation in enumerate(relations):
            for key in relation.cells:
                self.by_cell.setdefault(key, []).append(index)

    def sensitive(self, key: Key) -> bool:
        return 0 < self.counts[key] < self.threshold

    def smallest(self, keys: Iterable[Key]) -> list[Key]:
        """The published non-zero cells among ``keys`` that may still be withheld, smallest first."""
        candidates = {key for key in keys if key not in self.masked and key not in self.known and self.counts[key] > 0}
        return sorted(candidates, key=lambda key: (self.counts[key], self.order[key]))

    def zeros(self, keys: Iterable[Key]) -> list[Key]:
        """The published zeros among ``keys`` that may still be withheld: the last resort, when cells published
        already leave nothing else to withhold (a withheld zero is otherwise more telling than a shown one)."""
        candidates = {key for key in keys if key not in self.masked and key not in self.known and not self.counts[key]}
        return sorted(candidates, key=self.order.__getitem__)

    def run(self) -> None:
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
                return

    def settle(self, touched: Iterable[int]) -> set[Key]:
        """Relation by relation, to a fixpoint: a relation that withholds a sensitive cell must withhold at least
        two cells summing to at least the threshold; if not, its smallest published non-zero cell is withheld too.
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
            # exists; with too small a sum and none left, every non-zero cell is withheld and none can add to it.
            candidates = self.smallest(cells)
            if not candidates:
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
        None when none can. The derivation of the first such cell names the published cells it uses; the smallest
        non-zero one whose withholding stops the cell being worked out is chosen, else the smallest (one exists:
        were they all zero, the cell would be zero)."""
        pivots = self.eliminate(indexes, self.masked)
        leaks = [key for key, (row, _) in pivots.items() if len(row) == 1 and self.sensitive(key)]
        if not leaks:
            return None
        leak = min(leaks, key=self.order.__getitem__)
        used: dict[Key, int] = {}
        for index, weight in pivots[leak][1].items():
            used = _combine(1, used, weight, _coefficients(self.relations[index]))
        candidates = self.smallest(used) or self.zeros(used)
        if not candidates:
            raise RuntimeError(f"{leak!r} is worked out from cells published already")
        return next((key for key in candidates if not self.worked_out(leak, self.masked | {key})), candidates[0])
