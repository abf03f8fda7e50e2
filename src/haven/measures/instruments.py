"""Standardized measures as data: one JSON definition per instrument and version in ``instruments/``.

A definition holds what scoring needs and where each number comes from. Item wording is not shipped (copyright
and translation): items are keys (``t1``.. trauma events, ``1``.. symptoms, ``i1``.. impairment, ``s1``..
supplementary questions, outside the total) and numbers; a supplementary or critical item may name a ``topic``,
which ``labels.ITEM_TOPIC_LABELS`` words neutrally. A file is validated when first loaded; a bad one raises
:class:`InstrumentError` naming the file and the problem.

Every threshold and coefficient says where it comes from:

- bands are given by their lowest total; the bands marked ``above_cutoff`` run to the top, and the cut-off is the
  lowest total of the first of them: one number that both the band and the "above the cut-off" flag read. An
  instrument without a published cut-off marks no band (``cutoff`` None), and ``cutoff_source`` says so.
- ``norms`` give the pre-treatment SD, the reliability with its kind (``test-retest`` or ``internal consistency``)
  and source, and the dysfunctional and functional population norms where published (null otherwise, with a note);
- ``clinical_significance.criterion`` chooses Jacobson and Truax's criterion a, b or c, the published cut-off, or
  none (only when neither exists), and is checked against the norms it needs.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from typing import Any, NoReturn

from .change import Criterion, Population, clinical_threshold

GROUPS = ("trauma", "symptom", "impairment", "supplementary")
INFORMANTS = ("child", "caregiver")
# Trauma-event and impairment items are yes (1) / no (0).
YES_NO_GROUPS = ("trauma", "impairment")
KEY_PREFIXES = {"trauma": "t", "symptom": "", "impairment": "i", "supplementary": "s"}
RELIABILITY_KINDS = ("test-retest", "internal consistency")
# The order in which instruments are offered; a definition not listed here follows, by code.
DISPLAY_ORDER = (
    "cats_7_17_self",
    "cats_7_17_caregiver",
    "cats_3_6_caregiver",
    "smfq_child",
    "smfq_parent",
    "phq_a",
)
DEFINITIONS = "instruments"


class InstrumentError(ValueError):
    """A definition file that cannot be used as it stands."""


class UnknownInstrument(LookupError):
    pass


@dataclass(frozen=True)
class Item:
    key: str
    number: int  # the number shown on the data-entry screen, counted within the item's group
    group: str  # "trauma" | "symptom" | "impairment" | "supplementary"
    minimum: int
    maximum: int
    critical_above: int | None = None  # an answer above this fires an alert
    anchors: tuple[str, ...] = ()  # the code of each answer from minimum to maximum (see labels.ANCHOR_LABELS)
    topic: str | None = None  # what the item asks, as a code (see labels.ITEM_TOPIC_LABELS)


@dataclass(frozen=True)
class Band:
    minimum: int
    maximum: int
    code: str
    above_cutoff: bool = False


@dataclass(frozen=True)
class Norms:
    """What reliable and clinically significant change need, each figure with its source. ``sd_pre`` None means
    the program's own baseline SD is used; ``reliability`` None that none is published for this version, so no
    change can be judged reliable."""

    sd_pre: float | None
    sd_pre_source: str
    reliability: float | None
    reliability_kind: str | None  # "test-retest" | "internal consistency"
    reliability_source: str
    dysfunctional: Population | None
    functional: Population | None
    populations_source: str


@dataclass(frozen=True)
class ScreeningRule:
    """A probable-diagnosis flag by symptom counts per subscale: a screening heuristic, never a diagnosis."""

    endorsed_at: int  # a symptom counts as endorsed at this answer or above
    minimums: dict[str, int]  # subscale -> endorsed symptoms needed
    needs_impairment: bool  # and at least one impairment item answered yes
    note: str


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    scoring_version: str
    informant: str  # "child" | "caregiver"
    min_age: int
    max_age: int
    source: str
    items: tuple[Item, ...]
    total_minimum: int
    total_maximum: int
    # A total at or above it is above the cut-off: the lowest total of the bands marked above it. None when no
    # cut-off is published for this version.
    cutoff: int | None
    cutoff_source: str
    bands: tuple[Band, ...]
    subscales: dict[str, tuple[str, ...]]
    max_prorated: int  # missing symptom items that may be prorated; more leaves no total
    missing_source: str
    norms: Norms
    criterion: Criterion  # of clinically significant change
    criterion_note: str
    screening_flag: bool
    screening_rule: ScreeningRule | None = None

    # The dict fields would make the generated hash fail; an instrument is identified by what a score stores.
    def __hash__(self) -> int:
        return hash((self.code, self.version, self.scoring_version))

    def _group(self, group: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.group == group)

    @cached_property
    def symptom_items(self) -> tuple[Item, ...]:
        return self._group("symptom")

    @cached_property
    def trauma_items(self) -> tuple[Item, ...]:
        return self._group("trauma")

    @cached_property
    def impairment_items(self) -> tuple[Item, ...]:
        return self._group("impairment")

    @cached_property
    def supplementary_items(self) -> tuple[Item, ...]:
        return self._group("supplementary")

    @cached_property
    def critical_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.critical_above is not None)

    # The groups' keys, minimums and thresholds as plain tuples: what scoring reads for each of the generator's
    # hundreds of thousands of measures (an item's attributes read again for each was most of scoring).
    @cached_property
    def symptom_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.symptom_items)

    @cached_property
    def trauma_minimums(self) -> tuple[tuple[str, int], ...]:
        return tuple((item.key, item.minimum) for item in self.trauma_items)

    @cached_property
    def impairment_minimums(self) -> tuple[tuple[str, int], ...]:
        return tuple((item.key, item.minimum) for item in self.impairment_items)

    @cached_property
    def critical_above(self) -> tuple[tuple[str, int], ...]:
        return tuple((item.key, item.critical_above) for item in self.critical_items if item.critical_above is not None)

    @cached_property
    def subscale_keys(self) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
        """Each subscale's name, its keys, and the same as a set (is every one answered?)."""
        return tuple((name, keys, frozenset(keys)) for name, keys in self.subscales.items())

    @cached_property
    def items_by_key(self) -> dict[str, Item]:
        return {item.key: item for item in self.items}

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def band_for(self, total: int) -> Band | None:
        return next((band for band in self.bands if band.minimum <= total <= band.maximum), None)

    def above_cutoff(self, total: int) -> bool | None:
        """At or above the cut-off; None when the instrument has none."""
        return None if self.cutoff is None else total >= self.cutoff

    @cached_property
    def threshold(self) -> float | None:
        """The threshold of clinically significant change under the instrument's criterion (None: not judged)."""
        return clinical_threshold(
            self.criterion,
            cutoff=self.cutoff,
            dysfunctional=self.norms.dysfunctional,
            functional=self.norms.functional,
        )


