"""Reliable and clinically significant change (Jacobson & Truax 1991) against hand-worked examples."""

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.measures.change import (
    MIN_SCORES_FOR_SD,
    RELIABLE,
    Change,
    Criterion,
    NotJudged,
    Population,
    classify,
    clinical_threshold,
    criterion_a,
    criterion_b,
    jacobson_cutoff,
    reliable_change_index,
    s_diff,
    sd_from_sums,
    series_change,
    standard_error,
    summarize,
)

# Worked by hand with SD_pre 10 and r .88:
#   SE     = 10 x sqrt(1 - .88) = 10 x sqrt(.12) = 10 x 0.346410 = 3.4641
#   S_diff = sqrt(2) x 3.4641 = 1.414214 x 3.4641 = 4.8990
#   pre 40 -> post 25: RC = (25 - 40) / 4.8990 = -15 / 4.8990 = -3.062: below -1.96, reliably improved;
#   25 is not below the cut-off 21, so improved, not recovered.
SD, R, CUTOFF = 10.0, 0.88, 21


def test_the_worked_example() -> None:
    assert standard_error(SD, R) == pytest.approx(3.4641, abs=1e-4)
    assert s_diff(SD, R) == pytest.approx(4.8990, abs=1e-4)
    assert reliable_change_index(40, 25, SD, R) == pytest.approx(-3.0619, abs=1e-4)
    assert classify(40, 25, sd_pre=SD, reliability=R, threshold=CUTOFF) == Change.IMPROVED


@pytest.mark.parametrize(
    ("pre", "post", "change"),
    [
        (40, 20, Change.RECOVERED),  # RC = -20 / 4.899 = -4.08, and 20 is below 21
        (30, 10, Change.RECOVERED),  # RC = -4.08
        (15, 5, Change.IMPROVED),  # RC = -10 / 4.899 = -2.04, but 15 was already below the cut-off
        (40, 31, Change.UNCHANGED),  # RC = -9 / 4.899 = -1.84
        (22, 20, Change.UNCHANGED),  # crosses the cut-off without reliable change: not recovered
        (20, 30, Change.DETERIORATED),  # RC = +10 / 4.899 = +2.04
        (20, 29, Change.UNCHANGED),  # RC = +1.84
        (21, 11, Change.RECOVERED),  # at the cut-off at pre counts as above it: RC = -2.04
    ],
)
def test_classification_of_hand_worked_pairs(pre: int, post: int, change: Change) -> None:
    assert classify(pre, post, sd_pre=SD, reliability=R, threshold=CUTOFF) == change


def test_jacobson_cutoff_weights_the_means_by_the_other_sd() -> None:
    # (5 x 30 + 10 x 10) / (5 + 10) = 250 / 15 = 16.667
    assert jacobson_cutoff(10, 5, 30, 10) == pytest.approx(16.6667, abs=1e-4)
    # Equal SDs: the midpoint.
    assert jacobson_cutoff(4, 3, 14, 3) == pytest.approx(9)


def test_impossible_norms_are_refused() -> None:
    with pytest.raises(ValueError, match="SD"):
        standard_error(0, R)
    with pytest.raises(ValueError, match="reliability"):
        s_diff(SD, 1.0)
    with pytest.raises(ValueError, match="SDs"):
        jacobson_cutoff(10, 0, 30, 10)


ORDER = [Change.RECOVERED, Change.IMPROVED, Change.UNCHANGED, Change.DETERIORATED]
scores = st.integers(0, 60)
sds = st.floats(1, 30)
reliabilities = st.floats(0, 0.99)


@given(scores, scores, scores, sds, reliabilities, scores)
def test_a_higher_post_score_never_classifies_better(
    pre: int, post: int, other: int, sd: float, r: float, cutoff: int
) -> None:
    low, high = sorted((post, other))
    at_low = classify(pre, low, sd_pre=sd, reliability=r, threshold=cutoff)
    at_high = classify(pre, high, sd_pre=sd, reliability=r, threshold=cutoff)
    assert ORDER.index(at_low) <= ORDER.index(at_high)


