"""The ECB's euro foreign exchange reference rates, read from the files the ECB publishes (pure: no ORM).

Four formats, told apart by their content, never by their name (money.md):

- the history ``eurofxref-hist.csv``: header ``Date,USD,JPY,...,ZAR,`` (a trailing comma: an empty last column),
  one row per working day, newest first, ``YYYY-MM-DD`` dates, ``N/A`` where a currency had no rate;
- the daily ``eurofxref.csv``: the same with one row, spaces after the commas and the date written
  ``28 November 2025``;
- either of them inside the ECB's zip (``eurofxref-hist.zip``, ``eurofxref.zip``);
- the daily XML ``eurofxref-daily.xml`` (and the history XML, same shape): a gesmes envelope holding
  ``<Cube time="2025-11-28"><Cube currency="USD" rate="1.1590"/>...</Cube>``.

Reading is bounded like ``core.tabular``: at most ``MAX_BYTES`` of text (a zip's member is checked before a byte is
inflated), ``MAX_DAYS`` days (30 years of calendar days) and ``MAX_CURRENCIES`` columns; an XML file declaring a
document type or an entity is refused before it is parsed. Rates are ``Decimal`` as written, never floats.

The TARGET calendar (``target_closed``) says which days the ECB publishes no rate: Saturdays, Sundays, 1 January,
Good Friday, Easter Monday, 1 May, 25 and 26 December.
"""

import csv
import io
import random
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO
from xml.etree import ElementTree

from django.utils.translation import gettext as _

MAX_BYTES = 32 * 2**20  # of text once inflated: the whole history since 1999 is about 2 MB as CSV, 9 MB as XML
MAX_DAYS = 30 * 366  # rows: 30 years of calendar days
MAX_CURRENCIES = 100  # columns: the ECB has published 41 currencies since 1999
MAX_MEMBERS = 16  # entries of a zip archive (the ECB's hold one)
MAX_PLACES = 6  # decimal places of a rate (EuroRate.rate); the ECB writes at most 4 significant decimals
MAX_RATE = Decimal(10) ** 12  # EuroRate.rate holds 12 digits before the point

CURRENCY = re.compile(r"[A-Z]{3}")
MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}


class EcbError(ValueError):
    """The file cannot be read as the ECB's reference rates; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class Fixing:
    """The rates of one day: 1 EUR = ``rates[c]`` units of ``c``. A currency without a rate that day is absent."""

    on: date
    rates: dict[str, Decimal] = field(hash=False)


# -- Reading ------------------------------------------------------------------------------------------------------


def read(stream: IO[bytes]) -> list[Fixing]:
    """The fixings in a file of any of the ECB's formats, oldest first. Refused (``EcbError``) when the file is not
    one, is too large, or holds a day twice or a rate that is not a positive decimal."""
    start = stream.read(4)
    stream.seek(0)
    data = _unzip(stream) if start.startswith(b"PK\x03\x04") else _bounded(stream)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EcbError(_("The file is not UTF-8 text: it is not one of the ECB's rate files.")) from None
    if "\x00" in text:
        raise EcbError(_("The file holds a NUL character: it is not one of the ECB's rate files."))
    fixings = _read_xml(data, text) if text.lstrip().startswith("<") else _read_csv(text)
    if not fixings:
        raise EcbError(_("The file holds no day of rates."))
    days = [fixing.on for fixing in fixings]
    if len(set(days)) != len(days):
        twice = next(day for day in days if days.count(day) > 1)
        raise EcbError(_("The file gives the rates of %(day)s twice.") % {"day": twice.isoformat()})
    return sorted(fixings, key=lambda fixing: fixing.on)


def _too_large() -> EcbError:
    return EcbError(
        _("The file holds more than %(limit)s MB of text: it is not one of the ECB's rate files.")
        % {"limit": MAX_BYTES // 2**20}
    )


def _bounded(stream: IO[bytes]) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    return data


def _unzip(stream: IO[bytes]) -> bytes:
    """The one CSV or XML file in a zip archive, once the archive's directory and the member's declared sizes are
    checked (zipfile never inflates beyond the declared size: data past it fails the checksum)."""
    _check_directory(stream)
    unreadable = EcbError(_("The zip archive cannot be read."))
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise unreadable from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) != 1:
            raise EcbError(_("The zip archive holds %(count)s files; the ECB's holds one.") % {"count": len(members)})
        info = members[0]
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise unreadable  # encrypted, or compressed as the ECB does not (bzip2 and lzma inflate without a bound)
        if info.file_size > MAX_BYTES:
            raise _too_large()
        try:
            with archive.open(info) as member:
                return _bounded(member)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise unreadable from None


def _check_directory(stream: IO[bytes]) -> None:
    """Refuse a zip archive with more entries than the ECB's before zipfile reads its directory whole."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - 65_557))  # the end record and the longest comment after it
    tail = stream.read()
    stream.seek(0)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        raise EcbError(_("The zip archive cannot be read."))
    entries = int.from_bytes(tail[end + 10 : end + 12], "little")
    zip64 = end >= 20 and tail[end - 20 : end - 16] == b"PK\x06\x07"
    if zip64 or entries > MAX_MEMBERS:
        raise EcbError(_("The zip archive holds more files than the ECB's: it is not read."))


