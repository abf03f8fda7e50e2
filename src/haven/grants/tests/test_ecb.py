"""Reading the ECB's reference rate files (every format it publishes), refusing what is not one, the TARGET calendar
and the synthetic rates of the demo."""

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.grants import ecb

DATA = Path(__file__).parent / "data"


def _read(name: str) -> list[ecb.Fixing]:
    with (DATA / name).open("rb") as stream:
        return ecb.read(stream)


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_history_csv_is_read_oldest_first_without_closing_days_and_without_na() -> None:
    fixings = _read("eurofxref-hist.csv")
    days = [fixing.on for fixing in fixings]
    assert days == sorted(days)
    assert days[0] == date(2025, 4, 14)
    assert days[-1] == date(2025, 5, 6)
    assert len(days) == 14
    assert date(2025, 4, 18) not in days  # Good Friday
    assert date(2025, 4, 21) not in days  # Easter Monday
    assert date(2025, 5, 1) not in days
    thursday = fixings[days.index(date(2025, 4, 17))]
    assert thursday.rates == {
        "USD": Decimal("1.1355"),
        "JPY": Decimal("161.84"),
        "GBP": Decimal("0.85748"),
        "CHF": Decimal("0.9289"),
    }
    assert all(isinstance(rate, Decimal) for fixing in fixings for rate in fixing.rates.values())
    assert "JPY" not in fixings[days.index(date(2025, 5, 2))].rates  # N/A that day
    assert not any({"CYP", "RUB"} & fixing.rates.keys() for fixing in fixings)


def test_the_zip_holds_the_same_history() -> None:
    assert _read("eurofxref-hist.zip") == _read("eurofxref-hist.csv")


def test_daily_csv_zip_and_xml_give_the_same_day() -> None:
    daily = _read("eurofxref.csv")
    assert daily == _read("eurofxref.zip") == _read("eurofxref-daily.xml")
    assert [fixing.on for fixing in daily] == [date(2025, 11, 28)]
    assert len(daily[0].rates) == 30
    assert daily[0].rates["USD"] == Decimal("1.1590")
    assert daily[0].rates["IDR"] == Decimal("19303.53")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "first column"),
        (b"Day,USD\n2025-01-02,1.03\n", "first column"),
        (b"Date,\n2025-01-02,\n", "no currency"),
        (b"Date,US Dollar,\n2025-01-02,1.03,\n", "not a currency code"),
        (b"Date,USD,USD,\n2025-01-02,1.03,1.03,\n", "twice"),
        (b"Date,USD,\n02/01/2025,1.03,\n", "not a date"),
        (b"Date,USD,\n2025-02-30,1.03,\n", "not a date"),
        (b"Date,USD,\n2025-01-02,-1.03,\n", "positive decimal"),
        (b"Date,USD,\n2025-01-02,0,\n", "positive decimal"),
        (b"Date,USD,\n2025-01-02,1e3,\n", "positive decimal"),
        (b"Date,USD,\n2025-01-02,1.0000001,\n", "positive decimal"),
        (b"Date,USD,\n2025-01-02,1.03,5,\n", "more values"),
        (b"Date,USD,\n2025-01-03,1.03,\n2025-01-03,1.04,\n", "twice"),
        (b"Date,USD,\n", "no day"),
        (b"Date,USD,\n2025-01-02,1\x0003,\n", "NUL"),
        (b"Date,USD,\n2025-01-02,\xff,\n", "UTF-8"),
    ],
)
def test_a_csv_that_is_not_the_ecbs_is_refused_with_a_reason(content: bytes, message: str) -> None:
    with pytest.raises(ecb.EcbError, match=message):
        ecb.read(io.BytesIO(content))


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Envelope><Cube><Cube time="2025-11-28"><Cube currency="USD" rate="&lol2;"/></Cube></Cube></Envelope>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!doctype Envelope [<!entity secret SYSTEM "file:///etc/passwd">]>
<Envelope><Cube><Cube time="2025-11-28"><Cube currency="USD" rate="&secret;"/></Cube></Cube></Envelope>"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (LAUGHS, "document type"),
        (EXTERNAL, "document type"),
        # A document type hidden from a search of the text by another encoding, with its BOM or without.
        (LAUGHS.decode().encode("utf-16"), "not UTF-8"),
        (LAUGHS.decode().encode("utf-16-le"), "NUL"),
        (b"<Envelope><Cube><Cube time='2025-11-28'><Cube currency='USD' rate='1.1'/></Cube>", "malformed"),
        (b"<Envelope><Cube time='28/11/2025'><Cube currency='USD' rate='1.1'/></Cube></Envelope>", "not a date"),
        (b"<Envelope><Cube time='2025-11-28'><Cube currency='USD' rate='lots'/></Cube></Envelope>", "positive"),
        (
            b"<Envelope><Cube time='2025-11-28'><Cube currency='USD' rate='1.1'/><Cube currency='USD' rate='1.2'/>"
            b"</Cube></Envelope>",
            "twice",
        ),
        (b"<Envelope><Cube/></Envelope>", "no day"),
    ],
)
def test_an_xml_file_that_is_not_the_ecbs_is_refused_before_any_entity_is_expanded(
    content: bytes, message: str
) -> None:
    with pytest.raises(ecb.EcbError, match=message):
        ecb.read(io.BytesIO(content))


