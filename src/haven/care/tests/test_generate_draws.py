"""The care generator's own draws give what ``random.Random``'s would from the same state: the same seed still
makes the same children, sessions and measures as before they were made faster."""

import random
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from haven.care import generate

SEEDS = st.integers(min_value=0, max_value=2**32)


@given(SEEDS, st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12).filter(any))
def test_a_weighted_draw_is_random_choices_with_the_same_weights(seed: int, weights: list[int]) -> None:
    values = [f"v{n}" for n in range(len(weights))]
    ours, theirs = random.Random(seed), random.Random(seed)
    draw = generate._weighted(values, weights)
    assert [draw(ours.random) for _ in range(50)] == [theirs.choices(values, weights)[0] for _ in range(50)]
    assert ours.random() == theirs.random()  # the generators are in the same state after


@given(SEEDS, st.integers(min_value=1, max_value=40))
def test_a_choice_is_random_choice(seed: int, size: int) -> None:
    values = tuple(range(100, 100 + size))
    ours, theirs = random.Random(seed), random.Random(seed)
    draw = generate._choice(values)
    assert [draw(ours.getrandbits) for _ in range(50)] == [theirs.choice(values) for _ in range(50)]
    assert ours.random() == theirs.random()


@given(SEEDS, st.integers(min_value=-5, max_value=400), st.integers(min_value=0, max_value=400))
def test_an_integer_is_random_randint(seed: int, low: int, span: int) -> None:
    ours, theirs = random.Random(seed), random.Random(seed)
    got = [generate._randint(ours.getrandbits, low, low + span) for _ in range(50)]
    assert got == [theirs.randint(low, low + span) for _ in range(50)]
    assert ours.random() == theirs.random()


def test_the_shipped_draws_are_the_choices_they_replace() -> None:
    ours, theirs = random.Random(7), random.Random(7)
    for _ in range(200):
        assert generate.DRAW_AGE(ours.random) == theirs.choices(*generate.AGES)[0]
        assert generate.DRAW_GAP(ours.getrandbits) == timedelta(days=theirs.choice((7, 7, 7, 7, 14, 10, 8)))
        assert generate.DRAW_MINUTES(ours.getrandbits) == theirs.choice((45, 50, 60, 60, 60, 75, 90))
        assert generate.DRAW_END_REASON(ours.random) == theirs.choices(generate.END_REASONS, [45, 15, 15, 10, 10, 5])[0]
