"""A cohort's calendar and consultation calls, laid out from its dates (pure)."""

from dataclasses import dataclass
from datetime import date, timedelta

from .path import add_months


@dataclass(frozen=True)
class PlannedEvent:
    kind: str
    starts_on: date
    ends_on: date


def consultation_dates(*, live_training_on: date, schedule: str, count: int = 12) -> list[date]:
    """Calls start two weeks after the live training: every 14 days (twice a month) or every month."""
    first = live_training_on + timedelta(days=14)
    if schedule == "twice_monthly":
        return [first + timedelta(days=14 * i) for i in range(count)]
    return [add_months(first, i) for i in range(count)]


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