@given(scores, scores, sds, reliabilities, scores)
def test_swapping_pre_and_post_flips_the_sign(pre: int, post: int, sd: float, r: float, cutoff: int) -> None:
    assert reliable_change_index(pre, post, sd, r) == pytest.approx(-reliable_change_index(post, pre, sd, r))
    forward = classify(pre, post, sd_pre=sd, reliability=r, threshold=cutoff)
    backward = classify(post, pre, sd_pre=sd, reliability=r, threshold=cutoff)
    assert (forward == Change.DETERIORATED) == (backward in (Change.IMPROVED, Change.RECOVERED))
    assert (forward == Change.UNCHANGED) == (backward == Change.UNCHANGED)


@given(scores, scores, sds, reliabilities, scores)
def test_recovery_needs_reliable_improvement_from_at_or_above_the_cutoff_to_below_it(
    pre: int, post: int, sd: float, r: float, cutoff: int
) -> None:
    change = classify(pre, post, sd_pre=sd, reliability=r, threshold=cutoff)
    index = (post - pre) / (math.sqrt(2) * (sd * math.sqrt(1 - r)))
    assert (change == Change.RECOVERED) == (index < -1.96 and pre >= cutoff and post < cutoff)
    assert (change == Change.DETERIORATED) == (index > 1.96)


# Pairs classified above with SD 10: improved, recovered, improved (pre below the cut-off), deteriorated,
# unchanged.
PAIRS = [(40, 25), (30, 10), (15, 5), (20, 30), (40, 31)]


def test_summary_with_the_published_sd() -> None:
    outcomes = summarize(PAIRS, sd_pre=SD, reliability=R, threshold=CUTOFF)
    assert outcomes.n == 5
    assert outcomes.counts == {
        Change.IMPROVED: 2,
        Change.RECOVERED: 1,
        Change.DETERIORATED: 1,
        Change.UNCHANGED: 1,
    }
    assert (outcomes.eligible_for_recovery, outcomes.recovered) == (3, 1)  # pre 40, 30, 40 are at or above 21
    assert outcomes.recovery_rate == pytest.approx(1 / 3)
    assert outcomes.mean_pre == pytest.approx(29)  # 145 / 5
    assert outcomes.mean_post == pytest.approx(20.2)  # 101 / 5
    assert outcomes.mean_change == pytest.approx(-8.8)
    # SD of the pre scores: deviations 11, 1, -14, -9, 11; squares sum to 520; 520 / 4 = 130; sqrt = 11.402.
    # d = -8.8 / 11.402 = -0.772.
    assert outcomes.effect_size == pytest.approx(-0.7718, abs=1e-4)
    assert (outcomes.sd_pre, outcomes.sd_source) == (SD, "published")


def test_summary_falls_back_on_the_programs_baseline_sd() -> None:
    outcomes = summarize(PAIRS, sd_pre=None, reliability=R, threshold=CUTOFF)
    # SD 11.402: S_diff = sqrt(2) x 11.402 x sqrt(.12) = 5.586. RCs: -2.69 improved, -3.58 recovered,
    # -1.79 unchanged, +1.79 unchanged, -1.61 unchanged.
    assert outcomes.sd_source == "program baseline"
    assert outcomes.sd_pre == pytest.approx(math.sqrt(130))
    assert outcomes.counts == {
        Change.IMPROVED: 1,
        Change.RECOVERED: 1,
        Change.DETERIORATED: 0,
        Change.UNCHANGED: 3,
    }


def test_summary_gives_what_it_can_with_too_little_data() -> None:
    one = summarize([(30, 20)], sd_pre=None, reliability=R, threshold=CUTOFF)
    assert (one.n, one.mean_pre, one.mean_post, one.mean_change) == (1, 30, 20, -10)
    assert (one.counts, one.recovered, one.effect_size, one.sd_source, one.recovery_rate) == (None,) * 5
    assert one.eligible_for_recovery == 1
    published = summarize([(30, 20)], sd_pre=SD, reliability=R, threshold=CUTOFF)
    assert published.counts is not None and published.counts[Change.RECOVERED] == 1  # RC -2.04, 20 < 21
    assert published.effect_size is None
    same_baseline = summarize([(30, 20), (30, 35)], sd_pre=None, reliability=R, threshold=CUTOFF)
    assert (same_baseline.counts, same_baseline.effect_size) == (None, None)
    assert same_baseline.mean_change == pytest.approx(-2.5)
    empty = summarize([], sd_pre=SD, reliability=R, threshold=CUTOFF)
    assert (empty.n, empty.mean_pre, empty.mean_change, empty.eligible_for_recovery) == (0, None, None, 0)
    assert empty.counts == dict.fromkeys(Change, 0)


@given(st.lists(st.tuples(scores, scores), max_size=30), st.one_of(st.none(), sds), reliabilities, scores)
def test_summary_counts_every_pair_once(pairs: list[tuple[int, int]], sd: float | None, r: float, cutoff: int) -> None:
    outcomes = summarize(iter(pairs), sd_pre=sd, reliability=r, threshold=cutoff)
    assert outcomes.n == len(pairs)
    if outcomes.counts is not None:
        assert sum(outcomes.counts.values()) == len(pairs)
        assert outcomes.recovered is not None and outcomes.recovered <= outcomes.eligible_for_recovery
    else:
        assert sd is None


def test_summary_without_a_threshold_judges_reliable_change_but_no_recovery() -> None:
    outcomes = summarize(PAIRS, sd_pre=SD, reliability=R, threshold=None)
    assert outcomes.counts == {
        Change.IMPROVED: 3,  # (40, 25), (30, 10), (15, 5): reliably improved, none can be called recovered
        Change.RECOVERED: 0,
        Change.DETERIORATED: 1,
        Change.UNCHANGED: 1,
    }
    assert (outcomes.eligible_for_recovery, outcomes.recovered, outcomes.recovery_rate) == (0, None, None)


def test_summary_without_a_reliability_judges_no_change() -> None:
    outcomes = summarize(PAIRS, sd_pre=SD, reliability=None, threshold=CUTOFF)
    assert (outcomes.counts, outcomes.recovered, outcomes.recovery_rate) == (None, None, None)
    assert (outcomes.n, outcomes.eligible_for_recovery) == (5, 3)
    assert outcomes.mean_change == pytest.approx(-8.8)


# Criteria a, b and c (Jacobson & Truax 1991), worked by hand with a clinical sample of mean 30, SD 10 and a
# community sample of mean 10, SD 5:
#   a = 30 - 2 x 10 = 10; b = 10 + 2 x 5 = 20; c = (5 x 30 + 10 x 10) / (5 + 10) = 250 / 15 = 16.667.
CLINICAL, COMMUNITY = Population(30, 10), Population(10, 5)


def test_the_three_criteria_worked_by_hand() -> None:
    assert clinical_threshold(Criterion.A, cutoff=None, dysfunctional=CLINICAL) == 10
    assert clinical_threshold(Criterion.B, cutoff=None, functional=COMMUNITY) == 20
    c = clinical_threshold(Criterion.C, cutoff=None, dysfunctional=CLINICAL, functional=COMMUNITY)
    assert c == pytest.approx(16.6667, abs=1e-4)
    assert clinical_threshold(Criterion.CUTOFF, cutoff=21) == 21.0
    assert clinical_threshold(Criterion.NONE, cutoff=None) is None
    # Pre 40 -> post 15 (RC -25 / 4.899 = -5.10 with SD 10, r .88): past c and b, not past a.
    assert classify(40, 15, sd_pre=SD, reliability=R, threshold=c) == Change.RECOVERED
    assert classify(40, 15, sd_pre=SD, reliability=R, threshold=20) == Change.RECOVERED
    assert classify(40, 15, sd_pre=SD, reliability=R, threshold=10) == Change.IMPROVED