# Every key a definition may hold; anything else is a typo that would otherwise be ignored.
_TOP_LEVEL = frozenset(
    [
        "code",
        "version",
        "scoring_version",
        "informant",
        "min_age",
        "max_age",
        "source",
        "scales",
        "groups",
        "critical",
        "total",
        "bands",
        "bands_source",
        "cutoff_source",
        "subscales",
        "subscales_source",
        "screening",
        "missing",
        "norms",
        "clinical_significance",
        "notes",
    ]
)
_NORMS = frozenset(
    [
        "sd_pre",
        "sd_pre_source",
        "reliability",
        "reliability_kind",
        "reliability_source",
        "dysfunctional",
        "functional",
        "populations_source",
    ]
)
_BAND = frozenset(["minimum", "code", "above_cutoff"])
_CODE = re.compile(r"[a-z][a-z0-9_]*")


class _Reader:
    """Typed reads from parsed JSON, failing with the file's name and the place of the problem."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, message: str) -> NoReturn:
        raise InstrumentError(f"{self.name}: {message}")

    def obj(self, value: object, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(f"{where} must be an object")
        return value

    def seq(self, value: object, where: str) -> Sequence[Any]:
        if not isinstance(value, list):
            self.fail(f"{where} must be a list")
        return value

    def get(self, data: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in data:
            self.fail(f"{where}{key} is missing")
        return data[key]

    def integer(self, data: Mapping[str, Any], key: str, where: str = "") -> int:
        value = self.get(data, key, where)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{where}{key} must be a whole number, not {value!r}")
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str = "") -> float:
        value = self.get(data, key, where)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(f"{where}{key} must be a number, not {value!r}")
        return float(value)

    def text(self, data: Mapping[str, Any], key: str, where: str = "") -> str:
        value = self.get(data, key, where)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}{key} must be a non-empty string")
        return value

    def flag(self, data: Mapping[str, Any], key: str, where: str = "") -> bool:
        value = self.get(data, key, where)
        if not isinstance(value, bool):
            self.fail(f"{where}{key} must be true or false")
        return value

    def only(self, data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            self.fail(f"unknown keys {', '.join(f'{where}{key}' for key in unknown)}")


def parse(data: object, *, name: str = "definition") -> Instrument:
    """Build an instrument from a parsed definition, or raise :class:`InstrumentError`."""
    read = _Reader(name)
    definition = read.obj(data, "the definition")
    unknown = sorted(set(definition) - _TOP_LEVEL)
    if unknown:
        read.fail(f"unknown keys {', '.join(unknown)}")
    code = read.text(definition, "code")
    if not _CODE.fullmatch(code):
        read.fail(f"code {code!r} must be lower-case letters, digits and underscores")
    informant = read.text(definition, "informant")
    if informant not in INFORMANTS:
        read.fail(f"informant must be one of {', '.join(INFORMANTS)}, not {informant!r}")
    min_age, max_age = read.integer(definition, "min_age"), read.integer(definition, "max_age")
    if not 0 <= min_age <= max_age:
        read.fail(f"ages {min_age}-{max_age} are not a range")

    items = _items(read, definition)
    symptoms = tuple(item for item in items if item.group == "symptom")

    total = read.obj(read.get(definition, "total", ""), "total")
    total_minimum, total_maximum = read.integer(total, "minimum", "total."), read.integer(total, "maximum", "total.")
    expected = (sum(item.minimum for item in symptoms), sum(item.maximum for item in symptoms))
    if (total_minimum, total_maximum) != expected:
        read.fail(f"total {total_minimum}-{total_maximum} is not the symptom items' range {expected[0]}-{expected[1]}")

    bands = _bands(read, definition, total_minimum, total_maximum)
    read.text(definition, "bands_source")
    cutoff = next((band.minimum for band in bands if band.above_cutoff), None)
    cutoff_source = read.text(definition, "cutoff_source")

    subscales = _subscales(read, definition, {item.key for item in symptoms})
    read.text(definition, "subscales_source")
    screening_rule = _screening(read, definition, subscales, symptoms, items)

    missing = read.obj(read.get(definition, "missing", ""), "missing")
    max_prorated = read.integer(missing, "max_prorated", "missing.")
    if not 0 <= max_prorated < len(symptoms):
        read.fail(f"missing.max_prorated {max_prorated} must be from 0 to {len(symptoms) - 1}")

    norms = _norms(read, definition)
    criterion, criterion_note = _criterion(read, definition, cutoff, norms)

    return Instrument(
        code=code,
        version=read.text(definition, "version"),
        scoring_version=read.text(definition, "scoring_version"),
        informant=informant,
        min_age=min_age,
        max_age=max_age,
        source=read.text(definition, "source"),
        items=items,
        total_minimum=total_minimum,
        total_maximum=total_maximum,
        cutoff=cutoff,
        cutoff_source=cutoff_source,
        bands=bands,
        subscales=subscales,
        max_prorated=max_prorated,
        missing_source=read.text(missing, "source", "missing."),
        norms=norms,
        criterion=criterion,
        criterion_note=criterion_note,
        screening_flag=screening_rule is not None,
        screening_rule=screening_rule,
    )


def _items(read: _Reader, definition: Mapping[str, Any]) -> tuple[Item, ...]:
    scales: dict[str, tuple[int, int, tuple[str, ...]]] = {}
    for scale_name, scale_data in read.obj(read.get(definition, "scales", ""), "scales").items():
        where = f"scales.{scale_name}."
        scale = read.obj(scale_data, where.rstrip("."))
        low, high = read.integer(scale, "minimum", where), read.integer(scale, "maximum", where)
        if low >= high:
            read.fail(f"{where}minimum must be below its maximum")
        anchors = tuple(read.seq(read.get(scale, "anchors", where), f"{where}anchors"))
        if len(anchors) != high - low + 1 or not all(isinstance(a, str) and a for a in anchors):
            read.fail(f"{where}anchors must name each answer from {low} to {high}")
        scales[scale_name] = (low, high, anchors)

    critical: dict[str, int] = {}
    critical_topics: dict[str, str] = {}
    for index, entry_data in enumerate(read.seq(read.get(definition, "critical", ""), "critical")):
        entry = read.obj(entry_data, f"critical[{index}]")
        key = read.text(entry, "item", f"critical[{index}].")
        critical[key] = read.integer(entry, "above", f"critical[{index}].")
        read.text(entry, "note", f"critical[{index}].")
        if "topic" in entry:
            critical_topics[key] = _topic(read, entry, f"critical[{index}].")

    items: list[Item] = []
    seen: set[str] = set()
    for index, group_data in enumerate(read.seq(read.get(definition, "groups", ""), "groups")):
        where = f"groups[{index}]."
        group_entry = read.obj(group_data, where.rstrip("."))
        group = read.text(group_entry, "group", where)
        if group not in GROUPS:
            read.fail(f"{where}group must be one of {', '.join(GROUPS)}, not {group!r}")
        if group in seen:
            read.fail(f"{where}group {group} appears twice")
        seen.add(group)
        # A group is a number of items on one scale, or a list of items each with its scale and topic.
        entries: list[tuple[str, str | None]]
        if "items" in group_entry:
            listed = read.seq(group_entry["items"], f"{where}items")
            entries = [
                (
                    read.text(read.obj(entry, f"{where}items[{n}]"), "scale", f"{where}items[{n}]."),
                    _topic(read, entry, f"{where}items[{n}]."),
                )
                for n, entry in enumerate(listed)
            ]
        else:
            count = read.integer(group_entry, "count", where)
            entries = [(read.text(group_entry, "scale", where), None)] * count
        if len(entries) < 1:
            read.fail(f"{where}count must be at least 1")
        for number, (scale_name, topic) in enumerate(entries, start=1):
            if scale_name not in scales:
                read.fail(f"{where}scale {scale_name!r} is not among the scales")
            low, high, anchors = scales[scale_name]
            if group in YES_NO_GROUPS and (low, high) != (0, 1):
                read.fail(f"{where}{group} items are yes/no and need a 0-1 scale, not {low}-{high}")
            key = f"{KEY_PREFIXES[group]}{number}"
            items.append(
                Item(key, number, group, low, high, critical.get(key), anchors, topic or critical_topics.get(key))
            )
    if "symptom" not in seen:
        read.fail("groups must include the symptom items")

    by_key = {item.key: item for item in items}
    for key, above in critical.items():
        if key not in by_key:
            read.fail(f"critical item {key!r} is not an item")
        if not by_key[key].minimum <= above < by_key[key].maximum:
            read.fail(f"critical item {key} fires above {above}, which no answer can do (or every answer does)")
    # Trauma items first, then symptoms, then impairment, whatever the file's order.
    return tuple(sorted(items, key=lambda item: (GROUPS.index(item.group), item.number)))


def _bands(read: _Reader, definition: Mapping[str, Any], low: int, high: int) -> tuple[Band, ...]:
    """Bands by their lowest total, each running up to the next one's; none at all where none are published."""
    entries = read.seq(read.get(definition, "bands", ""), "bands")
    starts: list[tuple[int, str, bool]] = []
    for index, band_data in enumerate(entries):
        where = f"bands[{index}]."
        band_entry = read.obj(band_data, where.rstrip("."))
        read.only(band_entry, _BAND, where)
        minimum, code = read.integer(band_entry, "minimum", where), read.text(band_entry, "code", where)
        above = read.flag(band_entry, "above_cutoff", where) if "above_cutoff" in band_entry else False
        if not starts and minimum != low:
            read.fail(f"the first band starts at {minimum}, not at the total minimum {low}")
        if not starts and above:
            read.fail("the first band cannot be above the cut-off: every total would be")
        if starts and minimum <= starts[-1][0]:
            read.fail(f"band {code} starts at {minimum}, not above the band before it")
        if minimum > high:
            read.fail(f"band {code} starts at {minimum}, above the total maximum {high}")
        if starts and starts[-1][2] and not above:
            read.fail(f"band {code} follows a band above the cut-off, so it is above the cut-off too")
        starts.append((minimum, code, above))
    codes = [code for _minimum, code, _above in starts]
    if len(set(codes)) != len(codes):
        read.fail("band codes must differ")
    if not starts:
        return ()
    ends = [minimum - 1 for minimum, _code, _above in starts[1:]] + [high]
    return tuple(Band(minimum, end, code, above) for (minimum, code, above), end in zip(starts, ends, strict=True))


