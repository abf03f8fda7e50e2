"""When a grantee's reports fall (pure: no ORM): the grant's period cut into reporting periods from its first day,
and the one rule for a report's due date.

Periods start on the grant's first day and run a whole number of months (a quarter is 3); the last one ends with
the grant. A report is due ``DUE_AFTER_DAYS`` days after its period ends unless the program admin says otherwise.
"""

from datetime import date, timedelta

from haven.core.dates import add_months

DUE_AFTER_DAYS = 30  # days from a period's end to its report's due date: the usual 30 of a grant agreement
PERIOD_MONTHS = (1, 3, 6, 12)  # the lengths a program admin may choose: monthly, quarterly, half-yearly, yearly


def report_periods(starts_on: date, ends_on: date, months: int) -> list[tuple[date, date]]:
    """The grant's period cut into ``months``-long periods from its first day, the last cut at its end: the
    periods follow one another without a gap or an overlap and cover the grant exactly."""
    if months not in PERIOD_MONTHS:
        raise ValueError(f"a reporting period is one of {PERIOD_MONTHS} months, not {months}")
    if ends_on < starts_on:
        raise ValueError("the grant ends before it starts")
    periods, index = [], 0
    start = starts_on
    while start <= ends_on:
        index += 1
        # Counted from the grant's first day (not from the previous period), so a 31st is not clamped for good.
        end = min(add_months(starts_on, months * index) - timedelta(days=1), ends_on)
        periods.append((start, end))
        start = end + timedelta(days=1)
    return periods


def report_due_on(period_end: date, due_after_days: int = DUE_AFTER_DAYS) -> date:
    """The day a report on a period that ends on ``period_end`` is due."""
    if due_after_days < 0:
        raise ValueError("a report is never due before its period ends")
    return period_end + timedelta(days=due_after_days)


def reminder_days(due_on: date, days_before: list[int]) -> list[date]:
    """The days a report due on ``due_on`` is reminded of, in order: ``days_before`` (the program's
    ``MoneyRules.reminder_days``) counted back from the due date, a negative number counting after it (late)."""
    return sorted({due_on - timedelta(days=days) for days in days_before})
