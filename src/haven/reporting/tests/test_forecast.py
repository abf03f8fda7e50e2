"""The forecast of program targets: what a program manager would check before trusting it."""

import dataclasses
import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haven.reporting.forecast import (
    CAREGIVERS_SERVED,
    CHILDREN_SERVED,
    CLINICIANS_CERTIFIED,
    CLINICIANS_TRAINED,
    METRICS,
    BacktestRow,
    Band,
    Calibration,
    Check,
    CohortPlan,
    Forecast,
    MetricForecast,
    Observed,
    WhatIf,
    backtest,
    calibration,
    checks,
    forecast,
)

# So much evidence that the drawn rates are pinned: 100% trained after exactly 6 months, nobody certified,
# 1 new child per clinician-month, 7 caregivers for 10 children.
CERTAIN = 1_000_000


def observed(**changes: object) -> Observed:
    """A program at month 12 of 36 with one cohort of 20 placed at month 10 and certain rates; `changes` override."""
    base = Observed(
        months=36,
        as_of=12,
        cohorts=(CohortPlan(start_month=10, seats=20, placed=20, trained=0, certified=0),),
        finished_placed=CERTAIN,
        finished_trained=CERTAIN,
        months_to_trained=(6,) * 1000,
        trained_total=CERTAIN,
        certified_total=0,
        eligible_for_certification=CERTAIN,  # nobody certifies: keeps the children and trained figures apart
        months_to_certified=(),
        ramp=((CERTAIN, CERTAIN),),
        caregiver_share=(7 * CERTAIN, 10 * CERTAIN),
        actual_trained=(0,) * 13,
        actual_certified=(0,) * 13,
        actual_children=(0,) * 13,
        actual_caregivers=(0,) * 13,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_same_seed_gives_the_same_forecast() -> None:
    program = observed()
    assert forecast(program, {}, runs=200, seed=3) == forecast(program, {}, runs=200, seed=3)
    assert forecast(program, {}, runs=200, seed=3) != forecast(program, {}, runs=200, seed=4)


def test_a_cohort_with_certain_rates_trains_everyone_six_months_after_its_start() -> None:
    # 20 placed at month 10 train at month 16; 5 already trained at 12 are in the actuals.
    program = observed(actual_trained=(0,) * 12 + (5,))
    result = forecast(program, {CLINICIANS_TRAINED: 25}, runs=300)[CLINICIANS_TRAINED]
    assert (result.p10, result.p50, result.p90) == (25, 25, 25)
    assert result.probability == 1.0
    assert [band.p50 for band in result.bands] == [5, 5, 5] + [25] * 20
    assert result.bands[0] == Band(month=13, p10=5, p50=5, p90=5)
    assert result.actual == (0,) * 12 + (5,)


def test_children_and_caregivers_follow_the_caseload_rate() -> None:
    # 20 clinicians x 1 child a month x 23 months (13..35) = 460 new children, a Poisson count: SD sqrt(460) = 21.4,
    # so the 10th-90th percentiles sit about 1.28 SD either side: 433 and 487. Caregivers: 0.7 x 460 = 322.
    result = forecast(observed(), {}, runs=1000)
    children = result[CHILDREN_SERVED]
    assert abs(children.p50 - 460) <= 5
    assert 425 <= children.p10 <= 441
    assert 479 <= children.p90 <= 495
    assert abs(result[CAREGIVERS_SERVED].p50 - 322) <= 5
    # The rate is per month since the cohort started, month 13 is the cohort's 4th: 20 children a month from then.
    assert abs(children.bands[0].p50 - 20) <= 1


def test_the_caseload_ramps_up_by_month_since_the_cohort_started() -> None:
    # 10 clinicians of a cohort started at month 12. Ramp: 0.1 a month in the cohort's first month, 0.5 in its
    # second, 1 from its third on. Month 13 is the second (5 children), months 14-35 the third or later (10 a
    # month): 5 + 22 x 10 = 225 in all, SD sqrt(225) = 15.
    program = observed(
        cohorts=(CohortPlan(start_month=12, seats=10, placed=10, trained=0, certified=0),),
        ramp=((CERTAIN // 10, CERTAIN), (CERTAIN // 2, CERTAIN), (CERTAIN, CERTAIN)),
    )
    children = forecast(program, {}, runs=1000)[CHILDREN_SERVED]
    assert abs(children.bands[0].p50 - 5) <= 1
    assert abs(children.bands[1].p50 - 15) <= 1
    assert abs(children.p50 - 225) <= 3
    assert 30 <= children.p90 - children.p10 <= 48  # 2 x 1.28 x 15 = 38


def test_a_month_since_start_not_seen_yet_takes_the_nearest_seen_rate() -> None:
    # Nobody has reached a cohort's third month yet: it takes the second month's 0.5, so 10 x 0.5 x 23 = 115.
    program = observed(
        cohorts=(CohortPlan(start_month=12, seats=10, placed=10, trained=0, certified=0),),
        ramp=((CERTAIN // 10, CERTAIN), (CERTAIN // 2, CERTAIN), (0, 0)),
    )
    assert abs(forecast(program, {}, runs=1000)[CHILDREN_SERVED].p50 - 115) <= 3


def test_clinicians_of_an_old_cohort_who_never_trained_are_not_counted_on() -> None:
    # Training has always taken 6 months; a cohort 12 months old with 8 untrained clinicians will not train them.
    program = observed(cohorts=(CohortPlan(start_month=0, seats=20, placed=20, trained=12, certified=0),))
    trained = forecast(program, {}, runs=300)[CLINICIANS_TRAINED]
    assert (trained.p10, trained.p50, trained.p90) == (0, 0, 0)


def test_certification_comes_from_the_trained_at_the_observed_rate() -> None:
    # Half of the eligible certified, 8 months after training. 40 trained clinicians of a cohort started at month 0
    # (trained at month 6, 6 months ago), none certified yet: each certifies at month 14 with chance 1/2.
    program = observed(
        cohorts=(CohortPlan(start_month=0, seats=40, placed=40, trained=40, certified=0),),
        actual_trained=(0,) * 6 + (40,) * 7,
        certified_total=CERTAIN // 2,
        months_to_certified=(8,) * 1000,
    )
    certified = forecast(program, {CLINICIANS_CERTIFIED: 20}, runs=1000)[CLINICIANS_CERTIFIED]
    assert abs(certified.p50 - 20) <= 1  # binomial(40, 1/2): SD 3.2
    assert 0.5 <= certified.probability <= 0.65  # P(X >= 20) = 0.56
    assert certified.bands[0].p90 == 0  # month 13: none yet
    assert certified.bands[1].p50 == certified.p50  # month 14: all of them


def test_a_what_if_fills_at_the_observed_rate_and_trains_six_months_later() -> None:
    # 800 of 1,000 seats filled so far (all trained); 2 more cohorts of 50 seats at month 20 fill 80 seats (SD 4),
    # who train at month 26.
    program = observed(
        cohorts=(CohortPlan(start_month=0, seats=1000, placed=800, trained=800, certified=0),),
        actual_trained=(0,) * 6 + (800,) * 7,
    )
    without = forecast(program, {}, runs=500)[CLINICIANS_TRAINED]
    assert (without.p10, without.p50, without.p90) == (800, 800, 800)
    trained = forecast(program, {}, what_if=[WhatIf(cohorts=2, seats=50, start_month=20)], runs=500)[CLINICIANS_TRAINED]
    assert all(band.p90 == 800 for band in trained.bands if band.month < 26)
    assert abs(trained.p50 - 880) <= 2
    assert 870 <= trained.p10 < trained.p90 <= 890  # 880 -+ 1.28 x 4


def test_a_program_already_past_its_target_is_certain_to_reach_it() -> None:
    program = observed(actual_children=tuple(range(0, 1300, 100)), actual_trained=(0,) * 12 + (1,))
    result = forecast(program, {CHILDREN_SERVED: 1200, CLINICIANS_TRAINED: 1}, runs=200)
    assert result[CHILDREN_SERVED].probability == 1.0
    assert result[CLINICIANS_TRAINED].probability == 1.0


def test_a_target_beyond_any_capacity_is_out_of_reach() -> None:
    # 20 placed and no other cohort: 2,000 trained is impossible, and so is a child count 100 times the pace.
    result = forecast(observed(), {CLINICIANS_TRAINED: 2000, CHILDREN_SERVED: 46_000}, runs=200)
    assert result[CLINICIANS_TRAINED].probability == 0.0
    assert result[CHILDREN_SERVED].probability == 0.0
    assert result[CLINICIANS_CERTIFIED].probability is None  # no target, no probability


def test_a_finished_program_forecasts_its_actuals() -> None:
    program = observed(
        as_of=35,
        actual_trained=(20,) * 36,
        actual_certified=(0,) * 36,
        actual_children=tuple(range(36)),
        actual_caregivers=(0,) * 36,
    )
    result = forecast(program, {CHILDREN_SERVED: 35, CLINICIANS_TRAINED: 21}, runs=50)
    assert result[CHILDREN_SERVED].bands == ()
    assert (result[CHILDREN_SERVED].p10, result[CHILDREN_SERVED].p90) == (35, 35)
    assert result[CHILDREN_SERVED].probability == 1.0
    assert result[CLINICIANS_TRAINED].probability == 0.0


def test_without_any_evidence_the_forecast_is_wide_but_bounded() -> None:
    # Before the program starts: one planned cohort of 30 seats, nothing observed. Trained cannot exceed 30.
    program = observed(
        as_of=-1,
        cohorts=(CohortPlan(start_month=0, seats=30, placed=0, trained=0, certified=0),),
        finished_placed=0,
        finished_trained=0,
        months_to_trained=(),
        trained_total=0,
        eligible_for_certification=0,
        ramp=(),
        caregiver_share=(0, 0),
        actual_trained=(),
        actual_certified=(),
        actual_children=(),
        actual_caregivers=(),
    )
    result = forecast(program, {}, runs=500)
    trained = result[CLINICIANS_TRAINED]
    assert 0 <= trained.p10 < trained.p90 <= 30
    assert trained.bands[0].month == 0
    assert trained.bands[5].p90 == 0  # training is assumed to take at least 6 months
    assert result[CLINICIANS_CERTIFIED].p90 <= trained.p90


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actual_trained": (0,) * 12}, "actual_trained has 12 months"),
        ({"actual_children": (0,) * 12 + (-1,)}, "cumulative"),
        ({"cohorts": (CohortPlan(20, 10, 5, 1, 0),)}, "has not started"),
        ({"cohorts": (CohortPlan(0, 10, 5, 6, 0),)}, "certified <= trained <= placed"),
        ({"finished_trained": CERTAIN + 1}, "finished_trained <= finished_placed"),
        ({"ramp": ((5, 0),)}, "ramp"),
        ({"as_of": 36}, "as_of 36"),
    ],
)
def test_inconsistent_observations_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forecast(observed(**changes), {}, runs=10)


def test_unknown_targets_and_what_ifs_in_the_past_are_refused() -> None:
    with pytest.raises(ValueError, match="target children=5"):
        forecast(observed(), {"children": 5}, runs=10)
    with pytest.raises(ValueError, match="start after as_of"):
        forecast(observed(), {}, what_if=[WhatIf(cohorts=1, seats=10, start_month=12)], runs=10)


def test_backtest_compares_the_interval_and_the_median_with_what_came_to_pass() -> None:
    def metric(name: str, p10: int, p50: int, p90: int) -> MetricForecast:
        return MetricForecast(name, None, None, p10, p50, p90, (), ())

    made = Forecast(
        as_of=12,
        months=36,
        runs=1000,
        seed=0,
        what_if=(),
        metrics=(
            metric(CLINICIANS_TRAINED, 1700, 1800, 1900),
            metric(CLINICIANS_CERTIFIED, 500, 600, 700),
            metric(CHILDREN_SERVED, 40_000, 50_000, 60_000),
            metric(CAREGIVERS_SERVED, 0, 0, 0),
        ),
    )
    rows = backtest(made, {CLINICIANS_TRAINED: 2000, CHILDREN_SERVED: 40_000, CAREGIVERS_SERVED: 0})
    assert rows == [
        BacktestRow(CLINICIANS_TRAINED, 1700, 1800, 1900, 2000, inside=False, median_error_percent=-10.0),
        BacktestRow(CHILDREN_SERVED, 40_000, 50_000, 60_000, 40_000, inside=True, median_error_percent=25.0),
        BacktestRow(CAREGIVERS_SERVED, 0, 0, 0, 0, inside=True, median_error_percent=None),
    ]
    with pytest.raises(ValueError, match="unknown metrics"):
        backtest(made, {"children": 1})


# Properties over any consistent observations.


@st.composite
def observations(draw: st.DrawFn) -> Observed:
    months = draw(st.integers(2, 36))
    as_of = draw(st.integers(-1, months - 2))
    cohorts = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, months - 1))
        seats = draw(st.integers(0, 40))
        if start <= as_of:
            placed = draw(st.integers(0, seats + 5))
            trained = draw(st.integers(0, placed))
            cohorts.append(CohortPlan(start, seats, placed, trained, draw(st.integers(0, trained))))
        else:
            cohorts.append(CohortPlan(start, seats, draw(st.integers(0, seats)), 0, 0))
    finished_placed = draw(st.integers(0, 300))
    trained_total = draw(st.integers(0, 300))
    eligible = draw(st.integers(0, trained_total))
    durations = st.lists(st.integers(0, 20), max_size=10).map(tuple)
    ramp = st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)) | st.just((0, 0)), max_size=8).map(tuple)

    def cumulative() -> tuple[int, ...]:
        steps = draw(st.lists(st.integers(0, 50), min_size=as_of + 1, max_size=as_of + 1))
        return tuple(itertools.accumulate(steps))

    return Observed(
        months=months,
        as_of=as_of,
        cohorts=tuple(cohorts),
        finished_placed=finished_placed,
        finished_trained=draw(st.integers(0, finished_placed)),
        months_to_trained=draw(durations),
        trained_total=trained_total,
        certified_total=draw(st.integers(0, eligible)),
        eligible_for_certification=eligible,
        months_to_certified=draw(durations),
        ramp=draw(ramp),
        caregiver_share=(draw(st.integers(0, 500)), draw(st.integers(0, 500))),
        actual_trained=cumulative(),
        actual_certified=cumulative(),
        actual_children=cumulative(),
        actual_caregivers=cumulative(),
    )


