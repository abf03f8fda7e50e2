"""Calendar arithmetic every app shares: months and quarters as their first day, and whole months later."""

from datetime import date, datetime, timedelta


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_of(day: date) -> date:
    """The first day of ``day``'s month."""
    return date(day.year, day.month, 1)


def quarter_of(day: date) -> date:
    """The first day of ``day``'s calendar quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(quarter: date) -> date:
    """The last day of the quarter that begins on ``quarter`` (the first day of its month)."""
    return add_months(month_of(quarter), 3) - timedelta(days=1)


def add_working_days(moment: datetime, days: int) -> datetime:
    """``days`` working days (Monday to Friday) after ``moment``, at the same time of day. A moment on a weekend
    counts from the next Monday. Public holidays differ by country and are not counted out."""
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    left = days
    while left > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment
