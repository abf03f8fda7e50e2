"""The turnaround clock counts working days (Monday to Friday), as ``core.dates.add_working_days`` adds them."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from haven.core.dates import add_working_days
from haven.safeguarding.turnaround import clock, working_days

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
# Naive bounds, as hypothesis wants them; the moments drawn are in UTC.
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def weekdays_in(start: date, end: date) -> int:
    """By hand: the weekdays of [start, end)."""
    return sum(1 for n in range((end - start).days) if (start + timedelta(days=n)).weekday() < 5)


@given(days, st.integers(min_value=0, max_value=400))
def test_counts_the_weekdays_between(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    assert working_days(start, end) == weekdays_in(start, end)
    assert working_days(end, start) == -working_days(start, end)


@given(moments, st.integers(min_value=0, max_value=60))
def test_consistent_with_add_working_days(moment: datetime, n: int) -> None:
    assert working_days(moment, add_working_days(moment, n)) == n


@given(days, days, days)
def test_monotone(start: date, one: date, other: date) -> None:
    earlier, later = sorted((one, other))
    assert working_days(start, earlier) <= working_days(start, later)
    assert working_days(earlier, start) >= working_days(later, start)


@given(days)
def test_weekends_are_not_counted(day: date) -> None:
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    monday = saturday + timedelta(days=2)
    assert working_days(saturday, monday) == 0
    assert working_days(saturday - timedelta(days=1), monday + timedelta(days=1)) == 2  # Friday and Monday


def test_a_clock_reads_as_a_reviewer_would() -> None:
    submitted = datetime.combine(date(2026, 11, 26), time(10), tzinfo=UTC)  # a Thursday
    due = add_working_days(submitted, 3)  # the next Tuesday, 10:00
    monday = datetime.combine(date(2026, 11, 30), time(9), tzinfo=UTC)
    on_monday = clock(submitted=submitted, due=due, now=monday)
    assert (on_monday.waited, on_monday.left, on_monday.overdue) == (2, 1, False)
    on_tuesday = clock(submitted=submitted, due=due, now=due - timedelta(hours=1))
    assert on_tuesday.due_today and not on_tuesday.overdue
    late = clock(submitted=submitted, due=due, now=due + timedelta(days=1))
    assert late.overdue and late.overdue_by == 1 and late.waited == 4
