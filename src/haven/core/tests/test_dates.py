from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from haven.core.dates import add_months, month_of, quarter_end, quarter_of

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(day=days, months=st.integers(-120, 120))
def test_add_months_lands_in_the_right_month(day: date, months: int) -> None:
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day <= day.day
    assert later.day == day.day or later + timedelta(days=1) == month_of(add_months(later, 1))


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)


@given(day=days)
def test_a_day_lies_in_its_month_and_quarter(day: date) -> None:
    assert month_of(day) <= day < month_of(add_months(month_of(day), 1))
    quarter = quarter_of(day)
    assert quarter.day == 1 and quarter.month in (1, 4, 7, 10)
    assert quarter <= day <= quarter_end(quarter)
    assert quarter_of(quarter_end(quarter) + timedelta(days=1)) == add_months(quarter, 3)
