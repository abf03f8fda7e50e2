"""Holidays computed by their rules, against the federal holidays OPM published, and a program's closed days."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from haven.training.closed_days import US_FEDERAL_HOLIDAYS, Calendar, holidays, is_weekend

# The days federal offices closed (OPM's tables of federal holidays), observed days included.
OPM = {
    2021: [
        (1, 1),
        (1, 18),
        (2, 15),
        (5, 31),
        (6, 18),
        (7, 5),
        (9, 6),
        (10, 11),
        (11, 11),
        (11, 25),
        (12, 24),
        (12, 31),
    ],
    2022: [(1, 17), (2, 21), (5, 30), (6, 20), (7, 4), (9, 5), (10, 10), (11, 11), (11, 24), (12, 26)],
    2023: [(1, 2), (1, 16), (2, 20), (5, 29), (6, 19), (7, 4), (9, 4), (10, 9), (11, 10), (11, 23), (12, 25)],
    2024: [(1, 1), (1, 15), (2, 19), (5, 27), (6, 19), (7, 4), (9, 2), (10, 14), (11, 11), (11, 28), (12, 25)],
    2025: [(1, 1), (1, 20), (2, 17), (5, 26), (6, 19), (7, 4), (9, 1), (10, 13), (11, 11), (11, 27), (12, 25)],
    2026: [(1, 1), (1, 19), (2, 16), (5, 25), (6, 19), (7, 3), (9, 7), (10, 12), (11, 11), (11, 26), (12, 25)],
    2027: [
        (1, 1),
        (1, 18),
        (2, 15),
        (5, 31),
        (6, 18),
        (7, 5),
        (9, 6),
        (10, 11),
        (11, 11),
        (11, 25),
        (12, 24),
        (12, 31),
    ],
    2028: [(1, 17), (2, 21), (5, 29), (6, 19), (7, 4), (9, 4), (10, 9), (11, 10), (11, 23), (12, 25)],
}
# Juneteenth is kept from 2021 on.
BEFORE_JUNETEENTH = {2020: [(1, 1), (1, 20), (2, 17), (5, 25), (7, 3), (9, 7), (10, 12), (11, 11), (11, 26), (12, 25)]}


def test_federal_holidays_match_the_published_years() -> None:
    for year, days in (OPM | BEFORE_JUNETEENTH).items():
        assert list(holidays(year)) == [date(year, month, day) for month, day in days], year


years = st.integers(1990, 2200)


@given(year=years)
def test_each_rule_is_observed_once_a_year_on_a_weekday_near_its_date(year: int) -> None:
    observed = {rule.key: day for day, rule in holidays(year).items()}
    # New Year's Day of this year may be observed in the year before (31 December), then twice in this one.
    kept = {rule.key for rule in US_FEDERAL_HOLIDAYS if rule.since <= year}
    assert set(observed) <= kept
    for day, rule in holidays(year).items():
        assert not is_weekend(day)
        if rule.day is not None:  # its date, or the weekday next to it (31 December for a Saturday's New Year)
            assert any(abs((day - date(kept, rule.month, rule.day)).days) <= 1 for kept in (year, year + 1))
        else:  # the nth weekday: that weekday, in its month, in the right week
            assert (day.weekday(), day.month) == (rule.weekday, rule.month)
            if rule.nth > 0:
                assert (day.day - 1) // 7 == rule.nth - 1
            else:
                assert (day + timedelta(days=7)).month != rule.month


def test_a_program_adds_closed_days_and_opens_holidays() -> None:
    calendar = Calendar(added={date(2025, 12, 24): "Christmas Eve"}, opened=frozenset({date(2025, 10, 13)}))
    assert not calendar.is_open(date(2025, 12, 24))  # added
    assert not calendar.is_open(date(2025, 12, 25))  # a holiday
    assert calendar.is_open(date(2025, 10, 13))  # Columbus Day, opened
    assert not calendar.is_open(date(2025, 12, 27))  # a Saturday
    assert calendar.next_open(date(2025, 12, 24)) == date(2025, 12, 26)
    closed = [(day, str(name)) for day, name in calendar.closed_between(date(2025, 10, 1), date(2025, 12, 31))]
    assert closed == [
        (date(2025, 11, 11), "Veterans Day"),
        (date(2025, 11, 27), "Thanksgiving Day"),
        (date(2025, 12, 24), "Christmas Eve"),
        (date(2025, 12, 25), "Christmas Day"),
    ]


@given(
    day=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
    added=st.sets(st.dates(date(2000, 1, 1), date(2100, 12, 31)), max_size=20),
)
def test_the_next_open_day_is_open_and_nothing_between_is(day: date, added: set[date]) -> None:
    calendar = Calendar(added=dict.fromkeys(added, "closed"))
    found = calendar.next_open(day)
    assert calendar.is_open(found) and not is_weekend(found) and found not in added
    assert holidays(found.year).get(found) is None
    assert all(not calendar.is_open(day + timedelta(days=n)) for n in range((found - day).days))