def _read_csv(text: str) -> list[Fixing]:
    """The history (``Date,USD,...,``, ISO dates) or the daily file (``Date, USD, ...``, ``28 November 2025``)."""
    rows = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    fixings: list[Fixing] = []
    try:
        header = next(rows, None)
        if header is None or not header or header[0].strip().lower() != "date":
            raise EcbError(_("The file's first column is not “Date”: it is not one of the ECB's rate files."))
        currencies = _header_currencies(header)
        for line, row in enumerate(rows, start=2):
            values = [value.strip() for value in row]
            if not any(values):
                continue
            if len(fixings) == MAX_DAYS:
                raise EcbError(
                    _("The file holds more than %(limit)s days (row %(row)s is one too many).")
                    % {"limit": MAX_DAYS, "row": line}
                )
            if any(values[len(currencies) + 1 :]):
                raise EcbError(_("Row %(row)s has more values than the header has currencies.") % {"row": line})
            on = _day(values[0], line)
            rates = {}
            for currency, value in zip(currencies, values[1:], strict=False):
                if currency and (rate := _rate(value, line, currency)) is not None:
                    rates[currency] = rate
            fixings.append(Fixing(on, rates))
    except csv.Error:
        raise EcbError(_("The file is not a readable CSV file.")) from None
    return fixings


def _header_currencies(header: list[str]) -> list[str]:
    """The header's currency codes, in order; "" for the empty column after the trailing comma."""
    currencies = [value.strip().upper() for value in header[1:]]
    while currencies and not currencies[-1]:
        currencies.pop()
    if not currencies:
        raise EcbError(_("The header names no currency."))
    if len(currencies) > MAX_CURRENCIES:
        raise EcbError(_("The header names more than %(limit)s currencies.") % {"limit": MAX_CURRENCIES})
    for currency in currencies:
        if not CURRENCY.fullmatch(currency):
            raise EcbError(
                _("The header's “%(value)s” is not a currency code (three letters).") % {"value": currency[:20]}
            )
    if len(set(currencies)) != len(currencies):
        raise EcbError(_("The header names a currency twice."))
    return currencies