def test_a_criterion_without_its_norms_is_refused() -> None:
    with pytest.raises(ValueError, match="criterion a needs"):
        clinical_threshold(Criterion.A, cutoff=21, functional=COMMUNITY)
    with pytest.raises(ValueError, match="criterion b needs"):
        clinical_threshold(Criterion.B, cutoff=21, dysfunctional=CLINICAL)
    with pytest.raises(ValueError, match="criterion c needs"):
        clinical_threshold(Criterion.C, cutoff=21, dysfunctional=CLINICAL)
    with pytest.raises(ValueError, match="published cut-off"):
        clinical_threshold(Criterion.CUTOFF, cutoff=None, dysfunctional=CLINICAL, functional=COMMUNITY)


means = st.floats(-50, 100)
positive_sds = st.floats(0.1, 40)


@given(means, positive_sds, means, positive_sds)
def test_c_lies_between_the_two_means_and_between_a_and_b(
    m_func: float, sd_func: float, m_dys: float, sd_dys: float
) -> None:
    clinical, community = Population(m_dys, sd_dys), Population(m_func, sd_func)
    c = clinical_threshold(Criterion.C, cutoff=None, dysfunctional=clinical, functional=community)
    assert c is not None
    tolerance = 1e-9 * (1 + abs(m_func) + abs(m_dys))
    assert min(m_func, m_dys) - tolerance <= c <= max(m_func, m_dys) + tolerance
    a, b = criterion_a(clinical), criterion_b(community)
    assert min(a, b) - tolerance <= c <= max(a, b) + tolerance
    # c is as many of its own SDs from each mean.
    assert (m_dys - c) / sd_dys == pytest.approx((c - m_func) / sd_func, abs=1e-6)


@given(means, means, positive_sds)
def test_with_equal_sds_c_is_the_midpoint_and_a_and_b_reduce_to_two_sds(m_func: float, m_dys: float, sd: float) -> None:
    clinical, community = Population(m_dys, sd), Population(m_func, sd)
    c = clinical_threshold(Criterion.C, cutoff=None, dysfunctional=clinical, functional=community)
    assert c == pytest.approx((m_func + m_dys) / 2, abs=1e-6)
    assert clinical_threshold(Criterion.A, cutoff=None, dysfunctional=clinical) == pytest.approx(m_dys - 2 * sd)
    assert clinical_threshold(Criterion.B, cutoff=None, functional=community) == pytest.approx(m_func + 2 * sd)
    # Populations two SDs apart on each side meet at one point: a = b = c.
    apart = Population(m_func + 4 * sd, sd)
    met = clinical_threshold(Criterion.C, cutoff=None, dysfunctional=apart, functional=community)
    assert met == pytest.approx(criterion_a(apart), abs=1e-6) == pytest.approx(criterion_b(community), abs=1e-6)


thresholds = st.none() | st.floats(0, 60)


@given(scores, scores, sds, reliabilities, thresholds)
def test_the_categories_are_exhaustive_and_exclusive(
    pre: int, post: int, sd: float, r: float, threshold: float | None
) -> None:
    index = reliable_change_index(pre, post, sd, r)
    crossed = threshold is not None and pre >= threshold > post
    conditions = {
        Change.DETERIORATED: index > 1.96,
        Change.RECOVERED: index < -1.96 and crossed,
        Change.IMPROVED: index < -1.96 and not crossed,
        Change.UNCHANGED: -1.96 <= index <= 1.96,
    }
    assert sum(conditions.values()) == 1
    assert conditions[classify(pre, post, sd_pre=sd, reliability=r, threshold=threshold)]


# One child's series: each later score against the first (the baseline).
series_scores = st.lists(scores, min_size=1, max_size=12)


