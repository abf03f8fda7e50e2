"""Calendar arithmetic every app shares: months and quarters as their first day, and whole months later."""

from datetime import date, timedelta


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
