"""The shipped definitions load and say what reference/measures.md says; a bad definition is refused."""

import copy
import json
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import pytest

from haven.measures import labels
from haven.measures.change import Change
from haven.measures.instruments import (
    GROUPS,
    InstrumentError,
    UnknownInstrument,
    all_instruments,
    for_age,
    load,
    parse,
)

FOLDER = files("haven.measures").joinpath("instruments")
SHIPPED = sorted(entry.name for entry in FOLDER.iterdir() if entry.name.endswith(".json"))


def _definition(name: str = "cats-7-17-self.json") -> dict[str, Any]:
    return json.loads(FOLDER.joinpath(name).read_text(encoding="utf-8"))


def test_exactly_the_six_instruments_ship_in_display_order() -> None:
    assert SHIPPED == [
        "cats-3-6-caregiver.json",
        "cats-7-17-caregiver.json",
        "cats-7-17-self.json",
        "phq-a.json",
        "smfq-child.json",
        "smfq-parent.json",
    ]
    assert [instrument.code for instrument in all_instruments()] == [
        "cats_7_17_self",
        "cats_7_17_caregiver",
        "cats_3_6_caregiver",
        "smfq_child",
        "smfq_parent",
        "phq_a",
    ]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_file_loads_and_is_named_after_its_code(name: str) -> None:
    instrument = parse(_definition(name), name=name)
    assert name == f"{instrument.code.replace('_', '-')}.json"
    assert load(instrument.code) == instrument
    assert load(instrument.code) is load(instrument.code)
    assert instrument.version and instrument.scoring_version and instrument.source
    assert instrument.cutoff_source and instrument.missing_source and instrument.norms.source
    # Every total has exactly one band.
    for total in range(instrument.total_minimum, instrument.total_maximum + 1):
        assert sum(1 for band in instrument.bands if band.minimum <= total <= band.maximum) == 1
    assert instrument.band_for(instrument.total_maximum + 1) is None


# (code, informant, ages, symptom items, answer range, total range, cut-off), from reference/measures.md.
FACTS = [
    ("cats_7_17_self", "child", (7, 17), 20, (0, 3), (0, 60), 21),
    ("cats_7_17_caregiver", "caregiver", (7, 17), 20, (0, 3), (0, 60), 21),
    ("cats_3_6_caregiver", "caregiver", (3, 6), 16, (0, 3), (0, 48), 16),
    ("smfq_child", "child", (6, 17), 13, (0, 2), (0, 26), 8),
    ("smfq_parent", "caregiver", (6, 17), 13, (0, 2), (0, 26), 8),
    ("phq_a", "child", (11, 17), 9, (0, 3), (0, 27), 10),
]


@pytest.mark.parametrize(("code", "informant", "ages", "symptoms", "answers", "total", "cutoff"), FACTS)
def test_definitions_match_the_reference(
    code: str,
    informant: str,
    ages: tuple[int, int],
    symptoms: int,
    answers: tuple[int, int],
    total: tuple[int, int],
    cutoff: int,
) -> None:
    instrument = load(code)
    assert instrument.informant == informant
    assert (instrument.min_age, instrument.max_age) == ages
    assert [item.key for item in instrument.symptom_items] == [str(n) for n in range(1, symptoms + 1)]
    assert {(item.minimum, item.maximum) for item in instrument.symptom_items} == {answers}
    assert (instrument.total_minimum, instrument.total_maximum) == total
    assert instrument.cutoff == cutoff


@pytest.mark.parametrize("code", ["cats_7_17_self", "cats_7_17_caregiver", "cats_3_6_caregiver"])
def test_cats_has_fifteen_trauma_events_and_five_impairment_items_answered_yes_or_no(code: str) -> None:
    instrument = load(code)
    assert [item.key for item in instrument.trauma_items] == [f"t{n}" for n in range(1, 16)]
    assert [item.key for item in instrument.impairment_items] == [f"i{n}" for n in range(1, 6)]
    assert {(item.minimum, item.maximum) for item in instrument.trauma_items + instrument.impairment_items} == {(0, 1)}
    assert instrument.norms.reliability == 0.88
    assert "Sachser" in instrument.norms.source


@pytest.mark.parametrize("code", ["cats_7_17_self", "cats_7_17_caregiver"])
def test_cats_7_17_has_the_dsm5_clusters_and_a_flag_marked_as_a_heuristic(code: str) -> None:
    instrument = load(code)
    assert instrument.subscales == {
        "B": ("1", "2", "3", "4", "5"),
        "C": ("6", "7"),
        "D": ("8", "9", "10", "11", "12", "13", "14"),
        "E": ("15", "16", "17", "18", "19", "20"),
    }
    rule = instrument.screening_rule
    assert instrument.screening_flag and rule is not None
    assert rule.minimums == {"B": 1, "C": 1, "D": 2, "E": 2}
    assert rule.endorsed_at == 2 and rule.needs_impairment
    assert "screening heuristic" in rule.note and "half the time" in rule.note
    assert instrument.max_prorated == 2 and "Haven's default" in instrument.missing_source


def test_cats_3_6_cutoff_is_16_and_mentions_the_tip_sheet_15() -> None:
    instrument = load("cats_3_6_caregiver")
    assert instrument.cutoff == 16
    assert "15" in instrument.cutoff_source and "tip sheet" in instrument.cutoff_source
    assert not instrument.screening_flag


