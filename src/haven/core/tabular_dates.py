"""Dates as the spreadsheets of the program's locales write them in an uploaded table (pure: no ORM).

One reading for every import: ISO (2026-11-22, or 2026/11/22, with or without a time after it); the United
States' month/day/year, Excel's default there (11/22/2026, 1/5/26); France's day/month/year (22/11/2026, 22.11.2026);
an XLSX serial number (46348, a date cell that lost its format: days since 1899-12-30, the 1900 date system);
and real XLSX date cells, which ``core.tabular`` already turns into ISO.

Month first or day first is decided for a whole column, never value by value: a value that reads only one way
(a part above 12) fixes the order of the column (the more numerous such values win, should a file mix them). When
nothing fixes it and some value reads as two different dates (3/4/2026), the column is ambiguous: those values
are refused, naming their rows, until the person importing says how the file writes dates
(:class:`DateOrder`). 5/5/2026 reads the same either way and is never ambiguous.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .tabular import excerpt


class DateOrder(StrEnum):
    MONTH_FIRST = "month_first"
    DAY_FIRST = "day_first"


ORDER_LABELS: dict[str, Promise] = {
    DateOrder.MONTH_FIRST: _("month/day/year (11/22/2026, as in the United States)"),
    DateOrder.DAY_FIRST: _("day/month/year (22/11/2026, as in France)"),
}

ISO = re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$")
SLASHED = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
)
SERIAL = re.compile(r"^(?P<days>\d{4,6})(?:\.\d+)?$")
# Serial numbers read as dates: 1 January 1950 to 31 December 2199. Smaller numbers are more likely not dates.
EXCEL_EPOCH = date(1899, 12, 30)  # serial 0 once the 1900 date system's missing 29 February 1900 is accounted for
SERIAL_RANGE = ((date(1950, 1, 1) - EXCEL_EPOCH).days, (date(2199, 12, 31) - EXCEL_EPOCH).days)


class DateError(ValueError):
    """A value that is not a date, or not one until the column's order is known."""

    def __init__(self, reason: str, value: str, readings: tuple[date, date] | None = None) -> None:
        super().__init__(reason)
        self.reason, self.value, self.readings = reason, value, readings


UNREADABLE, AMBIGUOUS, AGAINST_ORDER = "unreadable", "ambiguous", "against_order"


@dataclass(frozen=True)
class _Slashed:
    first: int
    second: int
    year: int

    def read(self, order: DateOrder) -> date | None:
        month, day = (self.first, self.second) if order == DateOrder.MONTH_FIRST else (self.second, self.first)
        try:
            return date(self.year, month, day)
        except ValueError:
            return None


def _written(value: str) -> date | _Slashed | None:
    text = value.strip()
    if match := ISO.match(text):
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None
    if match := SLASHED.match(text):
        year = int(match["y"])
        if len(match["y"]) == 2:  # as Excel reads a two-digit year: 00-29 are 2000-2029, 30-99 are 1930-1999
            year += 2000 if year < 30 else 1900
        return _Slashed(int(match["a"]), int(match["b"]), year)
    if (match := SERIAL.match(text)) and SERIAL_RANGE[0] <= int(match["days"]) <= SERIAL_RANGE[1]:
        return EXCEL_EPOCH + timedelta(days=int(match["days"]))
    return None


@dataclass(frozen=True)
class DateColumn:
    """What a column's values say about its order: ``order`` when some value fixes it, else None; ``ambiguous``
    lists the lines whose value reads as two different dates while nothing fixes the order."""

    order: DateOrder | None
    ambiguous: tuple[int, ...]

    @classmethod
    def of(cls, values: Iterable[tuple[int, str]]) -> "DateColumn":
        """``values``: (line, value) of every row."""
        one_way = {DateOrder.MONTH_FIRST: 0, DateOrder.DAY_FIRST: 0}
        two_ways: list[int] = []
        for line, value in values:
            written = _written(value)
            if not isinstance(written, _Slashed):
                continue
            month_first, day_first = written.read(DateOrder.MONTH_FIRST), written.read(DateOrder.DAY_FIRST)
            if month_first and day_first:
                if month_first != day_first:
                    two_ways.append(line)
            elif month_first or day_first:
                one_way[DateOrder.MONTH_FIRST if month_first else DateOrder.DAY_FIRST] += 1
        months, days = one_way[DateOrder.MONTH_FIRST], one_way[DateOrder.DAY_FIRST]
        order = DateOrder.MONTH_FIRST if months > days else DateOrder.DAY_FIRST if days > months else None
        return cls(order, tuple(two_ways) if order is None else ())

    def order_with(self, chosen: str | None) -> DateOrder | None:
        """The order to read the column with: its own, else the one chosen (if it is one)."""
        if self.order is not None:
            return self.order
        return DateOrder(chosen) if chosen in set(DateOrder) else None


def parse_date(value: str, order: DateOrder | None = None) -> date:
    """The date ``value`` writes, reading a month/day or day/month value in ``order``. Raises :class:`DateError`:
    unreadable, ambiguous (two readings and no order) or against the order (it reads only the other way)."""
    written = _written(value)
    if written is None:
        raise DateError(UNREADABLE, value)
    if isinstance(written, date):
        return written
    month_first, day_first = written.read(DateOrder.MONTH_FIRST), written.read(DateOrder.DAY_FIRST)
    if order is None:
        if month_first and day_first and month_first != day_first:
            raise DateError(AMBIGUOUS, value, (month_first, day_first))
        found = month_first or day_first
    else:
        found = month_first if order == DateOrder.MONTH_FIRST else day_first
        if found is None and (month_first or day_first):
            raise DateError(AGAINST_ORDER, value)
    if found is None:
        raise DateError(UNREADABLE, value)
    return found


def describe(error: DateError) -> str:
    """What to tell the person importing about a value :func:`parse_date` refused."""
    value = excerpt(error.value)
    if error.reason == AMBIGUOUS and error.readings:
        first, second = (date_format(day, "DATE_FORMAT") for day in error.readings)
        return gettext("“%(value)s” could be %(first)s or %(second)s: say how this file writes its dates.") % {
            "value": value,
            "first": first,
            "second": second,
        }
    if error.reason == AGAINST_ORDER:
        return gettext("“%(value)s” is not written in the order of the file's other dates.") % {"value": value}
    return gettext("“%(value)s” is not a date: write dates as 2026-11-22, 11/22/2026 or 22/11/2026.") % {"value": value}
