"""The days a program does not train: weekends, holidays by their rules, and the days its admins add or open (pure).

Holidays are data: a table of rules, each a fixed date (moved to the Friday before when it falls on a Saturday, to
the Monday after on a Sunday, as 5 U.S.C. 6103(b) observes federal holidays) or the nth weekday of a month (the
last when nth is -1). The default table is the United States' federal holidays; a program's own calendar adds
closed days and opens holidays it works on (:class:`Calendar`).
"""

import calendar
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MONDAY, THURSDAY, SATURDAY, SUNDAY = 0, 3, 5, 6


@dataclass(frozen=True)
class HolidayRule:
    key: str
    name: str | Promise = field(compare=False)  # the key says which rule it is, in every language
    month: int
    day: int | None = None  # a fixed date, observed on the nearest weekday when it falls on a weekend
    weekday: int | None = None  # or the nth weekday of the month (Monday is 0)
    nth: int = 1  # 1 to 4, or -1 for the last
    since: int = 1  # the first year it is kept

    def on(self, year: int) -> date:
        """The day it is observed in ``year`` (a fixed date's observed day may fall in the year before)."""
        if self.day is not None:
            actual = date(year, self.month, self.day)
            if actual.weekday() == SATURDAY:
                return actual - timedelta(days=1)
            if actual.weekday() == SUNDAY:
                return actual + timedelta(days=1)
            return actual
        if self.weekday is None:
            raise ValueError(f"{self.key}: a rule has a day or a weekday")
        weeks = calendar.monthcalendar(year, self.month)
        days = [week[self.weekday] for week in weeks if week[self.weekday]]
        return date(year, self.month, days[self.nth - 1 if self.nth > 0 else self.nth])


# The federal holidays (5 U.S.C. 6103(a)).
US_FEDERAL_HOLIDAYS: tuple[HolidayRule, ...] = (
    HolidayRule("new_years_day", _("New Year's Day"), 1, day=1),
    HolidayRule("king_birthday", _("Birthday of Martin Luther King, Jr."), 1, weekday=MONDAY, nth=3, since=1986),
    HolidayRule("washington_birthday", _("Washington's Birthday"), 2, weekday=MONDAY, nth=3),
    HolidayRule("memorial_day", _("Memorial Day"), 5, weekday=MONDAY, nth=-1),
    HolidayRule("juneteenth", _("Juneteenth National Independence Day"), 6, day=19, since=2021),
    HolidayRule("independence_day", _("Independence Day"), 7, day=4),
    HolidayRule("labor_day", _("Labor Day"), 9, weekday=MONDAY, nth=1),
    HolidayRule("columbus_day", _("Columbus Day"), 10, weekday=MONDAY, nth=2),
    HolidayRule("veterans_day", _("Veterans Day"), 11, day=11),
    HolidayRule("thanksgiving_day", _("Thanksgiving Day"), 11, weekday=THURSDAY, nth=4),
    HolidayRule("christmas_day", _("Christmas Day"), 12, day=25),
)


@functools.cache
def holidays(year: int, rules: tuple[HolidayRule, ...] = US_FEDERAL_HOLIDAYS) -> dict[date, HolidayRule]:
    """The holidays observed in ``year``, by day: New Year's Day of the next year is observed on 31 December when
    it falls on a Saturday."""
    found = {}
    for kept_in in (year, year + 1):
        for rule in rules:
            if kept_in >= rule.since and (day := rule.on(kept_in)).year == year:
                found[day] = rule
    return dict(sorted(found.items()))


def is_weekend(day: date) -> bool:
    return day.weekday() >= SATURDAY


@dataclass(frozen=True)
class Calendar:
    """A program's closed days: weekends, the holidays of its rules but those it opened, and the days it added
    (with what they are)."""

    added: Mapping[date, str] = field(default_factory=dict)
    opened: frozenset[date] = frozenset()
    rules: tuple[HolidayRule, ...] = US_FEDERAL_HOLIDAYS

    def holiday(self, day: date) -> HolidayRule | None:
        return holidays(day.year, self.rules).get(day)

    def is_open(self, day: date) -> bool:
        if is_weekend(day) or day in self.added:
            return False
        return day in self.opened or self.holiday(day) is None

    def next_open(self, day: date) -> date:
        """``day`` if it is open, else the first open day after it."""
        while not self.is_open(day):
            day += timedelta(days=1)
        return day

    def closed_between(self, first: date, last: date) -> Iterator[tuple[date, str | Promise]]:
        """The weekdays closed from ``first`` to ``last``, with their names (weekends are left out)."""
        for year in range(first.year, last.year + 1):
            days = {d: rule.name for d, rule in holidays(year, self.rules).items() if d not in self.opened}
            days.update({d: name for d, name in self.added.items() if d.year == year})
            for day, name in sorted(days.items()):
                if first <= day <= last and not is_weekend(day):
                    yield day, name