def test_phq_a_item_9_is_the_only_critical_item_and_its_missing_rule_allows_two() -> None:
    instrument = load("phq_a")
    assert [(item.key, item.critical_above) for item in instrument.critical_items] == [("9", 0)]
    assert instrument.max_prorated == 2
    assert all(not load(code).critical_items for code in ("cats_7_17_self", "smfq_child"))


def test_smfq_prorates_one_missing_item_by_haven_default() -> None:
    for code in ("smfq_child", "smfq_parent"):
        assert load(code).max_prorated == 1
        assert "Haven's default" in load(code).missing_source


def test_sd_pre_is_left_to_the_program_where_no_publication_gives_one() -> None:
    for instrument in all_instruments():
        assert instrument.norms.sd_pre is None
        assert "baseline SD" in instrument.norms.source
        assert 0 < instrument.norms.reliability < 1


def test_for_age_offers_the_instruments_meant_for_the_age() -> None:
    assert [i.code for i in for_age(4)] == ["cats_3_6_caregiver"]
    assert [i.code for i in for_age(6)] == ["cats_3_6_caregiver", "smfq_child", "smfq_parent"]
    assert [i.code for i in for_age(10)] == ["cats_7_17_self", "cats_7_17_caregiver", "smfq_child", "smfq_parent"]
    assert [i.code for i in for_age(11)][-1] == "phq_a"
    assert for_age(2) == () and for_age(18) == ()


def test_an_unknown_instrument_is_a_clear_error() -> None:
    with pytest.raises(UnknownInstrument, match="sdq"):
        load("sdq")


def test_every_code_in_the_definitions_has_a_label() -> None:
    for instrument in all_instruments():
        assert instrument.code in labels.INSTRUMENT_LABELS
        assert instrument.informant in labels.INFORMANT_LABELS
        assert {band.code for band in instrument.bands} <= set(labels.BAND_LABELS)
        assert set(instrument.subscales) <= set(labels.SUBSCALE_LABELS)
        assert {anchor for item in instrument.items for anchor in item.anchors} <= set(labels.ANCHOR_LABELS)
    assert set(GROUPS) == set(labels.GROUP_LABELS)
    assert {change.value for change in Change} == set(labels.CHANGE_LABELS)
    assert str(labels.INSTRUMENT_LABELS["cats_7_17_self"]) == "CATS 7-17 (self-report)"


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


BROKEN = [
    ("gap between bands", _set("bands.1.minimum", 16), "uncovered"),
    ("overlapping bands", _set("bands.1.minimum", 14), "overlaps"),
    ("bands short of the maximum", _set("bands.2.maximum", 59), "total maximum 60"),
    ("bands not from the minimum", _set("bands.0.minimum", 1), "first band starts at 1"),
    ("a reversed band", _set("bands.1.maximum", 10), "down to"),
    ("a repeated band code", _set("bands.2.code", "normal"), "band codes"),
    ("a total that is not the items' range", _set("total.maximum", 59), "not the symptom items' range"),
    ("a cut-off above the range", _set("cutoff", 61), "outside the total range"),
    ("a subscale naming no item", _set("subscales.C", ["6", "21"]), "'21', which is not a symptom item"),
    ("an item in two subscales", _set("subscales.C", ["5", "6", "7"]), "item 5 is in subscales B and C"),
    ("a flag not marked as a heuristic", _set("screening.heuristic", False), "screening heuristic"),
    ("a flag needing an unknown subscale", _set("screening.minimums", {"F": 1}), "not a subscale"),
    ("a flag needing more than a subscale has", _set("screening.minimums", {"C": 3}), "more than"),
    ("a trauma item that is not yes/no", _set("groups.0.scale", "frequency"), "yes/no"),
    ("anchors that do not fit the scale", _set("scales.frequency.anchors", ["never"]), "anchors"),
    ("an unknown key", _set("cut_off", 21), "unknown keys cut_off"),
    ("a reliability of 1", _set("norms.reliability", 1), "reliability"),
    ("a zero SD", _set("norms.sd_pre", 0), "sd_pre"),
    ("too many prorated items", _set("missing.max_prorated", 20), "max_prorated"),
    ("an unknown informant", _set("informant", "teacher"), "informant"),
    ("ages that are not a range", _set("min_age", 18), "not a range"),
    ("a critical item that is not an item", _set("critical", [{"item": "21", "above": 0, "note": "x"}]), "'21'"),
    ("a critical item no answer fires", _set("critical", [{"item": "9", "above": 3, "note": "x"}]), "fires above"),
    ("a count given as text", _set("groups.1.count", "20"), "whole number"),
    ("no source", _set("source", ""), "source must be a non-empty string"),
]


@pytest.mark.parametrize(("mutate", "message"), [row[1:] for row in BROKEN], ids=[row[0] for row in BROKEN])
def test_a_bad_definition_is_refused_with_a_clear_error(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    data = copy.deepcopy(_definition())
    parse(data, name="cats-7-17-self.json")  # the unmodified file is fine
    mutate(data)
    with pytest.raises(InstrumentError, match="^cats-7-17-self.json: ") as error:
        parse(data, name="cats-7-17-self.json")
    assert message in str(error.value)


def test_a_definition_without_symptom_items_is_refused() -> None:
    data = _definition("smfq-child.json")
    data["groups"] = []
    with pytest.raises(InstrumentError, match="symptom items"):
        parse(data, name="smfq-child.json")