@given(series_scores, sds, reliabilities, thresholds)
def test_each_later_score_is_classified_against_the_baseline(
    values: list[int], sd: float, r: float, threshold: float | None
) -> None:
    series = series_change(values, sd_pre=sd, reliability=r, threshold=threshold)
    baseline = values[0]
    assert series.baseline == baseline
    assert series.not_judged is None
    assert [point.score for point in series.points] == values[1:]
    for point in series.points:
        assert point.difference == point.score - baseline
        assert point.index == pytest.approx(reliable_change_index(baseline, point.score, sd, r))
        assert point.category == classify(baseline, point.score, sd_pre=sd, reliability=r, threshold=threshold)


@given(series_scores, sds, reliabilities, thresholds)
def test_a_lower_later_score_is_never_judged_worse(
    values: list[int], sd: float, r: float, threshold: float | None
) -> None:
    series = series_change(values, sd_pre=sd, reliability=r, threshold=threshold)
    for one in series.points:
        for other in series.points:
            if one.score <= other.score:
                assert one.category is not None and other.category is not None
                assert ORDER.index(one.category) <= ORDER.index(other.category)


@given(series_scores, sds, reliabilities, thresholds)
def test_only_a_child_at_or_above_the_threshold_at_baseline_can_recover(
    values: list[int], sd: float, r: float, threshold: float | None
) -> None:
    series = series_change(values, sd_pre=sd, reliability=r, threshold=threshold)
    assert series.may_recover == (None if threshold is None else values[0] >= threshold)
    for point in series.points:
        recovered = point.category == Change.RECOVERED
        assert recovered == (
            bool(series.may_recover)
            and threshold is not None
            and point.score < threshold
            and point.index is not None
            and point.index < -RELIABLE
        )


@given(series_scores, st.one_of(st.none(), sds), st.one_of(st.none(), reliabilities), thresholds)
def test_without_an_sd_or_a_reliability_no_change_is_judged_and_the_series_says_why(
    values: list[int], sd: float | None, r: float | None, threshold: float | None
) -> None:
    series = series_change(values, sd_pre=sd, reliability=r, threshold=threshold)
    assert [point.difference for point in series.points] == [value - values[0] for value in values[1:]]
    if r is None:
        assert series.not_judged == NotJudged.NO_RELIABILITY
    elif sd is None:
        assert series.not_judged == NotJudged.NO_SD
    else:
        assert series.not_judged is None
    if series.not_judged is not None:
        assert all(point.index is None and point.category is None for point in series.points)


def test_a_series_worked_by_hand() -> None:
    # SD 10, r .88, cut-off 21: S_diff 4.899. Baseline 40; 31 (RC -1.84) no reliable change; 25 (RC -3.06) reliably
    # improved but not below 21; 20 (RC -4.08) recovered; 51 (RC +2.25) reliably deteriorated.
    series = series_change([40, 31, 25, 20, 51], sd_pre=SD, reliability=R, threshold=CUTOFF)
    assert [point.category for point in series.points] == [
        Change.UNCHANGED,
        Change.IMPROVED,
        Change.RECOVERED,
        Change.DETERIORATED,
    ]
    assert [round(point.index or 0, 2) for point in series.points] == [-1.84, -3.06, -4.08, 2.25]
    assert series.may_recover is True
    below = series_change([15, 5], sd_pre=SD, reliability=R, threshold=CUTOFF)
    assert (below.may_recover, below.points[0].category) == (False, Change.IMPROVED)
    assert series_change([40], sd_pre=SD, reliability=R, threshold=CUTOFF).points == ()
    with pytest.raises(ValueError, match="baseline"):
        series_change([], sd_pre=SD, reliability=R, threshold=CUTOFF)


@given(st.lists(scores, min_size=0, max_size=80))
def test_the_sd_from_sums_is_the_sample_sd_once_there_are_enough_scores(values: list[int]) -> None:
    sd = sd_from_sums(len(values), sum(values), sum(v * v for v in values))
    if len(values) < MIN_SCORES_FOR_SD or len(set(values)) == 1:
        assert sd is None
    else:
        assert sd == pytest.approx(statistics.stdev(values), rel=1e-9)
