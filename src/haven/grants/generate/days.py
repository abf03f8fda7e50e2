"""The generator's exchange rates: a synthetic history of the dollar's euro reference rate (``ecb``, which also
knows the TARGET closing days), the last known rate of a day, and conversions at a rate."""

import bisect
import zlib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from haven.core.money import Money, convert_by_euro_rates

from .. import ecb


def synthetic_usd_rates(start: date, end: date, seed: str) -> list[tuple[date, Decimal]]:
    """The dollar's euro reference rates of ``ecb.synthetic_history`` (a random walk between 1.08 and 1.17, four
    decimals, one rate per TARGET working day), for the seed written as the generator writes its seeds."""
    number = zlib.crc32(seed.encode())
    return [(fixing.on, fixing.rates["USD"]) for fixing in ecb.synthetic_history(start, end, number)]


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