def _topic(read: _Reader, entry: Mapping[str, Any], where: str) -> str:
    topic = read.text(entry, "topic", where)
    if not _CODE.fullmatch(topic):
        read.fail(f"{where}topic {topic!r} must be lower-case letters, digits and underscores")
    return topic


def _population(read: _Reader, norms: Mapping[str, Any], key: str) -> Population | None:
    value = read.get(norms, key, "norms.")
    if value is None:
        return None
    where = f"norms.{key}."
    entry = read.obj(value, where.rstrip("."))
    read.only(entry, frozenset(["mean", "sd", "source"]), where)
    sd = read.number(entry, "sd", where)
    if sd <= 0:
        read.fail(f"{where}sd must be above 0")
    return Population(read.number(entry, "mean", where), sd, read.text(entry, "source", where))


def _norms(read: _Reader, definition: Mapping[str, Any]) -> Norms:
    norms = read.obj(read.get(definition, "norms", ""), "norms")
    read.only(norms, _NORMS, "norms.")
    sd_pre = None if read.get(norms, "sd_pre", "norms.") is None else read.number(norms, "sd_pre", "norms.")
    if sd_pre is not None and sd_pre <= 0:
        read.fail("norms.sd_pre must be above 0 (or null to use the program's baseline SD)")
    reliability = None
    if read.get(norms, "reliability", "norms.") is not None:
        reliability = read.number(norms, "reliability", "norms.")
        if not 0 < reliability < 1:
            read.fail(f"norms.reliability {reliability} must be between 0 and 1")
    kind = read.get(norms, "reliability_kind", "norms.")
    if reliability is None and kind is not None:
        read.fail("norms.reliability_kind must be null when no reliability is given")
    if reliability is not None and kind not in RELIABILITY_KINDS:
        read.fail(f"norms.reliability_kind must be one of {', '.join(RELIABILITY_KINDS)}, not {kind!r}")
    return Norms(
        sd_pre=sd_pre,
        sd_pre_source=read.text(norms, "sd_pre_source", "norms."),
        reliability=reliability,
        reliability_kind=kind,
        reliability_source=read.text(norms, "reliability_source", "norms."),
        dysfunctional=_population(read, norms, "dysfunctional"),
        functional=_population(read, norms, "functional"),
        populations_source=read.text(norms, "populations_source", "norms."),
    )


