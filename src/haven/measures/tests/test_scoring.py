"""Scoring: band and cut-off edges from reference/measures.md, missing items, the CATS trauma screen, subscales,
the probable-PTSD heuristic, the PHQ-A critical answers (item 9 and the two suicide questions), and properties over
every instrument."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.measures.instruments import Instrument, all_instruments, load
from haven.measures.scoring import InvalidResponses, Score, score

CATS_7_17 = ("cats_7_17_self", "cats_7_17_caregiver")


def _answers(instrument: Instrument, total: int) -> dict[str, int | None]:
    """Symptom answers adding up to ``total``, filled from item 1; one trauma event endorsed (CATS)."""
    answers: dict[str, int | None] = {}
    left = total
    for item in instrument.symptom_items:
        answers[item.key] = min(item.maximum, left)
        left -= answers[item.key] or 0
    assert left == 0, "the total is above the instrument's range"
    for item in instrument.trauma_items:
        answers[item.key] = 1 if item.number == 1 else 0
    for item in instrument.impairment_items:
        answers[item.key] = 0
    return answers


# (total, band, above the cut-off): the edges of each band and of the cut-off, from reference/measures.md.
EDGES = {
    "cats_7_17_self": [
        (0, "normal", False),
        (14, "normal", False),
        (15, "moderate", False),
        (20, "moderate", False),
        (21, "probable_ptsd", True),
        (60, "probable_ptsd", True),
    ],
    # One threshold, 15 per the 2017 tip sheet: the probable PTSD band and the cut-off start together.
    "cats_3_6_caregiver": [
        (0, "normal", False),
        (11, "normal", False),
        (12, "moderate", False),
        (14, "moderate", False),
        (15, "probable_ptsd", True),
        (48, "probable_ptsd", True),
    ],
    "smfq_child": [
        (0, "not_elevated", False),
        (7, "not_elevated", False),
        (8, "elevated", True),
        (26, "elevated", True),
    ],
    "phq_a": [
        (0, "minimal", False),
        (4, "minimal", False),
        (5, "mild", False),
        (9, "mild", False),
        (10, "moderate", True),
        (14, "moderate", True),
        (15, "moderately_severe", True),
        (19, "moderately_severe", True),
        (20, "severe", True),
        (27, "severe", True),
    ],
}
EDGES["cats_7_17_caregiver"] = EDGES["cats_7_17_self"]
# No cut-off of the parent version's own is published, and the child version's is not borrowed.
EDGES["smfq_parent"] = [(0, None, None), (7, None, None), (8, None, None), (26, None, None)]


@pytest.mark.parametrize(
    ("code", "total", "band", "above"), [(code, *edge) for code, edges in EDGES.items() for edge in edges]
)
def test_band_and_cutoff_at_each_edge(code: str, total: int, band: str | None, above: bool | None) -> None:
    result = score(load(code), _answers(load(code), total))
    assert (result.total, result.band, result.above_cutoff) == (total, band, above)
    assert (result.missing, result.prorated, result.screen_ended) == (0, False, False)
    assert result.answered == len(load(code).symptom_items)
    assert result.scoring_version == "2"


@pytest.mark.parametrize("instrument", all_instruments(), ids=lambda i: i.code)
def test_the_band_and_the_cutoff_flag_of_a_score_agree_at_every_total(instrument: Instrument) -> None:
    for total in range(instrument.total_minimum, instrument.total_maximum + 1):
        result = score(instrument, _answers(instrument, total))
        band = next((band for band in instrument.bands if band.code == result.band), None)
        if instrument.cutoff is None:
            assert (result.band, result.above_cutoff) == (None, None)
        else:
            assert band is not None and band.above_cutoff is result.above_cutoff


# (code, answers left out, sum of the answered items, expected total). Prorating is sum x items / answered with
# halves rounded up, worked by hand:
MISSING = [
    ("phq_a", 1, 4, 5),  # 4 x 9 / 8 = 4.5 -> 5 (Python's round() would give 4)
    ("phq_a", 1, 12, 14),  # 12 x 9 / 8 = 13.5 -> 14
    ("phq_a", 2, 10, 13),  # 10 x 9 / 7 = 12.86 -> 13
    ("phq_a", 2, 7, 9),  # 7 x 9 / 7 = 9 exactly
    ("cats_7_17_self", 2, 30, 33),  # 30 x 20 / 18 = 33.33 -> 33
    ("cats_7_17_self", 1, 19, 20),  # 19 x 20 / 19 = 20; 20 stays moderate, below the cut-off
    ("cats_3_6_caregiver", 2, 14, 16),  # 14 x 16 / 14 = 16: above the cut-off only once prorated
    ("smfq_child", 1, 6, 7),  # 6 x 13 / 12 = 6.5 -> 7
    ("smfq_child", 1, 7, 8),  # 7 x 13 / 12 = 7.58 -> 8: at the cut-off once prorated
    ("smfq_parent", 1, 5, 5),  # 5 x 13 / 12 = 5.42 -> 5
]


@pytest.mark.parametrize(("code", "left_out", "answered_sum", "total"), MISSING)
def test_missing_items_are_prorated_up_to_the_instruments_limit(
    code: str, left_out: int, answered_sum: int, total: int
) -> None:
    instrument = load(code)
    answers = _answers(instrument, answered_sum)
    # Leave out the last items (answered 0 by _answers for these small sums).
    for item in instrument.symptom_items[-left_out:]:
        assert answers[item.key] == 0
        answers[item.key] = None
    result = score(instrument, answers)
    assert (result.total, result.prorated, result.missing) == (total, True, left_out)
    assert result.answered == len(instrument.symptom_items) - left_out
    assert result.above_cutoff == instrument.above_cutoff(total)


@pytest.mark.parametrize(
    ("code", "allowed"), [("phq_a", 2), ("cats_7_17_self", 2), ("cats_3_6_caregiver", 2), ("smfq_child", 1)]
)
def test_one_missing_item_more_than_allowed_leaves_no_total(code: str, allowed: int) -> None:
    instrument = load(code)
    answers = _answers(instrument, 3)
    keys = [item.key for item in instrument.symptom_items[-(allowed + 1) :]]
    for key in keys[1:]:
        del answers[key]  # an absent key is missing, as None is
    assert score(instrument, answers).total is not None
    answers[keys[0]] = None
    result = score(instrument, answers)
    assert (result.total, result.band, result.above_cutoff, result.prorated) == (None, None, None, False)
    assert result.missing == allowed + 1


@pytest.mark.parametrize("code", [*CATS_7_17, "cats_3_6_caregiver"])
def test_cats_ends_the_screen_when_no_trauma_event_is_endorsed(code: str) -> None:
    instrument = load(code)
    answers = _answers(instrument, 30)
    answers["t1"] = 0
    result = score(instrument, answers)
    assert result.screen_ended
    assert (result.total, result.band, result.above_cutoff, result.probable_ptsd) == (None, None, None, None)
    assert all(value is None for value in result.subscales.values())
    # Unanswered events are not endorsed ones.
    assert score(instrument, {}).screen_ended
    assert not score(instrument, {**answers, "t15": 1}).screen_ended


def test_depression_measures_have_no_trauma_screen() -> None:
    for code in ("smfq_child", "smfq_parent", "phq_a"):
        assert not score(load(code), {}).screen_ended


def _cats(symptoms: dict[int, int | None], impairment: int | None = 1) -> dict[str, int | None]:
    """CATS 7-17 answers: one trauma event, the given symptoms (others 0), impairment item 1 (others no)."""
    answers: dict[str, int | None] = {"t3": 1}
    answers.update({str(n): symptoms.get(n, 0) for n in range(1, 21)})
    answers.update({f"i{n}": 0 for n in range(1, 6)})
    answers["i1"] = impairment
    return answers


def test_cats_subscales_are_the_cluster_sums_and_none_with_a_missing_item() -> None:
    symptoms = {1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 1, 7: 2, 15: 2, 16: 2, 17: 2, 18: 2, 19: 2, 20: 2}
    result = score(load("cats_7_17_self"), _cats(symptoms))
    # B 5 x 3 = 15; C 1 + 2 = 3; D nothing; E 6 x 2 = 12; total 30.
    assert result.subscales == {"B": 15, "C": 3, "D": 0, "E": 12}
    assert result.total == 30
    result = score(load("cats_7_17_self"), _cats({**symptoms, 6: None}))
    assert result.subscales == {"B": 15, "C": None, "D": 0, "E": 12}
    assert result.total == 31 and result.prorated  # 29 x 20 / 19 = 30.53 -> 31


MINIMAL_PTSD = {1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}  # 1 B, 1 C, 2 D, 2 E at "half the time"


@pytest.mark.parametrize("code", CATS_7_17)
def test_probable_ptsd_needs_1_b_1_c_2_d_2_e_endorsed_and_impairment(code: str) -> None:
    instrument = load(code)
    assert score(instrument, _cats(MINIMAL_PTSD)).probable_ptsd is True
    # Twelve points but below the cut-off: the heuristic and the total are separate readings.
    assert score(instrument, _cats(MINIMAL_PTSD)).above_cutoff is False
    assert score(instrument, _cats(MINIMAL_PTSD, impairment=0)).probable_ptsd is False
    assert score(instrument, _cats({**MINIMAL_PTSD, 9: 0})).probable_ptsd is False  # 1 D
    assert score(instrument, _cats({**MINIMAL_PTSD, 16: 0, 17: 3})).probable_ptsd is True  # another E instead
    assert score(instrument, _cats({**MINIMAL_PTSD, 6: 0, 7: 3})).probable_ptsd is True  # another C instead
    assert score(instrument, _cats({**MINIMAL_PTSD, 1: 0})).probable_ptsd is False  # no B


def test_an_answer_of_1_once_in_a_while_does_not_count_as_endorsed() -> None:
    assert score(load("cats_7_17_self"), _cats({**MINIMAL_PTSD, 1: 1})).probable_ptsd is False
    everything_once = dict.fromkeys(range(1, 21), 1)
    assert score(load("cats_7_17_self"), _cats(everything_once)).probable_ptsd is False


def test_probable_ptsd_is_undecided_only_when_missing_answers_would_decide_it() -> None:
    instrument = load("cats_7_17_self")
    # D has 1 endorsed and 1 unknown: the unknown one decides.
    assert score(instrument, _cats({**MINIMAL_PTSD, 9: None})).probable_ptsd is None
    # D is met by others even with item 9 unknown.
    assert score(instrument, _cats({**MINIMAL_PTSD, 9: None, 10: 3})).probable_ptsd is True
    # No B endorsed and none unknown: a missing D answer cannot change that.
    assert score(instrument, _cats({**MINIMAL_PTSD, 1: 0, 9: None})).probable_ptsd is False
    # Impairment unknown.
    answers = _cats(MINIMAL_PTSD, impairment=None)
    assert score(instrument, answers).probable_ptsd is None
    assert score(instrument, answers).impairment is None
    assert score(instrument, {**answers, "i4": 1}).probable_ptsd is True


def test_impairment_counts_the_yes_answers() -> None:
    answers = _cats({}, impairment=1)
    answers["i5"] = 1
    assert score(load("cats_7_17_self"), answers).impairment == 2
    assert score(load("smfq_child"), {}).impairment is None


def test_instruments_without_the_heuristic_never_flag() -> None:
    for code in ("cats_3_6_caregiver", "smfq_child", "smfq_parent", "phq_a"):
        instrument = load(code)
        assert score(instrument, _answers(instrument, instrument.total_maximum)).probable_ptsd is None


@pytest.mark.parametrize("answer", [1, 2, 3])
def test_phq_a_item_9_above_0_fires_the_alert(answer: int) -> None:
    answers = _answers(load("phq_a"), 0)
    answers["9"] = answer
    assert score(load("phq_a"), answers).critical == ("9",)


def test_phq_a_item_9_at_0_does_not_fire() -> None:
    assert score(load("phq_a"), _answers(load("phq_a"), 27) | {"9": 0}).critical == ()
    assert score(load("phq_a"), {}).critical == ()


@pytest.mark.parametrize("key", ["s3", "s4"])
def test_a_yes_to_either_phq_a_suicide_question_fires_the_alert_as_item_9_does(key: str) -> None:
    answers = _answers(load("phq_a"), 0) | {"s1": 0, "s2": 0, "s3": 0, "s4": 0}
    assert score(load("phq_a"), answers).critical == ()
    assert score(load("phq_a"), answers | {key: 1}).critical == (key,)
    both = score(load("phq_a"), answers | {"9": 2, "s3": 1, "s4": 1})
    assert both.critical == ("9", "s3", "s4")  # each question its own alert


def test_phq_a_supplementary_questions_are_answered_but_not_summed() -> None:
    instrument = load("phq_a")
    answers = _answers(instrument, 12)
    plain = score(instrument, answers)
    with_supplementary = score(instrument, answers | {"s1": 1, "s2": 3, "s3": 0, "s4": 0})
    assert with_supplementary == plain
    assert (plain.total, plain.answered, plain.missing) == (12, 9, 0)
    # Unanswered supplementary questions are not missing items either.
    assert score(instrument, answers | {"s1": None, "s2": None}).total == 12
    with pytest.raises(InvalidResponses) as error:
        score(instrument, {"s1": 2, "s2": 4})
    assert error.value.errors == {"s1": "must be from 0 to 1, not 2", "s2": "must be from 0 to 3, not 4"}


def test_phq_a_item_9_fires_even_when_the_total_is_missing() -> None:
    result = score(load("phq_a"), {"1": 3, "2": 3, "9": 1})
    assert result.total is None and result.missing == 6
    assert result.critical == ("9",)


@pytest.mark.parametrize(
    ("code", "responses", "bad"),
    [
        ("phq_a", {"10": 1}, {"10": "not an item of phq_a"}),
        ("phq_a", {"9": 4, "1": -1}, {"9": "must be from 0 to 3, not 4", "1": "must be from 0 to 3, not -1"}),
        ("phq_a", {"1": "2"}, {"1": "must be a whole number, not '2'"}),
        ("phq_a", {"1": 1.0}, {"1": "must be a whole number, not 1.0"}),
        ("phq_a", {"1": True}, {"1": "must be a whole number, not True"}),
        ("smfq_child", {"13": 3}, {"13": "must be from 0 to 2, not 3"}),
        (
            "cats_7_17_self",
            {"t1": 2, "i6": 1, "t16": 0},
            {
                "t1": "must be from 0 to 1, not 2",
                "i6": "not an item of cats_7_17_self",
                "t16": "not an item of cats_7_17_self",
            },
        ),
        ("cats_3_6_caregiver", {"17": 0}, {"17": "not an item of cats_3_6_caregiver"}),
    ],
)
def test_invalid_responses_are_rejected_with_a_message_per_key(
    code: str, responses: dict[str, object], bad: dict[str, str]
) -> None:
    with pytest.raises(InvalidResponses) as error:
        score(load(code), responses)  # type: ignore[arg-type]
    assert error.value.errors == bad
    assert isinstance(error.value, ValueError)
    for key, message in bad.items():
        assert f"{key}: {message}" in str(error.value)


@st.composite
def administrations(draw: st.DrawFn) -> tuple[Instrument, dict[str, int | None]]:
    instrument = draw(st.sampled_from(all_instruments()))
    responses: dict[str, int | None] = {}
    for item in instrument.items:
        answer = draw(st.one_of(st.none(), st.integers(item.minimum, item.maximum), st.just("absent")))
        if answer != "absent":
            responses[item.key] = answer  # type: ignore[assignment]
    return instrument, responses


@given(administrations())
def test_every_score_lies_in_its_range_and_its_band_matches(case: tuple[Instrument, dict[str, int | None]]) -> None:
    instrument, responses = case
    result = score(instrument, responses)
    symptoms = instrument.symptom_items
    assert result.answered + result.missing == len(symptoms)
    if result.total is None:
        assert result.band is None and result.above_cutoff is None
        assert result.screen_ended or result.missing > instrument.max_prorated
        return
    assert instrument.total_minimum <= result.total <= instrument.total_maximum
    if instrument.bands:
        band = next(band for band in instrument.bands if band.code == result.band)
        assert band.minimum <= result.total <= band.maximum
        assert result.above_cutoff is band.above_cutoff
    if instrument.cutoff is None:
        assert (result.band, result.above_cutoff) == (None, None)
    else:
        assert result.above_cutoff == (result.total >= instrument.cutoff)
    assert result.missing <= instrument.max_prorated
    assert result.prorated == (result.missing > 0)
    if result.missing == 0:
        assert result.total == sum(responses[item.key] or 0 for item in symptoms)


@given(administrations())
def test_critical_items_fire_on_the_answers_alone(case: tuple[Instrument, dict[str, int | None]]) -> None:
    instrument, responses = case
    expected = tuple(
        item.key for item in instrument.critical_items if (responses.get(item.key) or 0) > (item.critical_above or 0)
    )
    assert score(instrument, responses).critical == expected


@given(
    st.sampled_from(CATS_7_17),
    st.lists(st.integers(0, 3), min_size=20, max_size=20),
    st.lists(st.integers(0, 1), min_size=5, max_size=5),
)
def test_with_every_answer_given_the_heuristic_follows_the_dsm5_rule(
    code: str, symptoms: list[int], impairment: list[int]
) -> None:
    answers: dict[str, int | None] = {"t1": 1}
    answers.update({str(n): value for n, value in enumerate(symptoms, start=1)})
    answers.update({f"i{n}": value for n, value in enumerate(impairment, start=1)})

    def endorsed(first: int, last: int) -> int:
        return sum(1 for value in symptoms[first - 1 : last] if value >= 2)

    expected = (endorsed(1, 5) >= 1 and endorsed(6, 7) >= 1 and endorsed(8, 14) >= 2 and endorsed(15, 20) >= 2) and any(
        impairment
    )
    result = score(load(code), answers)
    assert result.probable_ptsd is expected
    assert result.impairment == sum(impairment)


@given(administrations())
def test_a_score_survives_json_storage(case: tuple[Instrument, dict[str, int | None]]) -> None:
    result = score(*case)
    stored = json.loads(json.dumps(result.as_dict()))
    assert Score.from_dict(stored) == result