targets = st.fixed_dictionaries({}, optional=dict.fromkeys(METRICS, st.integers(0, 3000)))


@settings(deadline=None, max_examples=60)
@given(program=observations(), goals=targets, seed=st.integers(0, 1000))
def test_percentiles_are_ordered_and_cumulative_figures_never_fall(
    program: Observed, goals: dict[str, int], seed: int
) -> None:
    result = forecast(program, goals, runs=60, seed=seed)
    for item in result.metrics:
        last_actual = item.actual[-1] if item.actual else 0
        assert last_actual <= item.p10 <= item.p50 <= item.p90
        assert [band.month for band in item.bands] == list(range(program.as_of + 1, program.months))
        previous = Band(program.as_of, last_actual, last_actual, last_actual)
        for band in item.bands:
            assert band.p10 <= band.p50 <= band.p90
            assert previous.p10 <= band.p10 and previous.p50 <= band.p50 and previous.p90 <= band.p90
            previous = band
        assert (previous.p10, previous.p50, previous.p90) == (item.p10, item.p50, item.p90)
        if item.metric in goals:
            assert item.probability is not None
            # At least 90% of runs end at or above the 10th percentile, at most 10% above the 90th.
            if goals[item.metric] <= item.p10:
                assert item.probability >= 0.9
            if goals[item.metric] > item.p90:
                assert item.probability <= 0.1
        else:
            assert item.probability is None