def _criterion(read: _Reader, definition: Mapping[str, Any], cutoff: int | None, norms: Norms) -> tuple[Criterion, str]:
    entry = read.obj(read.get(definition, "clinical_significance", ""), "clinical_significance")
    read.only(entry, frozenset(["criterion", "note"]), "clinical_significance.")
    value = read.text(entry, "criterion", "clinical_significance.")
    if value not in {c.value for c in Criterion}:
        choices = ", ".join(c.value for c in Criterion)
        read.fail(f"clinical_significance.criterion must be one of {choices}, not {value!r}")
    criterion = Criterion(value)
    needs = {
        Criterion.A: ("the dysfunctional norms", norms.dysfunctional is not None),
        Criterion.B: ("the functional norms", norms.functional is not None),
        Criterion.C: ("both population norms", norms.dysfunctional is not None and norms.functional is not None),
        Criterion.CUTOFF: ("a band above the cut-off", cutoff is not None),
    }
    if criterion in needs and not needs[criterion][1]:
        read.fail(f"clinical_significance.criterion {value} needs {needs[criterion][0]}")
    available = cutoff is not None or norms.dysfunctional is not None or norms.functional is not None
    if criterion == Criterion.NONE and available:
        read.fail("clinical_significance.criterion none is only for an instrument with no cut-off and no norms")
    return criterion, read.text(entry, "note", "clinical_significance.")


