"""The shipped definitions load and say what reference/measures.md says; a bad definition is refused."""

import copy
import json
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import pytest

from haven.measures import labels
from haven.measures.change import Change, Criterion, NotJudged
from haven.measures.instruments import (
    GROUPS,
    RELIABILITY_KINDS,
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
    assert instrument.cutoff_source and instrument.missing_source
    norms = instrument.norms
    assert norms.sd_pre_source and norms.reliability_source and norms.populations_source
    assert norms.reliability_kind in RELIABILITY_KINDS or (norms.reliability, norms.reliability_kind) == (None, None)
    # Every total has exactly one band, or none where no bands are published.
    for total in range(instrument.total_minimum, instrument.total_maximum + 1):
        assert sum(1 for band in instrument.bands if band.minimum <= total <= band.maximum) == (
            1 if instrument.bands else 0
        )
    assert instrument.band_for(instrument.total_maximum + 1) is None


@pytest.mark.parametrize("instrument", all_instruments(), ids=lambda i: i.code)
def test_the_band_above_the_cutoff_and_the_flag_agree_at_every_total(instrument: Any) -> None:
    for total in range(instrument.total_minimum, instrument.total_maximum + 1):
        band = instrument.band_for(total)
        flag = instrument.above_cutoff(total)
        if instrument.cutoff is None:
            assert flag is None and (band is None or not band.above_cutoff)
        else:
            assert band is not None and band.above_cutoff == flag == (total >= instrument.cutoff)


# (code, informant, ages, symptom items, answer range, total range, cut-off), from reference/measures.md.
FACTS = [
    ("cats_7_17_self", "child", (7, 17), 20, (0, 3), (0, 60), 21),
    ("cats_7_17_caregiver", "caregiver", (7, 17), 20, (0, 3), (0, 60), 21),
    ("cats_3_6_caregiver", "caregiver", (3, 6), 16, (0, 3), (0, 48), 15),
    ("smfq_child", "child", (6, 17), 13, (0, 2), (0, 26), 8),
    ("smfq_parent", "caregiver", (6, 17), 13, (0, 2), (0, 26), None),
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
    cutoff: int | None,
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
    assert "Sachser" in instrument.norms.reliability_source


@pytest.mark.parametrize("code", ["cats_7_17_self", "cats_7_17_caregiver"])
def test_cats_7_17_reliability_is_the_published_internal_consistency(code: str) -> None:
    norms = load(code).norms
    assert (norms.reliability, norms.reliability_kind) == (0.88, "internal consistency")
    assert ".88-.94" in norms.reliability_source and "7-17" in norms.reliability_source


def test_cats_3_6_has_no_published_reliability_and_says_so() -> None:
    norms = load("cats_3_6_caregiver").norms
    assert (norms.reliability, norms.reliability_kind) == (None, None)
    assert "None published for the 3-6" in norms.reliability_source


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


def test_cats_3_6_has_one_threshold_15_read_by_the_band_and_the_flag_and_mentions_16() -> None:
    instrument = load("cats_3_6_caregiver")
    assert instrument.cutoff == 15
    assert [(band.code, band.minimum, band.above_cutoff) for band in instrument.bands] == [
        ("normal", 0, False),
        ("moderate", 12, False),
        ("probable_ptsd", 15, True),
    ]
    assert "tip sheet" in instrument.cutoff_source and "16" in instrument.cutoff_source
    assert not instrument.screening_flag
    # Moving the one number moves both readings.
    data = _definition("cats-3-6-caregiver.json")
    data["bands"][2]["minimum"] = 16
    moved = parse(data, name="cats-3-6-caregiver.json")
    assert (moved.cutoff, moved.band_for(15).code, moved.above_cutoff(15)) == (16, "moderate", False)  # type: ignore[union-attr]


def test_smfq_parent_borrows_no_cutoff_from_the_child_version() -> None:
    parent, child = load("smfq_parent"), load("smfq_child")
    assert (parent.cutoff, parent.bands, parent.threshold) == (None, (), None)
    assert parent.criterion == Criterion.NONE
    assert parent.cutoff_source.startswith("None published for the parent version")
    assert (child.cutoff, child.criterion, child.threshold) == (8, Criterion.CUTOFF, 8.0)
    assert "child version only" in child.cutoff_source
    assert (parent.norms.reliability, child.norms.reliability) == (0.87, 0.85)  # each version's own alpha


def test_every_shipped_instrument_uses_its_published_cutoff_as_no_population_norms_are_cited() -> None:
    for instrument in all_instruments():
        assert (instrument.norms.dysfunctional, instrument.norms.functional) == (None, None)
        assert instrument.norms.populations_source.startswith("None")
        expected = Criterion.NONE if instrument.cutoff is None else Criterion.CUTOFF
        assert instrument.criterion == expected


def test_phq_a_item_9_and_the_two_suicide_questions_are_critical_and_its_missing_rule_allows_two() -> None:
    instrument = load("phq_a")
    assert [(item.key, item.critical_above) for item in instrument.critical_items] == [("9", 0), ("s3", 0), ("s4", 0)]
    assert instrument.max_prorated == 2


def test_phq_a_has_four_supplementary_questions_outside_the_total() -> None:
    instrument = load("phq_a")
    assert [(item.key, item.minimum, item.maximum, item.topic) for item in instrument.supplementary_items] == [
        ("s1", 0, 1, "low_mood_past_year"),
        ("s2", 0, 3, "daily_life_difficulty"),
        ("s3", 0, 1, "suicidal_thoughts_past_month"),
        ("s4", 0, 1, "suicide_attempt_ever"),
    ]
    assert [item.key for item in instrument.symptom_items] == [str(n) for n in range(1, 10)]
    assert (instrument.total_minimum, instrument.total_maximum) == (0, 27)
    assert all(not load(code).critical_items for code in ("cats_7_17_self", "smfq_child"))


def test_smfq_prorates_one_missing_item_by_haven_default() -> None:
    for code in ("smfq_child", "smfq_parent"):
        assert load(code).max_prorated == 1
        assert "Haven's default" in load(code).missing_source


def test_sd_pre_is_left_to_the_program_where_no_publication_gives_one() -> None:
    for instrument in all_instruments():
        assert instrument.norms.sd_pre is None
        assert "baseline SD" in instrument.norms.sd_pre_source
        reliability = instrument.norms.reliability
        assert reliability is None or 0 < reliability < 1


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
        assert {item.topic for item in instrument.items if item.topic} <= set(labels.ITEM_TOPIC_LABELS)
    assert set(GROUPS) == set(labels.GROUP_LABELS)
    assert {change.value for change in Change} == set(labels.CHANGE_LABELS)
    assert {criterion.value for criterion in Criterion} == set(labels.CRITERION_LABELS)
    assert {reason.value for reason in NotJudged} == set(labels.NOT_JUDGED_LABELS)
    assert set(RELIABILITY_KINDS) == set(labels.RELIABILITY_KIND_LABELS)
    assert str(labels.INSTRUMENT_LABELS["cats_7_17_self"]) == "CATS 7-17 (self-report)"


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[part]
        del target[last]

    return mutate


BROKEN = [
    ("bands out of order", _set("bands.1.minimum", 22), "not above the band before it"),
    ("a band beyond the maximum", _set("bands.2.minimum", 61), "above the total maximum 60"),
    ("bands not from the minimum", _set("bands.0.minimum", 1), "first band starts at 1"),
    ("a band given its maximum", _set("bands.1.maximum", 20), "unknown keys bands[1].maximum"),
    ("a repeated band code", _set("bands.2.code", "normal"), "band codes"),
    (
        "a clinical band below one that is not",
        _set(
            "bands",
            [
                {"minimum": 0, "code": "normal"},
                {"minimum": 15, "code": "moderate", "above_cutoff": True},
                {"minimum": 21, "code": "probable_ptsd"},
            ],
        ),
        "above the cut-off too",
    ),
    ("every total above the cut-off", _set("bands.0.above_cutoff", True), "first band cannot be"),
    ("a total that is not the items' range", _set("total.maximum", 59), "not the symptom items' range"),
    ("a cut-off apart from the bands", _set("cutoff", 21), "unknown keys cutoff"),
    ("no cut-off source", _drop("cutoff_source"), "cutoff_source is missing"),
    ("no reliability kind", _drop("norms.reliability_kind"), "reliability_kind is missing"),
    ("an unknown reliability kind", _set("norms.reliability_kind", "alpha"), "test-retest, internal consistency"),
    ("a kind without a coefficient", _set("norms.reliability", None), "reliability_kind must be null"),
    ("no reliability source", _drop("norms.reliability_source"), "reliability_source is missing"),
    ("no SD source", _drop("norms.sd_pre_source"), "sd_pre_source is missing"),
    ("no note on population norms", _drop("norms.populations_source"), "populations_source is missing"),
    ("an unknown norm", _set("norms.source", "x"), "unknown keys norms.source"),
    ("criterion c without norms", _set("clinical_significance.criterion", "c"), "needs both population norms"),
    ("criterion a without norms", _set("clinical_significance.criterion", "a"), "needs the dysfunctional norms"),
    ("criterion b without norms", _set("clinical_significance.criterion", "b"), "needs the functional norms"),
    ("no criterion where a cut-off exists", _set("clinical_significance.criterion", "none"), "only for"),
    ("an unknown criterion", _set("clinical_significance.criterion", "d"), "must be one of a, b, c, cutoff, none"),
    ("no criterion", _drop("clinical_significance"), "clinical_significance is missing"),
    ("a population without an SD", _set("norms.functional", {"mean": 5, "source": "x"}), "functional.sd is missing"),
    ("a subscale naming no item", _set("subscales.C", ["6", "21"]), "'21', which is not a symptom item"),
    ("an item in two subscales", _set("subscales.C", ["5", "6", "7"]), "item 5 is in subscales B and C"),
    ("a flag not marked as a heuristic", _set("screening.heuristic", False), "screening heuristic"),
    ("a flag needing an unknown subscale", _set("screening.minimums", {"F": 1}), "not a subscale"),
    ("a flag needing more than a subscale has", _set("screening.minimums", {"C": 3}), "more than"),
    ("a trauma item that is not yes/no", _set("groups.0.scale", "frequency"), "yes/no"),
    ("anchors that do not fit the scale", _set("scales.frequency.anchors", ["never"]), "anchors"),
    ("an unknown key", _set("cut_off", 21), "unknown keys cut_off"),
    ("a topic that is not a code", _set("critical", [{"item": "9", "above": 0, "note": "x", "topic": "X"}]), "topic"),
    ("a reliability of 1", _set("norms.reliability", 1), "reliability 1.0 must be between 0 and 1"),
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


def test_the_cutoff_criterion_needs_a_band_above_the_cutoff() -> None:
    data = _definition()
    for band in data["bands"]:
        band.pop("above_cutoff", None)
    with pytest.raises(InstrumentError, match="criterion cutoff needs a band above the cut-off"):
        parse(data, name="cats-7-17-self.json")


def test_criteria_a_b_and_c_read_the_population_norms() -> None:
    data = _definition()
    data["norms"]["dysfunctional"] = {"mean": 30, "sd": 10, "source": "a clinical sample"}
    data["norms"]["functional"] = {"mean": 10, "sd": 5, "source": "a community sample"}
    thresholds = {}
    for criterion in "abc":
        data["clinical_significance"]["criterion"] = criterion
        thresholds[criterion] = parse(data, name="cats-7-17-self.json").threshold
    # a: 30 - 2 x 10 = 10; b: 10 + 2 x 5 = 20; c: (5 x 30 + 10 x 10) / (5 + 10) = 16.67.
    assert thresholds["a"] == 10 and thresholds["b"] == 20
    assert thresholds["c"] == pytest.approx(16.6667, abs=1e-4)
    instrument = parse(data, name="cats-7-17-self.json")
    assert instrument.norms.dysfunctional is not None and instrument.norms.dysfunctional.source == "a clinical sample"
