"""Dates written as the program's spreadsheets write them read back as themselves; a column is ambiguous exactly
when some value reads as two dates and no value says which order the column uses."""

import io
from collections.abc import Callable
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from haven.core.tabular import read_table
from haven.core.tabular_dates import (
    AGAINST_ORDER,
    AMBIGUOUS,
    UNREADABLE,
    DateColumn,
    DateError,
    DateOrder,
    parse_date,
)

MONTH_FIRST, DAY_FIRST = DateOrder.MONTH_FIRST, DateOrder.DAY_FIRST
days = st.dates(date(1950, 1, 1), date(2199, 12, 31))
# Two-digit years are read as Excel reads them: 1930 to 2029.
short_year_days = st.dates(date(1930, 1, 1), date(2029, 12, 31))

# How each format writes a date, and the order it is read back in.
WRITERS: dict[str, tuple[Callable[[date], str], DateOrder | None]] = {
    "iso": (lambda d: d.isoformat(), None),
    "iso with a time": (lambda d: f"{d.isoformat()} 00:00:00", None),
    "iso timestamp": (lambda d: f"{d.isoformat()}T13:45:00Z", None),
    "us, Excel's default": (lambda d: f"{d.month}/{d.day}/{d.year}", MONTH_FIRST),
    "us, padded": (lambda d: f"{d.month:02}/{d.day:02}/{d.year}", MONTH_FIRST),
    "us with a time": (lambda d: f"{d.month}/{d.day}/{d.year} 0:00", MONTH_FIRST),
    "french": (lambda d: f"{d.day:02}/{d.month:02}/{d.year}", DAY_FIRST),
    "french, dots": (lambda d: f"{d.day}.{d.month}.{d.year}", DAY_FIRST),
    "xlsx serial": (lambda d: str((d - date(1899, 12, 30)).days), None),
    "xlsx serial with a time": (lambda d: f"{(d - date(1899, 12, 30)).days}.5", None),
}
SHORT_YEAR_WRITERS: dict[str, tuple[Callable[[date], str], DateOrder]] = {
    "us, two-digit year": (lambda d: f"{d.month}/{d.day}/{d.year % 100:02}", MONTH_FIRST),
    "french, two-digit year": (lambda d: f"{d.day:02}/{d.month:02}/{d.year % 100:02}", DAY_FIRST),
}


@pytest.mark.parametrize("form", sorted(WRITERS))
@given(day=days)
def test_a_date_written_in_each_format_reads_back_as_itself(form: str, day: date) -> None:
    write, order = WRITERS[form]
    assert parse_date(write(day), order) == day
    # Read as its column would read it: alone in a column, it fixes the order or reads the same either way.
    column = DateColumn.of([(2, write(day))])
    assert parse_date(write(day), column.order_with(order)) == day


@pytest.mark.parametrize("form", sorted(SHORT_YEAR_WRITERS))
@given(day=short_year_days)
def test_two_digit_years_read_as_excel_reads_them(form: str, day: date) -> None:
    write, order = SHORT_YEAR_WRITERS[form]
    assert parse_date(write(day), order) == day


def test_excel_us_default_and_french_dates_read_as_written() -> None:
    assert parse_date("11/22/2026", DateColumn.of([(2, "11/22/2026")]).order) == date(2026, 11, 22)
    assert parse_date("22/11/2026", DateColumn.of([(2, "22/11/2026")]).order) == date(2026, 11, 22)
    assert parse_date("46348") == date(2026, 11, 22)


@given(day=days)
def test_real_xlsx_date_cells_read_back_as_themselves(day: date) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["email", "completed_on", "at"])
    at = datetime(day.year, day.month, day.day, 9, 30)  # noqa: DTZ001 -- a spreadsheet's cell has no time zone
    sheet.append(["a@example.org", day, at])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    table = read_table(buffer)
    assert [parse_date(value) for value in table.rows[0][1][1:]] == [day, day]


@st.composite
def columns(draw: st.DrawFn) -> tuple[DateOrder, list[date]]:
    order = draw(st.sampled_from([MONTH_FIRST, DAY_FIRST]))
    return order, draw(st.lists(days, min_size=1, max_size=30))


def _write(order: DateOrder, day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}" if order == MONTH_FIRST else f"{day.day}/{day.month}/{day.year}"


@given(column=columns())
def test_a_column_is_ambiguous_exactly_when_nothing_fixes_its_order_and_some_value_reads_two_ways(
    column: tuple[DateOrder, list[date]],
) -> None:
    order, dates = column
    rows = [(line, _write(order, day)) for line, day in enumerate(dates, start=2)]
    found = DateColumn.of(rows)
    fixed = any(day.day > 12 for day in dates)  # a day above 12 cannot be a month: the order shows
    two_ways = [line for line, day in enumerate(dates, start=2) if day.day <= 12 and day.day != day.month]
    if fixed:
        assert (found.order, found.ambiguous) == (order, ())
    else:
        assert found.order is None
        assert found.ambiguous == tuple(two_ways)
    # With the column's order, or the order the person chose when it had none, every value reads back.
    chosen = found.order_with(order)
    assert [parse_date(value, chosen) for _line, value in rows] == dates
    # Without a choice, the ambiguous values, and only they, are refused as such.
    refused = []
    for line, value in rows:
        try:
            parse_date(value, found.order)
        except DateError as error:
            assert error.reason == AMBIGUOUS
            refused.append(line)
    assert refused == list(found.ambiguous)


def test_a_value_against_the_columns_order_and_a_non_date_are_refused() -> None:
    rows = [(2, "11/22/2026"), (3, "23/11/2026"), (4, "12/24/2026")]
    column = DateColumn.of(rows)
    assert column.order == MONTH_FIRST  # two values read only month first, one only day first
    with pytest.raises(DateError) as refused:
        parse_date("23/11/2026", column.order)
    assert refused.value.reason == AGAINST_ORDER
    for value in ("2026-02-30", "13/13/2026", "next week", "", "12", "2026"):
        with pytest.raises(DateError) as refused:
            parse_date(value, column.order)
        assert refused.value.reason == UNREADABLE, value