@settings(deadline=None, max_examples=40)
@given(program=observations(), data=st.data(), seed=st.integers(0, 1000))
def test_adding_cohorts_never_lowers_any_figure(program: Observed, data: st.DataObject, seed: int) -> None:
    start = data.draw(st.integers(program.as_of + 1, program.months - 1))
    what_if = WhatIf(cohorts=data.draw(st.integers(1, 4)), seats=data.draw(st.integers(1, 30)), start_month=start)
    goals = dict.fromkeys(METRICS, 50)
    without = forecast(program, goals, runs=80, seed=seed)
    with_more = forecast(program, goals, what_if=[what_if], runs=80, seed=seed)
    for before, after in zip(without.metrics, with_more.metrics, strict=True):
        assert before.p10 <= after.p10 and before.p50 <= after.p50 and before.p90 <= after.p90
        assert before.probability is not None and after.probability is not None
        assert before.probability <= after.probability
        for earlier, later in zip(before.bands, after.bands, strict=True):
            assert earlier.p10 <= later.p10 and earlier.p50 <= later.p50 and earlier.p90 <= later.p90
        # Months before the what-if starts are untouched: the existing cohorts draw the very same numbers.
        assert [b for b in before.bands if b.month < start] == [b for b in after.bands if b.month < start]


