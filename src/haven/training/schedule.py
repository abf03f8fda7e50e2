"""A cohort's calendar and consultation calls, laid out from its dates (pure)."""

from dataclasses import dataclass
from datetime import date, timedelta

from haven.core.dates import add_months

from .path import TWICE_MONTHLY


@dataclass(frozen=True)
class PlannedEvent:
    kind: str
    starts_on: date
    ends_on: date


def consultation_dates(*, live_training_on: date, schedule: str, count: int = 12) -> list[date]:
    """Calls every half month (twice a month) or every month after the live training's first day: the 12th falls
    6 (or 12) months after it, the day the path's consultation has run its length (``path.consultation``).
    A half month is 15 days after a whole one (1 March, 16 March, 1 April...)."""
    if schedule == TWICE_MONTHLY:
        return [add_months(live_training_on, n // 2) + timedelta(days=15 * (n % 2)) for n in range(1, count + 1)]
    return [add_months(live_training_on, n) for n in range(1, count + 1)]


def collaborative_calendar(*, starts_on: date, ends_on: date, live_training_days: int) -> list[PlannedEvent]:
    """Pre-work in the month before, three learning sessions spread over the collaborative, action periods
    between them (the IHI Breakthrough Series shape)."""
    total_days = (ends_on - starts_on).days
    sessions = [starts_on + timedelta(days=round(total_days * share)) for share in (0, 0.4, 0.8)]
    events = [PlannedEvent("pre_work", starts_on - timedelta(days=30), starts_on - timedelta(days=1))]
    for index, session in enumerate(sessions):
        session_end = session + timedelta(days=max(live_training_days, 1) - 1)
        events.append(PlannedEvent("learning_session", session, session_end))
        next_start = sessions[index + 1] if index + 1 < len(sessions) else ends_on + timedelta(days=1)
        if session_end + timedelta(days=1) <= next_start - timedelta(days=1):
            events.append(
                PlannedEvent("action_period", session_end + timedelta(days=1), next_start - timedelta(days=1))
            )
    return events
