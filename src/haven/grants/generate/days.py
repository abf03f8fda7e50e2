"""The generator's calendar and exchange rates: TARGET closing days, a synthetic history of the dollar's euro
reference rate, the last known rate of a day, and conversions at a rate."""

import bisect
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from haven.core.money import Money, convert_by_euro_rates


def easter(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def target_closed(day: date) -> bool:
    """A day without a euro reference rate: a weekend or a TARGET closing day (1 Jan, Good Friday, Easter Monday,
    1 May, 25 and 26 Dec)."""
    if day.weekday() >= 5 or (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return True
    sunday = easter(day.year)
    return day in (sunday - timedelta(days=2), sunday + timedelta(days=1))


def synthetic_usd_rates(start: date, end: date, seed: str) -> list[tuple[date, Decimal]]:
    """A plausible history of the dollar's euro reference rate: a random walk pulled back toward 1.125 and kept
    between 1.08 and 1.17, four decimals, one rate per TARGET working day. (A stand-in for
    ``grants.ecb.synthetic_history``, which may replace it.)"""
    rng = random.Random(seed)  # noqa: S311 - generated data, not a secret
    level = 1.10 + rng.uniform(0.0, 0.04)
    rates = []
    day = start
    while day <= end:
        if not target_closed(day):
            level += 0.05 * (1.125 - level) + rng.gauss(0.0, 0.0035)
            level = min(1.17, max(1.08, level))
            rates.append((day, Decimal(f"{level:.4f}")))
        day += timedelta(days=1)
    return rates


class Rates:
    """The dollar's rates by day, last known on a day without one (as ``rates.rate_on``)."""

    def __init__(self, rows: list[tuple[date, Decimal]]) -> None:
        rows = sorted(rows)
        self.days = [day for day, _rate in rows]
        self.values = [rate for _day, rate in rows]

    def on(self, day: date) -> tuple[date, Decimal]:
        index = bisect.bisect_right(self.days, day) - 1
        if index < 0:
            raise LookupError(f"no generated rate on or before {day}")
        return self.days[index], self.values[index]


def to_euros(amount: Money, rate: Decimal) -> Money:
    return convert_by_euro_rates(amount, to="EUR", rates={"USD": rate})


def to_dollars(amount: Money, rate: Decimal) -> Money:
    return convert_by_euro_rates(amount, to="USD", rates={"USD": rate})


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