# Calibration: a program whose true rates are known, observed to month 12 and forecast to month 36.


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def true_program(seed: int, *, as_of: int = 12, months: int = 36) -> tuple[Observed, dict[str, int]]:
    """Two cohorts of 20 seats a month for two years, simulated clinician by clinician with rates drawn per seed."""
    rng = random.Random(seed)
    fill, train, certify = rng.uniform(0.7, 0.95), rng.uniform(0.6, 0.9), rng.uniform(0.3, 0.7)
    scale = rng.uniform(0.6, 1.4)
    ramp = [rate * scale for rate in (0.0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9)]
    caregiver_share = rng.uniform(0.5, 0.9)
    finished_after = 9  # the longest training: a cohort this old has finished
    cohorts = []  # (start, seats, [(trained month or None, certified month or None) per placed clinician])
    for start in (month for month in range(24) for _ in range(2)):
        clinicians = []
        for _ in range(sum(rng.random() < fill for _ in range(20))):
            trained_at = start + rng.choices((6, 7, 8, 9), weights=(1, 3, 3, 1))[0] if rng.random() < train else None
            certified_at = trained_at + rng.randint(6, 14) if trained_at and rng.random() < certify else None
            clinicians.append((trained_at, certified_at))
        cohorts.append((start, 20, clinicians))

    children_by_month, caregivers_by_month = [0] * months, [0] * months
    ramp_seen = [[0, 0] for _ in ramp]
    for start, _, clinicians in cohorts:
        for month in range(start, months):
            bucket = min(month - start, len(ramp) - 1)
            new = _poisson(rng, len(clinicians) * ramp[bucket])
            children_by_month[month] += new
            caregivers_by_month[month] += sum(rng.random() < caregiver_share for _ in range(new))
            if month <= as_of:
                ramp_seen[bucket][0] += new
                ramp_seen[bucket][1] += len(clinicians)

    def by(month: int, at: int | None) -> bool:
        return at is not None and at <= month

    everyone = [c for _, _, clinicians in cohorts for c in clinicians]
    finished = [c for start, _, clinicians in cohorts if as_of - start >= finished_after for c in clinicians]
    finished_starts = [start for start, _, clinicians in cohorts if as_of - start >= finished_after for _ in clinicians]
    trained_now = [c for c in everyone if by(as_of, c[0])]
    eligible = [c for c in trained_now if c[0] is not None and c[0] + 14 <= as_of]
    series = {
        "trained": tuple(sum(by(m, t) for t, _ in everyone) for m in range(months)),
        "certified": tuple(sum(by(m, c) for _, c in everyone) for m in range(months)),
        "children": tuple(itertools.accumulate(children_by_month)),
        "caregivers": tuple(itertools.accumulate(caregivers_by_month)),
    }
    program = Observed(
        months=months,
        as_of=as_of,
        cohorts=tuple(
            CohortPlan(
                start,
                seats,
                len(clinicians),
                sum(by(as_of, t) for t, _ in clinicians),
                sum(by(as_of, c) for _, c in clinicians),
            )
            if start <= as_of
            else CohortPlan(start, seats, 0, 0, 0)
            for start, seats, clinicians in cohorts
        ),
        finished_placed=len(finished),
        finished_trained=sum(t is not None for t, _ in finished),
        months_to_trained=tuple(t - s for (t, _), s in zip(finished, finished_starts, strict=True) if t is not None),
        trained_total=len(trained_now),
        certified_total=sum(by(as_of, c) for _, c in eligible),
        eligible_for_certification=len(eligible),
        months_to_certified=tuple(c - t for t, c in eligible if t is not None and c is not None and c <= as_of),
        ramp=tuple((children, exposure) for children, exposure in ramp_seen),
        caregiver_share=(series["caregivers"][as_of], series["children"][as_of]),
        actual_trained=series["trained"][: as_of + 1],
        actual_certified=series["certified"][: as_of + 1],
        actual_children=series["children"][: as_of + 1],
        actual_caregivers=series["caregivers"][: as_of + 1],
    )
    final = {
        CLINICIANS_TRAINED: series["trained"][-1],
        CLINICIANS_CERTIFIED: series["certified"][-1],
        CHILDREN_SERVED: series["children"][-1],
        CAREGIVERS_SERVED: series["caregivers"][-1],
    }
    return program, final