def _subscales(read: _Reader, definition: Mapping[str, Any], symptom_keys: set[str]) -> dict[str, tuple[str, ...]]:
    subscales: dict[str, tuple[str, ...]] = {}
    placed: dict[str, str] = {}
    for name, keys_data in read.obj(read.get(definition, "subscales", ""), "subscales").items():
        keys = tuple(read.seq(keys_data, f"subscales.{name}"))
        if not keys:
            read.fail(f"subscale {name} has no items")
        for key in keys:
            if key not in symptom_keys:
                read.fail(f"subscale {name} names {key!r}, which is not a symptom item")
            if key in placed:
                read.fail(f"item {key} is in subscales {placed[key]} and {name}")
            placed[key] = name
        subscales[name] = keys
    return subscales


def _screening(
    read: _Reader,
    definition: Mapping[str, Any],
    subscales: dict[str, tuple[str, ...]],
    symptoms: tuple[Item, ...],
    items: tuple[Item, ...],
) -> ScreeningRule | None:
    screening_data = read.get(definition, "screening", "")
    if screening_data is None:
        return None
    screening = read.obj(screening_data, "screening")
    # The flag is a screening heuristic; a definition must say so in as many words.
    if not read.flag(screening, "heuristic", "screening."):
        read.fail("screening.heuristic must be true: a symptom-count flag is a screening heuristic")
    endorsed_at = read.integer(screening, "endorsed_at", "screening.")
    if not all(item.minimum < endorsed_at <= item.maximum for item in symptoms):
        read.fail(f"screening.endorsed_at {endorsed_at} is not an answer above the lowest on every symptom item")
    minimums: dict[str, int] = {}
    for name in read.obj(read.get(screening, "minimums", "screening."), "screening.minimums"):
        if name not in subscales:
            read.fail(f"screening.minimums names {name!r}, which is not a subscale")
        needed = read.integer(screening["minimums"], name, "screening.minimums.")
        if not 0 <= needed <= len(subscales[name]):
            read.fail(f"screening.minimums.{name} {needed} is more than the subscale's {len(subscales[name])} items")
        minimums[name] = needed
    needs_impairment = read.flag(screening, "needs_impairment", "screening.")
    if needs_impairment and not any(item.group == "impairment" for item in items):
        read.fail("screening.needs_impairment needs impairment items")
    return ScreeningRule(endorsed_at, minimums, needs_impairment, read.text(screening, "note", "screening."))