def test_a_zip_with_more_than_one_file_is_refused() -> None:
    archive = _zip({"a.csv": b"Date,USD,\n2025-01-02,1.03,\n", "b.csv": b"Date,USD,\n2025-01-03,1.03,\n"})
    with pytest.raises(ecb.EcbError, match="holds 2 files"):
        ecb.read(archive)


def test_a_zip_with_many_entries_is_refused_before_its_directory_is_read() -> None:
    archive = _zip({f"{n}.csv": b"" for n in range(ecb.MAX_MEMBERS + 1)})
    with pytest.raises(ecb.EcbError, match="more files than the ECB"):
        ecb.read(archive)


def test_a_zip_member_that_would_inflate_beyond_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecb, "MAX_BYTES", 2**20)
    bomb = _zip({"eurofxref-hist.csv": b"Date,USD,\n" + b"0" * (2 * 2**20)})
    assert len(bomb.getvalue()) < 10_000
    with pytest.raises(ecb.EcbError, match="more than 1 MB"):
        ecb.read(bomb)


def test_a_zip_member_that_lies_about_its_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The declared size is small, the data inflates larger: zipfile stops at the declared size and the checksum
    fails, so no more than the bound is ever inflated."""
    content = b"Date,USD,\n2025-01-02,1.03,\n" * 100
    archive = _zip({"eurofxref-hist.csv": content}).getvalue()
    real = len(content).to_bytes(4, "little")
    forged = archive.replace(real, (30).to_bytes(4, "little"))
    assert forged != archive
    with pytest.raises(ecb.EcbError, match="cannot be read"):
        ecb.read(io.BytesIO(forged))


def test_a_file_over_the_byte_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecb, "MAX_BYTES", 100)
    with pytest.raises(ecb.EcbError, match="more than"):
        ecb.read(io.BytesIO(b"Date,USD,\n" + b"2025-01-02,1.03,\n" * 10))


def test_more_days_than_the_bound_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecb, "MAX_DAYS", 5)
    history = ecb.history_csv(ecb.synthetic_history(date(2025, 1, 1), date(2025, 1, 31), seed=1)).encode()
    with pytest.raises(ecb.EcbError, match="more than 5 days"):
        ecb.read(io.BytesIO(history))


@pytest.mark.parametrize(
    ("year", "sunday"),
    [(2000, date(2000, 4, 23)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2038, date(2038, 4, 25))],
)
def test_easter(year: int, sunday: date) -> None:
    assert ecb.easter(year) == sunday


@given(st.integers(min_value=1583, max_value=4099))
def test_easter_is_a_sunday_between_22_march_and_25_april(year: int) -> None:
    sunday = ecb.easter(year)
    assert sunday.weekday() == 6
    assert date(year, 3, 22) <= sunday <= date(year, 4, 25)


def test_target_closing_days_of_2025() -> None:
    april_may = [date(2025, 4, 14) + timedelta(days=n) for n in range(23)]
    assert [day for day in april_may if ecb.target_closed(day) and day.weekday() < 5] == [
        date(2025, 4, 18),
        date(2025, 4, 21),
        date(2025, 5, 1),
    ]
    assert all(ecb.target_closed(date(2025, 12, d)) for d in (25, 26))
    assert ecb.target_closed(date(2026, 1, 1))
    assert not ecb.target_closed(date(2025, 12, 24))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), st.integers(0, 10_000))
def test_synthetic_history_is_plausible_and_only_on_working_days(start: date, seed: int) -> None:
    end = start + timedelta(days=60)
    fixings = ecb.synthetic_history(start, end, seed)
    assert [fixing.on for fixing in fixings] == list(ecb.working_days(start, end))
    for fixing in fixings:
        usd = fixing.rates["USD"]
        assert Decimal("1.08") <= usd <= Decimal("1.17")
        assert usd.as_tuple().exponent == -4
    assert fixings == ecb.synthetic_history(start, end, seed)


def test_synthetic_history_written_as_the_ecb_writes_it_reads_back() -> None:
    fixings = ecb.synthetic_history(date(2024, 12, 20), date(2025, 1, 10), seed=7)
    written = ecb.history_csv(fixings)
    assert written.splitlines()[0] == "Date,USD,GBP,CHF,JPY,"
    assert written.splitlines()[1].startswith("2025-01-10,")
    assert ecb.read(io.BytesIO(written.encode())) == fixings
