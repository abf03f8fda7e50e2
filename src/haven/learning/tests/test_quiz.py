"""The quiz's pure rules as properties: scoring, drawing, shuffling."""

import random
from itertools import chain, combinations

from hypothesis import given
from hypothesis import strategies as st

from haven.learning import quiz


def _subsets(items: list[int]) -> list[frozenset[int]]:
    return [frozenset(c) for c in chain.from_iterable(combinations(items, n) for n in range(len(items) + 1))]


@given(choices=st.integers(min_value=1, max_value=6), data=st.data())
def test_a_question_is_right_for_exactly_its_right_set_of_choices(choices: int, data: st.DataObject) -> None:
    ids = list(range(100, 100 + choices))
    right = data.draw(st.sets(st.sampled_from(ids), min_size=1))
    key = quiz.Key(question_id=1, right=frozenset(right))
    for picked in _subsets(ids):
        assert quiz.is_right(key, picked) is (picked == right)


@given(choices=st.integers(min_value=2, max_value=6), data=st.data())
def test_a_single_choice_question_is_right_only_with_its_one_right_choice(choices: int, data: st.DataObject) -> None:
    ids = list(range(1, choices + 1))
    right = data.draw(st.sampled_from(ids))
    key = quiz.Key(question_id=1, right=frozenset({right}))
    assert [picked for picked in _subsets(ids) if quiz.is_right(key, picked)] == [frozenset({right})]


BANKS = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=25).map(
    lambda sizes: [(q, [q * 10 + c for c in range(sizes[q])]) for q in range(len(sizes))]
)


@given(bank=BANKS, count=st.one_of(st.none(), st.integers(min_value=0, max_value=30)), seed=st.integers())
def test_the_drawn_questions_are_the_right_number_without_repeats(
    bank: list[tuple[int, list[int]]], count: int | None, seed: int
) -> None:
    drawn = quiz.draw(bank, count, random.Random(seed))
    expected = len(bank) if not count else min(count, len(bank))
    assert len(drawn) == expected
    assert len({question_id for question_id, _choices in drawn}) == expected
    choices_of = dict(bank)
    for question_id, shown in drawn:
        assert sorted(shown) == sorted(choices_of[question_id])  # every choice, each once


@given(bank=BANKS, seeds=st.tuples(st.integers(), st.integers()), data=st.data())
def test_any_shuffle_scores_the_same_answers_the_same(
    bank: list[tuple[int, list[int]]], seeds: tuple[int, int], data: st.DataObject
) -> None:
    keys = {
        question_id: quiz.Key(question_id, frozenset(data.draw(st.sets(st.sampled_from(choices), min_size=1))))
        for question_id, choices in bank
    }
    answers = {
        question_id: data.draw(st.sets(st.sampled_from(choices)))
        for question_id, choices in bank
        if data.draw(st.booleans())
    }
    first, second = (quiz.draw(bank, None, random.Random(seed)) for seed in seeds)
    score_first = quiz.score(keys, [q for q, _c in first], answers)
    score_second = quiz.score(keys, [q for q, _c in second], answers)
    assert score_first == score_second
    assert score_first[0] == sum(answers.get(q, set()) == keys[q].right for q in keys)


@given(
    raw=st.integers(min_value=0, max_value=50), extra=st.integers(min_value=0, max_value=50), mark=st.integers(0, 100)
)
def test_passed_when_the_percentage_reaches_the_pass_mark(raw: int, extra: int, mark: int) -> None:
    maximum = raw + extra
    assert quiz.passed(raw, maximum, mark) is (maximum > 0 and raw / maximum * 100 >= mark - 1e-9)


def test_eight_of_ten_passes_a_mark_of_eighty_and_seven_does_not() -> None:
    assert quiz.passed(8, 10, 80)
    assert not quiz.passed(7, 10, 80)