def _file_name(code: str) -> str:
    return f"{code.replace('_', '-')}.json"


@cache
def _catalog() -> dict[str, Instrument]:
    instruments: dict[str, Instrument] = {}
    folder = files("haven.measures").joinpath(DEFINITIONS)
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise InstrumentError(f"{entry.name}: not valid JSON ({error})") from error
        instrument = parse(data, name=entry.name)
        if entry.name != _file_name(instrument.code):
            raise InstrumentError(
                f"{entry.name}: a definition of {instrument.code} belongs in {_file_name(instrument.code)}"
            )
        instruments[instrument.code] = instrument
    return instruments


def _display_key(instrument: Instrument) -> tuple[int, str]:
    listed = instrument.code in DISPLAY_ORDER
    return (DISPLAY_ORDER.index(instrument.code) if listed else len(DISPLAY_ORDER), instrument.code)


def load(code: str) -> Instrument:
    """The shipped instrument ``code`` (every definition is read and validated once, on first use)."""
    try:
        return _catalog()[code]
    except KeyError:
        raise UnknownInstrument(f"no instrument {code!r}") from None


def all_instruments() -> tuple[Instrument, ...]:
    return tuple(sorted(_catalog().values(), key=_display_key))


def for_age(age: int) -> tuple[Instrument, ...]:
    """The instruments meant for a child of ``age`` years, self-report and caregiver report alike."""
    return tuple(instrument for instrument in all_instruments() if instrument.min_age <= age <= instrument.max_age)
