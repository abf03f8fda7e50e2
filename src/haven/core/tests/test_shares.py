from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.core.shares import nearest, partition

counts = st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=12)


def test_a_half_rounds_up():
    assert nearest(51, 200) == 26  # 25.5%
    assert nearest(1, 200) == 1  # 0.5%
    assert nearest(149, 200) == 75  # 74.5%
    assert nearest(1, 3) == 33


def test_nothing_of_nothing_is_no_share():
    assert nearest(0, 0) is None
    assert partition([0, 0, 0]) is None


def test_counts_are_never_negative():
    with pytest.raises(ValueError):
        nearest(-1, 10)
    with pytest.raises(ValueError):
        partition([3, -1])


def test_three_thirds_make_a_hundred():
    assert partition([1, 1, 1]) == [34, 33, 33]
    assert partition([51, 149]) == [26, 74]


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_nearest_is_within_a_half_of_the_exact_share(part, whole):
    exact = Fraction(100 * part, whole)
    share = nearest(part, whole)
    assert share is not None
    assert -Fraction(1, 2) < share - exact <= Fraction(1, 2)


@given(counts)
def test_a_partition_sums_to_exactly_100(parts):
    shares = partition(parts)
    if sum(parts) == 0:
        assert shares is None
        return
    assert shares is not None
    assert sum(shares) == 100
    whole = sum(parts)
    for part, share in zip(parts, shares, strict=True):
        exact = Fraction(100 * part, whole)
        assert exact - 1 < share < exact + 1  # rounded down or up, never further
        if part == 0:
            assert share == 0


@given(counts)
def test_a_partition_is_the_nearest_shares_whenever_those_sum_to_100(parts):
    whole = sum(parts)
    if whole == 0:
        return
    rounded = [nearest(part, whole) for part in parts]
    if sum(r for r in rounded if r is not None) == 100 and not any(
        Fraction(100 * part, whole).denominator == 2 for part in parts
    ):
        assert partition(parts) == rounded


@given(counts)
def test_a_larger_part_never_gets_a_smaller_share(parts):
    shares = partition(parts)
    if shares is None:
        return
    for a, share_a in zip(parts, shares, strict=True):
        for b, share_b in zip(parts, shares, strict=True):
            if a > b:
                assert share_a >= share_b
