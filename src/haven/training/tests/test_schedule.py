"""A cohort's calendar on the program's open days, keeping the dates its admin entered (pure)."""

from datetime import date, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from haven.training.closed_days import Calendar
from haven.training.path import MONTHLY, TWICE_MONTHLY, PathRules, add_months
from haven.training.schedule import PlannedEvent, collaborative_calendar, consultation_dates

FEDERAL = Calendar()


def _sessions(events: list[PlannedEvent]) -> list[tuple[date, date]]:
    return [(e.starts_on, e.ends_on) for e in events if e.kind == "learning_session"]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_the_live_training_entered_is_the_first_session_and_no_session_falls_on_christmas() -> None:
    # Entered: the cohort starts on a Saturday, the live training is the Monday after. The third session is due 80%
    # of the way, on Wednesday 24 December: its two days move to the nearest open ones.
    entered = {"starts_on": date(2025, 3, 1), "ends_on": date(2026, 3, 8), "live_training_on": date(2025, 3, 3)}
    events = collaborative_calendar(**entered, live_training_days=2, calendar=FEDERAL)
    assert [(e.kind, e.starts_on, e.ends_on) for e in events] == [
        ("pre_work", date(2025, 2, 1), date(2025, 3, 2)),
        ("learning_session", date(2025, 3, 3), date(2025, 3, 4)),
        ("action_period", date(2025, 3, 5), date(2025, 7, 28)),
        ("learning_session", date(2025, 7, 29), date(2025, 7, 30)),
        ("action_period", date(2025, 7, 31), date(2025, 12, 22)),
        ("learning_session", date(2025, 12, 23), date(2025, 12, 24)),
        ("action_period", date(2025, 12, 25), date(2026, 3, 8)),
    ]
    # A program that closes Christmas Eve too.
    closed_eve = Calendar(added={date(2025, 12, 24): "Christmas Eve"})
    events = collaborative_calendar(**entered, live_training_days=2, calendar=closed_eve)
    assert _sessions(events)[2] == (date(2025, 12, 22), date(2025, 12, 23))


live_days = st.integers(1, 5)
schedules = st.sampled_from([TWICE_MONTHLY, MONTHLY])
starts = st.dates(date(2020, 1, 1), date(2035, 12, 31))


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[date, date, date, int]:
    starts_on = draw(starts)
    live = starts_on + timedelta(days=draw(st.integers(0, 40)))
    ends_on = add_months(starts_on, draw(st.integers(2, 18))) + timedelta(days=draw(st.integers(0, 27)))
    assume(live < ends_on)
    return starts_on, ends_on, live, draw(live_days)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    """The federal holidays, some opened, and up to a few dozen closed days (runs of up to two weeks)."""
    added: dict[date, str] = {}
    for first in draw(st.lists(st.dates(date(2019, 6, 1), date(2038, 12, 31)), max_size=30)):
        for n in range(draw(st.integers(1, 14))):
            added[first + timedelta(days=n)] = "closed"
    opened = draw(st.frozensets(st.dates(date(2019, 6, 1), date(2038, 12, 31)), max_size=10))
    return Calendar(added=added, opened=opened)


@given(cohort=cohorts(), calendar=calendars())
def test_sessions_fall_on_open_days_after_the_live_training_entered(
    cohort: tuple[date, date, date, int], calendar: Calendar
) -> None:
    starts_on, ends_on, live, days = cohort
    events = collaborative_calendar(
        starts_on=starts_on, ends_on=ends_on, live_training_on=live, live_training_days=days, calendar=calendar
    )
    sessions = _sessions(events)
    # The live training entered is the first session, as entered, whatever day it is.
    assert sessions[0] == (live, live + timedelta(days=days - 1))
    # Haven's own sessions: as long as the live training, every day open, in order with a day at least between.
    for (_first, last), (next_first, next_last) in zip(sessions, sessions[1:], strict=False):
        assert next_first >= last + timedelta(days=2)
        assert (next_last - next_first).days == days - 1
        assert all(calendar.is_open(day) for day in _days(next_first, next_last))
    assert sessions[-1][1] <= ends_on
    # Pre-work ends the day before the live training; action periods fill the days between sessions and after.
    assert events[0] == PlannedEvent("pre_work", min(starts_on, live - timedelta(days=30)), live - timedelta(days=1))
    covered = [day for e in events[1:] for day in _days(e.starts_on, e.ends_on)]
    assert covered == _days(live, max(ends_on, sessions[0][1]))


@given(cohort=cohorts(), calendar=calendars())
def test_every_later_session_the_cohort_has_room_for_is_placed(
    cohort: tuple[date, date, date, int], calendar: Calendar
) -> None:
    """A session is left out only when no run of open days fits between the one before and the cohort's end."""
    starts_on, ends_on, live, days = cohort
    sessions = _sessions(
        collaborative_calendar(
            starts_on=starts_on, ends_on=ends_on, live_training_on=live, live_training_days=days, calendar=calendar
        )
    )
    if len(sessions) < 3:
        earliest = sessions[-1][1] + timedelta(days=2)
        for first in _days(earliest, ends_on - timedelta(days=days - 1)):
            assert not all(calendar.is_open(day) for day in _days(first, first + timedelta(days=days - 1)))


@given(live=starts, schedule=schedules, calendar=calendars())
def test_calls_fall_on_open_days_in_order_and_the_last_closes_the_consultation(
    live: date, schedule: str, calendar: Calendar
) -> None:
    due = consultation_dates(live_training_on=live, schedule=schedule)
    held = consultation_dates(live_training_on=live, schedule=schedule, calendar=calendar)
    assert len(held) == len(due) == 12
    for index, (day, was_due) in enumerate(zip(held, due, strict=True)):
        assert calendar.is_open(day)
        # The first open day on or after its due day, and after the call before.
        start = max(was_due, held[index - 1] + timedelta(days=1)) if index else was_due
        assert day >= start and all(not calendar.is_open(d) for d in _days(start, day - timedelta(days=1)))
    # Never earlier than due: the last call still comes once consultation has run its length.
    assert held[-1] >= add_months(live, PathRules().consultation_months(schedule))
