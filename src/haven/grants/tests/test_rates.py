"""The rate a conversion uses on a day, with the ECB's own history around Easter 2025 imported: the last one
published on or before the day, with its own date kept and shown."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from haven.accounts.models import User
from haven.core.money import Money
from haven.grants import rates, selectors, services

DATA = Path(__file__).parent / "data"
THURSDAY = date(2025, 4, 17)
GOOD_FRIDAY = date(2025, 4, 18)
EASTER_MONDAY = date(2025, 4, 21)


@pytest.fixture
def history(db: None, program_admin: User) -> None:
    with (DATA / "eurofxref-hist.csv").open("rb") as file:
        services.rates_import(actor=program_admin, file=file)


@pytest.mark.parametrize("day", [GOOD_FRIDAY, date(2025, 4, 19), date(2025, 4, 20), EASTER_MONDAY])
def test_good_friday_to_easter_monday_convert_with_thursdays_rate(history: None, day: date) -> None:
    rate = rates.rate_on("USD", day)
    assert (rate.on, rate.asked_on, rate.rate) == (THURSDAY, day, Decimal("1.1355"))
    converted, used = rates.convert_on(Money.of("1000.00", "USD"), to="EUR", day=day)
    assert converted == Money.of("880.67", "EUR")  # 1000 / 1.1355 = 880.669..., rounded once
    assert used.on == THURSDAY


def test_the_lookup_says_which_day_and_why(history: None) -> None:
    answer = selectors.rate_answer("USD", GOOD_FRIDAY)
    assert answer.rate is not None
    assert (answer.rate.on, answer.rate.rate, answer.closing) == (THURSDAY, Decimal("1.1355"), "Good Friday")
    assert selectors.rate_answer("USD", EASTER_MONDAY).closing == "Easter Monday"
    assert selectors.rate_answer("USD", date(2025, 5, 1)).closing == "1 May"
    on_the_day = selectors.rate_answer("USD", THURSDAY)
    assert on_the_day.rate is not None
    assert (on_the_day.rate.on, on_the_day.closing) == (THURSDAY, None)


def test_a_weekend_converts_with_fridays_rate(history: None) -> None:
    for day in (date(2025, 4, 26), date(2025, 4, 27)):
        rate = rates.rate_on("USD", day)
        assert (rate.on, rate.rate) == (date(2025, 4, 25), Decimal("1.1373"))


def test_1_may_converts_with_30_aprils_rate(history: None) -> None:
    assert rates.rate_on("USD", date(2025, 5, 1)).on == date(2025, 4, 30)


def test_a_currency_marked_na_uses_the_day_before(history: None) -> None:
    rate = rates.rate_on("JPY", date(2025, 5, 2))  # N/A that day in the file
    assert (rate.on, rate.rate) == (date(2025, 4, 30), Decimal("162.01"))


def test_a_day_before_the_first_rate_has_none(history: None) -> None:
    with pytest.raises(rates.NoRate):
        rates.rate_on("USD", date(2025, 4, 13))
    with pytest.raises(rates.NoRate):
        rates.convert_on(Money.of("1", "USD"), to="EUR", day=date(2025, 4, 11))
    answer = selectors.rate_answer("USD", date(2025, 4, 13))
    assert answer.rate is None


def test_a_retired_currency_has_no_rate_at_all(history: None) -> None:
    with pytest.raises(rates.NoRate):
        rates.rate_on("CYP", date(2025, 5, 6))