def _day(value: str, line: int) -> date:
    """``2025-11-28`` (the history) or ``28 November 2025`` (the daily file), in English whatever the locale."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        parts = value.split()
        if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit() and parts[1].lower() in MONTHS:
            return date(int(parts[2]), MONTHS[parts[1].lower()], int(parts[0]))
    except ValueError:
        pass
    raise EcbError(
        _("Row %(row)s: “%(value)s” is not a date (YYYY-MM-DD or “28 November 2025”).")
        % {"row": line, "value": value[:40]}
    )


def _rate(value: str, line: int | str, currency: str) -> Decimal | None:
    """A rate as written, or None for ``N/A`` or an empty cell (no rate that day)."""
    if not value or value.upper() == "N/A":
        return None
    try:
        rate = Decimal(value) if re.fullmatch(r"\d{1,13}(\.\d{1,20})?", value) else None
    except InvalidOperation:
        rate = None
    if rate is None or rate <= 0 or rate >= MAX_RATE or _places(rate) > MAX_PLACES:
        raise EcbError(
            _(
                "%(where)s: the rate of %(currency)s, “%(value)s”, is not a positive decimal of at most "
                "%(places)s places."
            )
            % {"where": _where(line), "currency": currency, "value": value[:40], "places": MAX_PLACES}
        )
    return rate


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else MAX_PLACES + 1


def _where(line: int | str) -> str:
    return _("Row %(row)s") % {"row": line} if isinstance(line, int) else str(line)


def _read_xml(data: bytes, text: str) -> list[Fixing]:
    """The gesmes envelope: every ``Cube`` with a ``time`` holds a ``Cube`` per currency with its ``rate``. A
    document type or an entity (the way to entity expansion and external entities) is refused before parsing."""
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise EcbError(_("The XML file declares a document type or an entity: the ECB's never does. It is not read."))
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - no DTD and no entity can reach the parser (checked above)
    except ElementTree.ParseError:
        raise EcbError(_("The XML file is malformed.")) from None
    fixings: list[Fixing] = []
    for day in root.iter():
        if _local(day.tag) != "Cube" or "time" not in day.attrib:
            continue
        if len(fixings) == MAX_DAYS:
            raise EcbError(_("The file holds more than %(limit)s days.") % {"limit": MAX_DAYS})
        value = day.attrib["time"].strip()
        try:
            on = date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
        except ValueError:
            on = None
        if on is None:
            raise EcbError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value[:40]})
        rates: dict[str, Decimal] = {}
        for cube in day:
            currency = cube.attrib.get("currency", "").strip().upper()
            if _local(cube.tag) != "Cube" or not currency:
                continue
            if not CURRENCY.fullmatch(currency):
                raise EcbError(_("“%(value)s” is not a currency code (three letters).") % {"value": currency[:20]})
            if currency in rates:
                raise EcbError(_("%(day)s gives the rate of %(currency)s twice.") % {"day": on, "currency": currency})
            if len(rates) == MAX_CURRENCIES:
                raise EcbError(_("%(day)s has more than %(limit)s currencies.") % {"day": on, "limit": MAX_CURRENCIES})
            rate = _rate(cube.attrib.get("rate", "").strip(), on.isoformat(), currency)
            if rate is not None:
                rates[currency] = rate
        fixings.append(Fixing(on, rates))
    return fixings


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# -- The TARGET calendar ------------------------------------------------------------------------------------------


def easter(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def target_closed(day: date) -> bool:
    """Whether TARGET is closed on ``day``, so that the ECB publishes no reference rate."""
    return closing(day) is not None


def closing(day: date) -> str | None:
    """Why TARGET is closed on ``day`` ("Saturday", "Good Friday"...), or None on a working day."""
    if day.weekday() == 5:
        return _("Saturday")
    if day.weekday() == 6:
        return _("Sunday")
    fixed = {(1, 1): _("New Year's Day"), (5, 1): _("1 May"), (12, 25): _("Christmas Day"), (12, 26): _("26 December")}
    if (day.month, day.day) in fixed:
        return fixed[(day.month, day.day)]
    sunday = easter(day.year)
    if day == sunday - timedelta(days=2):
        return _("Good Friday")
    if day == sunday + timedelta(days=1):
        return _("Easter Monday")
    return None


def working_days(first: date, last: date) -> Iterable[date]:
    """The days from ``first`` to ``last`` (both included) TARGET is open."""
    day = first
    while day <= last:
        if not target_closed(day):
            yield day
        day += timedelta(days=1)


# -- Synthetic rates for the demo -----------------------------------------------------------------------------------

# Where each synthetic currency walks (1 EUR = low..high units, in units of its last decimal place), its largest
# daily step in those units and its decimal places: close to the ECB's rates of 2023-2025.
SYNTHETIC: dict[str, tuple[int, int, int, int]] = {
    "USD": (10_800, 11_700, 60, 4),
    "GBP": (8_300, 8_800, 30, 4),
    "CHF": (9_200, 9_800, 40, 4),
    "JPY": (15_500, 17_500, 90, 2),
}


def synthetic_history(start: date, end: date, seed: int) -> list[Fixing]:
    """Plausible reference rates from ``start`` to ``end`` (oldest first), the same for the same seed: for each
    currency of ``SYNTHETIC`` a random walk kept within its range (USD between 1.0800 and 1.1700, four decimals),
    on every day TARGET is open and on no other. For the demo and tests, never for a real payment."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not a secret
    levels = {currency: rng.randint(low, high) for currency, (low, high, _step, _places) in SYNTHETIC.items()}
    fixings = []
    for day in working_days(start, end):
        rates = {}
        for currency, (low, high, step, places) in SYNTHETIC.items():
            level = levels[currency] + rng.randint(-step, step)
            if not low <= level <= high:  # reflected at the edges of the range
                level = 2 * (low if level < low else high) - level
            levels[currency] = level
            rates[currency] = Decimal(level).scaleb(-places)
        fixings.append(Fixing(day, rates))
    return fixings


def history_csv(fixings: Iterable[Fixing]) -> str:
    """Fixings written as the ECB writes ``eurofxref-hist.csv``: ``Date,USD,...,`` with its trailing comma, newest
    first, ``N/A`` where a currency has no rate that day."""
    ordered = sorted(fixings, key=lambda fixing: fixing.on, reverse=True)
    currencies = list(dict.fromkeys(currency for fixing in ordered for currency in fixing.rates))
    lines = [",".join(["Date", *currencies, ""])]
    for fixing in ordered:
        values = [str(fixing.rates[c]) if c in fixing.rates else "N/A" for c in currencies]
        lines.append(",".join([fixing.on.isoformat(), *values, ""]))
    return "\n".join(lines) + "\n"