def test_the_80_percent_interval_holds_the_true_final_in_most_programs() -> None:
    inside = dict.fromkeys(METRICS, 0)
    for seed in range(20):
        program, final = true_program(seed)
        for row in backtest(forecast(program, {}, runs=200, seed=seed), final):
            inside[row.metric] += row.inside
    # A calibrated 80% interval holds about 16 of 20; fewer than 12 would mean it is too narrow or off centre.
    assert all(count >= 12 for count in inside.values()), inside


# The back-test compares only months the records cover.


def _made(as_of: int, months: int, width: int = 10) -> Forecast:
    bands = tuple(
        Band(month, 100 * month - width, 100 * month, 100 * month + width) for month in range(as_of + 1, months)
    )
    return Forecast(
        as_of=as_of,
        months=months,
        runs=1,
        seed=0,
        what_if=(),
        metrics=tuple(MetricForecast(m, None, None, 0, 0, 0, bands, ()) for m in METRICS),
    )


@given(
    as_of=st.integers(min_value=0, max_value=34),
    covered=st.integers(min_value=1, max_value=36),
    horizons=st.lists(st.integers(min_value=1, max_value=24), min_size=1, max_size=4, unique=True),
)
def test_a_forecast_is_checked_only_at_months_the_records_cover(as_of: int, covered: int, horizons: list[int]) -> None:
    made = _made(as_of, 36)
    actual = [100 * month + 5 for month in range(covered)]
    found = checks(made, dict.fromkeys(METRICS, actual), horizons)
    reachable = [h for h in horizons if as_of + h < min(covered, 36)]
    assert sorted((c.metric, c.horizon) for c in found) == sorted((m, h) for m in METRICS for h in reachable)
    for check in found:
        month = check.as_of + check.horizon
        assert check.actual == actual[month] and check.p50 == 100 * month
        assert check.inside and check.error_percent == pytest.approx(5 / (100 * month + 5) * 100)


def test_calibration_counts_the_actuals_inside_and_the_median_error() -> None:
    found = [
        Check(CLINICIANS_TRAINED, 5, 3, 90, 100, 110, 100),  # inside, 0%
        Check(CLINICIANS_TRAINED, 5, 6, 90, 100, 110, 125),  # outside, 20%
        Check(CLINICIANS_TRAINED, 8, 3, 90, 100, 110, 80),  # outside, 25%
        Check(CHILDREN_SERVED, 5, 3, 0, 0, 0, 0),  # inside, no error (the actual is 0)
    ]
    rows = calibration(found)
    assert rows == [
        Calibration(CLINICIANS_TRAINED, 3, 1, 20.0),
        Calibration(CHILDREN_SERVED, 1, 1, None),
        Calibration("", 4, 2, 20.0),
    ]
    assert rows[0].inside_share == pytest.approx(1 / 3)
    assert calibration([]) == []
