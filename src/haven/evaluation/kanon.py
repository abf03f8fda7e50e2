"""The re-identification risk check of an evaluation export: k-anonymity over the children's quasi-identifiers.

Plain data in, plain data out (no Django). Each record is a tuple of strings, one per quasi-identifier in
:data:`QUASI_IDENTIFIERS`: an age in whole years ("7"), a gender and a race/ethnicity code, a state ("TX"), the
trauma types (codes sorted and joined by ";") and the referral month ("2025-03").

A class is the records sharing one tuple. Records of classes smaller than ``k`` are generalized, one rung of
:data:`LADDER` at a time and only those records (local recoding: a large class keeps its detail), and whatever is
still in a class smaller than ``k`` after the last rung is withheld. Each quasi-identifier climbs its own rungs in
order; at each step the rung taken is the one that brings the most small-class records into classes of at least
``k`` (greedy), a value coarsened before any is withheld, and the state withheld last of all. A rung only coarsens
(an age to a band, a month to its quarter, then its year, a value to :data:`ANY`), and a value already as coarse as
a rung asks is left as it is, so the check is idempotent on its own output.
"""

import re
from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

QUASI_IDENTIFIERS = ("age", "gender", "race_ethnicity", "state", "trauma_types", "referral_month")
AGE, GENDER, RACE, STATE, TRAUMA, MONTH = range(len(QUASI_IDENTIFIERS))

# Any value at all: what a quasi-identifier becomes when its last step is taken.
ANY = "*"
# Two trauma types or more, once the types themselves are too telling.
MULTIPLE = "multiple"
TRAUMA_SEPARATOR = ";"

DEFAULT_K = 11

_BAND = re.compile(r"^(\d+)-(\d+)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^\d{4}$")

# The age bands of the program's figures (care.models.AgeBand), then three-year bands that nest inside them.
PROGRAM_BANDS = ((0, 5), (6, 11), (12, 17))


def _age_range(value: str) -> tuple[int, int] | None:
    """The ages a value stands for, None for ANY."""
    if value == ANY:
        return None
    if value.isdigit():
        return int(value), int(value)
    match = _BAND.match(value)
    if match is None:
        raise ValueError(f"not an age: {value!r}")
    return int(match[1]), int(match[2])


def _band(value: str, width: int) -> str:
    """The ``width``-year band (0-2, 3-5, ... for 3) holding an age, or the value if it is as coarse already."""
    span = _age_range(value)
    if span is None:
        return value
    low, high = span
    start = low - low % width
    if high > start + width - 1:  # already wider than the band
        return value
    return f"{start}-{start + width - 1}"


def age_in_3_years(value: str) -> str:
    return _band(value, 3)


def age_in_program_bands(value: str) -> str:
    span = _age_range(value)
    if span is None:
        return value
    for low, high in PROGRAM_BANDS:
        if low <= span[0] and span[1] <= high:
            return f"{low}-{high}"
    return value  # wider than any band already (or outside them)


def month_to_quarter(value: str) -> str:
    match = _MONTH.match(value)
    if match is None:
        return value
    return f"{match[1]}-Q{(int(match[2]) - 1) // 3 + 1}"


def month_to_year(value: str) -> str:
    match = _MONTH.match(value) or _QUARTER.match(value)
    return match[1] if match is not None else value


def trauma_single_or_multiple(value: str) -> str:
    return MULTIPLE if TRAUMA_SEPARATOR in value else value


def to_any(value: str) -> str:
    return ANY


@dataclass(frozen=True)
class Rung:
    """One generalization step: which quasi-identifier it coarsens, how, and its name in the report."""

    name: str
    index: int
    coarsen: Callable[[str], str]


# Every rung, in the order of preference when two would help as much: detail of age and time first, geography
# last. A quasi-identifier's rungs are taken in this order (its hierarchy); which quasi-identifier's next rung is
# taken at each step is chosen by ``anonymize``.
LADDER: tuple[Rung, ...] = (
    Rung("age_3_year_bands", AGE, age_in_3_years),
    Rung("referral_quarter", MONTH, month_to_quarter),
    Rung("age_program_bands", AGE, age_in_program_bands),
    Rung("trauma_single_or_multiple", TRAUMA, trauma_single_or_multiple),
    Rung("referral_year", MONTH, month_to_year),
    Rung("race_ethnicity_any", RACE, to_any),
    Rung("trauma_any", TRAUMA, to_any),
    Rung("gender_any", GENDER, to_any),
    Rung("age_any", AGE, to_any),
    Rung("referral_any", MONTH, to_any),
    Rung("state_any", STATE, to_any),
)


