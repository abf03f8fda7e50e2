"""A cohort's calendar and consultation calls, laid out from the dates its admin entered (pure).

The dates entered are kept: the live training (its first day and number of days) is the first learning session,
whatever day it falls on. What Haven places itself, the later learning sessions and the calls, falls on days the
program's :class:`~haven.training.closed_days.Calendar` has open: never a weekend, a holiday or a day the program
closed.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from haven.core.dates import add_months

from .closed_days import Calendar
from .path import TWICE_MONTHLY

# Where the later learning sessions go, as shares of the time from the live training to the cohort's end.
LATER_SESSIONS = (0.4, 0.8)
PRE_WORK_DAYS = 30


@dataclass(frozen=True)
class PlannedEvent:
    kind: str
    starts_on: date
    ends_on: date


def consultation_dates(
    *, live_training_on: date, schedule: str, calendar: Calendar | None = None, count: int = 12
) -> list[date]:
    """Calls every half month (twice a month) or every month after the live training's first day: the 12th falls
    6 (or 12) months after it, the day the path's consultation has run its length (``path.consultation``).
    A half month is 15 days after a whole one (1 March, 16 March, 1 April...). With a calendar, a call due on a
    closed day is held on the next open day: later, never earlier, so the last call still closes the run."""
    if schedule == TWICE_MONTHLY:
        due = [add_months(live_training_on, n // 2) + timedelta(days=15 * (n % 2)) for n in range(1, count + 1)]
    else:
        due = [add_months(live_training_on, n) for n in range(1, count + 1)]
    if calendar is None:
        return due
    held: list[date] = []
    for day in due:  # after the call before, should closed days have pushed that one past this one's day
        held.append(calendar.next_open(max(day, held[-1] + timedelta(days=1)) if held else day))
    return held


def collaborative_calendar(
    *, starts_on: date, ends_on: date, live_training_on: date, live_training_days: int, calendar: Calendar
) -> list[PlannedEvent]:
    """Pre-work in the month before the live training, the live training as the first learning session, two more
    spread over the rest of the collaborative on open days, and action periods between them (the IHI Breakthrough
    Series shape). A later session that cannot fit between the one before and the cohort's end is left out."""
    days = max(live_training_days, 1)
    sessions = [(live_training_on, live_training_on + timedelta(days=days - 1))]
    span = (ends_on - live_training_on).days
    for share in LATER_SESSIONS:
        placed = _open_run(
            calendar,
            target=live_training_on + timedelta(days=round(span * share)),
            days=days,
            earliest=sessions[-1][1] + timedelta(days=2),  # an action period of a day at least
            latest=ends_on,
        )
        if placed is not None:
            sessions.append(placed)
    pre_work_from = min(starts_on, live_training_on - timedelta(days=PRE_WORK_DAYS))
    events = [PlannedEvent("pre_work", pre_work_from, live_training_on - timedelta(days=1))]
    for index, (first, last) in enumerate(sessions):
        events.append(PlannedEvent("learning_session", first, last))
        next_first = sessions[index + 1][0] if index + 1 < len(sessions) else ends_on + timedelta(days=1)
        if last + timedelta(days=1) <= next_first - timedelta(days=1):
            events.append(PlannedEvent("action_period", last + timedelta(days=1), next_first - timedelta(days=1)))
    return events


def _open_run(calendar: Calendar, *, target: date, days: int, earliest: date, latest: date) -> tuple[date, date] | None:
    """The ``days`` consecutive open days nearest ``target`` (the later when two are as near), from ``earliest``
    to ``latest``."""
    target = min(max(target, earliest), latest)
    for distance in range((latest - earliest).days + 1):
        for first in (target + timedelta(days=distance), target - timedelta(days=distance)):
            last = first + timedelta(days=days - 1)
            if (
                earliest <= first
                and last <= latest
                and all(calendar.is_open(first + timedelta(n)) for n in range(days))
            ):
                return first, last
    return None
