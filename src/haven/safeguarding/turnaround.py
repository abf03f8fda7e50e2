"""The review's turnaround clock in working days, with no ORM: how long a submission has waited and how far it is
from its target (``Submission.due_at``, set by ``core.dates.add_working_days``).

Working days are Monday to Friday (public holidays differ by country and are not counted out, as in
``add_working_days``). ``working_days(start, end)`` counts the weekdays in ``[start, end)``: a weekend belongs to the
Monday after it, so ``working_days(m, add_working_days(m, n)) == n`` for every moment ``m``.
"""

import dataclasses
from datetime import date, datetime

_MONDAY = date(2001, 1, 1)  # a Monday: the origin of the count


def _index(day: date) -> int:
    """The number of weekdays from the origin up to ``day``, ``day`` not included."""
    days = (day - _MONDAY).days
    weeks, rest = divmod(days, 7)
    return weeks * 5 + min(rest, 5)


def working_days(start: date, end: date) -> int:
    """The weekdays in ``[start, end)``; negative when ``end`` comes first (then minus those in ``[end, start)``)."""
    start = start.date() if isinstance(start, datetime) else start
    end = end.date() if isinstance(end, datetime) else end
    return _index(end) - _index(start)


@dataclasses.dataclass(frozen=True)
class Clock:
    """Where a submission under review stands against its target, in working days."""

    waited: int  # working days since the current round was submitted
    left: int  # working days from today to the due day: 0 due today, negative past it
    overdue: bool  # the target moment has passed
    due_today: bool  # not yet overdue, and the due moment falls on today's date

    @property
    def overdue_by(self) -> int:
        """Whole working days past the due day (0 when it fell due earlier today)."""
        return max(-self.left, 0)


def clock(*, submitted: datetime, due: datetime, now: datetime) -> Clock:
    """The clock of a round submitted at ``submitted``, due at ``due``, read at ``now`` (all in one time zone)."""
    overdue = now > due
    return Clock(
        waited=max(working_days(submitted, now), 0),
        left=working_days(now, due),
        overdue=overdue,
        due_today=not overdue and due.date() == now.date(),
    )