def covers(general: str, exact: str, index: int) -> bool:
    """Whether ``general`` is ``exact`` or a coarsening of it, for the quasi-identifier at ``index``."""
    if general in (exact, ANY):
        return True
    if index == AGE:
        outer, inner = _age_range(general), _age_range(exact)
        return outer is not None and inner is not None and outer[0] <= inner[0] and inner[1] <= outer[1]
    if index == MONTH:
        return general in (month_to_quarter(exact), month_to_year(exact))
    if index == TRAUMA:
        return general == MULTIPLE and (TRAUMA_SEPARATOR in exact or exact == MULTIPLE)
    return False


@dataclass(frozen=True)
class Step:
    """One rung taken: how many records it coarsened (those in classes smaller than k before it)."""

    name: str
    quasi_identifier: str
    records: int


@dataclass(frozen=True)
class Result[K: Hashable]:
    released: dict[K, tuple[str, ...]]
    withheld: frozenset[K]
    steps: tuple[Step, ...]
    k: int
    smallest_class: int | None  # among the released records; None when none is released
    classes: int
    records: int  # records checked

    def report(self) -> dict[str, Any]:
        """The risk report, JSON-able."""
        return {
            "k": self.k,
            "quasi_identifiers": list(QUASI_IDENTIFIERS),
            "records_checked": self.records,
            "records_released": len(self.released),
            "records_withheld": len(self.withheld),
            "steps": [
                {"step": s.name, "quasi_identifier": s.quasi_identifier, "records_generalized": s.records}
                for s in self.steps
            ],
            "classes": self.classes,
            "smallest_class": self.smallest_class,
        }


@dataclass
class _State[K: Hashable]:
    values: dict[K, tuple[str, ...]]
    sizes: Counter[tuple[str, ...]] = field(default_factory=Counter)

    def recount(self) -> None:
        self.sizes = Counter(self.values.values())

    def small(self, k: int) -> list[K]:
        return [key for key, value in self.values.items() if self.sizes[value] < k]


def _tier(rung: Rung) -> int:
    if rung.coarsen is not to_any:
        return 0
    return 2 if rung.index == STATE else 1


def _best_rung[K: Hashable](state: _State[K], small: list[K], remaining: list[Rung], k: int) -> Rung:
    """Among the next rung of each quasi-identifier, the one that puts the most of the ``small`` records in classes
    of at least k (the large classes stay as they are, and a generalized record may join one), the earlier in the
    ladder on a tie. A rung that coarsens a value is taken before one that withholds a value, and the state is
    withheld only when nothing else is left."""
    candidates: list[Rung] = []
    for rung in remaining:
        if all(other.index != rung.index for other in candidates):
            candidates.append(rung)
    # A value coarsened before any is withheld, and the state withheld last of all.
    tier = min(_tier(rung) for rung in candidates)
    candidates = [rung for rung in candidates if _tier(rung) == tier]
    small_set = set(small)
    large = Counter(value for key, value in state.values.items() if key not in small_set)
    best, best_rescued = candidates[0], -1
    for rung in candidates:
        moved = Counter(
            value[: rung.index] + (rung.coarsen(value[rung.index]),) + value[rung.index + 1 :]
            for value in (state.values[key] for key in small)
        )
        rescued = sum(n for value, n in moved.items() if n + large.get(value, 0) >= k)
        if rescued > best_rescued:
            best, best_rescued = rung, rescued
    return best


def anonymize[K: Hashable](records: Mapping[K, tuple[str, ...]], k: int = DEFAULT_K) -> Result[K]:
    """Every record in a class of at least ``k``: generalized step by step where its class is smaller, withheld
    when even the last step leaves it in one."""
    if k < 1:
        raise ValueError("k is at least 1")
    for value in records.values():
        if len(value) != len(QUASI_IDENTIFIERS):
            raise ValueError(f"a record has {len(value)} values, not {len(QUASI_IDENTIFIERS)}")
    state = _State(dict(records))
    state.recount()
    steps: list[Step] = []
    remaining = list(LADDER)
    while remaining and (small := state.small(k)):
        rung = _best_rung(state, small, remaining, k)
        remaining.remove(rung)
        changed = 0
        for key in small:
            value = state.values[key]
            coarser = rung.coarsen(value[rung.index])
            if coarser != value[rung.index]:
                state.values[key] = value[: rung.index] + (coarser,) + value[rung.index + 1 :]
                changed += 1
        if changed:
            steps.append(Step(rung.name, QUASI_IDENTIFIERS[rung.index], changed))
            state.recount()
    withheld = frozenset(state.small(k))
    released = {key: value for key, value in state.values.items() if key not in withheld}
    sizes = Counter(released.values())
    return Result(
        released=released,
        withheld=withheld,
        steps=tuple(steps),
        k=k,
        smallest_class=min(sizes.values()) if sizes else None,
        classes=len(sizes),
        records=len(records),
    )
