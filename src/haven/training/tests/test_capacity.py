from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from haven.training.capacity import DEFAULT_COMPLETION_RATE, Observed, plan

TODAY = date(2026, 11, 1)
END = date(2028, 5, 1)


def _observed(**overrides: object) -> Observed:
    base: dict[str, object] = {
        "target": 2000,
        "trained": 600,
        "in_progress_started": (date(2026, 6, 1),) * 400,
        "planned_seats": ((date(2027, 1, 1), 20),) * 10,
        "finished_members": 800,
        "finished_trained": 600,
        "training_days": (365,) * 600,
        "cohort_sizes": (20,) * 50,
    }
    base.update(overrides)
    return Observed(**base)  # type: ignore[arg-type]


def test_a_worked_example() -> None:
    result = plan(_observed(), today=TODAY, program_end=END)
    # 600 of 800 finished clinicians trained: 75%; a cohort start to trained takes 12 months.
    assert (result.completion_rate, result.training_months) == (0.75, 12)
    # 400 in progress and 200 planned seats, all finishing in time, at 75%: 450 more.
    assert result.expected_from_pipeline == 450
    # 2,000 - 600 - 450 = 950 to find; a cohort of 20 yields 15: 64 cohorts, starting by May 2027.
    assert (result.gap, result.cohort_size, result.cohorts_needed) == (950, 20, 64)
    assert result.latest_start == END - timedelta(days=365)
    assert result.starts[0] > TODAY and result.starts[-1] < result.latest_start
    assert result.feasible


def test_without_finished_cohorts_the_rate_is_an_assumption() -> None:
    result = plan(_observed(finished_members=0, finished_trained=0, training_days=()), today=TODAY, program_end=END)
    assert result.completion_rate == DEFAULT_COMPLETION_RATE
    assert result.completion_rate_assumed and result.training_months_assumed


def test_too_late_to_add_cohorts_is_said_plainly() -> None:
    result = plan(_observed(), today=date(2027, 12, 1), program_end=END)
    assert result.cohorts_needed > 0
    assert not result.feasible
    assert result.starts == ()


def test_no_gap_needs_no_cohort() -> None:
    result = plan(_observed(trained=2000), today=TODAY, program_end=END)
    assert (result.gap, result.cohorts_needed, result.feasible) == (0, 0, True)


@given(target=st.integers(0, 5000), extra=st.integers(1, 2000), trained=st.integers(0, 3000))
def test_a_higher_target_never_needs_fewer_cohorts(target: int, extra: int, trained: int) -> None:
    low = plan(_observed(target=target, trained=trained), today=TODAY, program_end=END)
    high = plan(_observed(target=target + extra, trained=trained), today=TODAY, program_end=END)
    assert high.cohorts_needed >= low.cohorts_needed
    # The cohorts proposed cover the gap at the observed rate.
    assert high.cohorts_needed * high.cohort_size * high.completion_rate >= high.gap - 1e-9
