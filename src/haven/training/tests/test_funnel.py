"""The funnel's counting rules, as properties: a period of months and the counts over clinicians."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from haven.core.dates import month_of
from haven.training import funnel
from haven.training.path import Status

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@given(start=days, end=days, day=st.none() | days)
def test_a_day_is_within_the_months_when_its_month_lies_between_them(start: date, end: date, day: date | None) -> None:
    within = funnel.within_months(start, end)
    assert within(day) == (day is not None and start <= month_of(day) <= end)


clinicians = st.builds(
    funnel.Clinician,
    state=st.sampled_from(["AL", "MN"]),
    cohort_id=st.none() | st.integers(1, 3),
    cohort_name=st.just(""),
    status=st.sampled_from(list(Status)),
    placed_on=st.none(),
    trained_on=st.none() | days,
    certified_on=st.none() | days,
    cohort_start=st.none(),
)


@given(rows=st.lists(clinicians, max_size=30), start=days, end=days)
def test_the_funnel_counts_each_clinician_at_each_step_they_reached(
    rows: list[funnel.Clinician], start: date, end: date
) -> None:
    within = funnel.within_months(start, end)
    counted = funnel.funnel(rows, within)
    assert counted.nominated == len(rows)
    assert counted.awaiting == sum(1 for r in rows if r.status == Status.NOMINATED)
    assert counted.waitlisted == sum(1 for r in rows if r.status == Status.WAITLISTED)
    assert counted.withdrawn == sum(1 for r in rows if r.status == Status.WITHDRAWN)
    assert counted.placed == sum(1 for r in rows if r.placed)
    assert counted.trained == sum(1 for r in rows if within(r.trained_on))
    assert counted.certified == sum(1 for r in rows if within(r.certified_on))
