"""Amounts of money: whole minor units of one currency, never floats (decision 26).

An amount is an ``int`` of the currency's minor units (cents for USD and EUR, yen for JPY) carried with its currency
code: a ``Money``. Adding or comparing two amounts of different currencies raises; converting is explicit
(``convert``), with the rate, the rounding rule and the direction named. Splitting an amount into parts
(``allocate``) floors each share in minor units and hands the units left over one at a time to the largest
remainders, so the parts always sum to the whole: no cent is created or lost.

The exponents are ISO 4217's for the currencies the ECB publishes a euro reference rate for, plus the euro.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units (the number of decimal places) of the euro and of every currency in the ECB's reference
# rates, past and present. Most have two; the yen, the Icelandic krona and the won have none.
MINOR_UNITS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "JPY": 0,
    "BGN": 2,
    "CYP": 2,
    "CZK": 2,
    "DKK": 2,
    "EEK": 2,
    "GBP": 2,
    "HUF": 2,
    "LTL": 2,
    "LVL": 2,
    "MTL": 2,
    "PLN": 2,
    "ROL": 2,
    "RON": 2,
    "SEK": 2,
    "SIT": 2,
    "SKK": 2,
    "CHF": 2,
    "ISK": 0,
    "NOK": 2,
    "HRK": 2,
    "RUB": 2,
    "TRL": 0,
    "TRY": 2,
    "AUD": 2,
    "BRL": 2,
    "CAD": 2,
    "CNY": 2,
    "HKD": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "KRW": 0,
    "MXN": 2,
    "MYR": 2,
    "NZD": 2,
    "PHP": 2,
    "SGD": 2,
    "THB": 2,
    "ZAR": 2,
}

# The currencies a fund or a grant may be held in: the program's (US dollars) and its funder's (euros).
HELD = ("USD", "EUR")

# How a converted amount is rounded to the minor unit, named wherever a conversion is shown: half up ("commercial"),
# the rule a reader checking a figure by hand expects. Python's own default, half even, is kept for nothing.
ROUNDING = ROUND_HALF_UP
ROUNDING_NAME = "half up"


class CurrencyMismatch(ValueError):
    """Two amounts of different currencies were added, subtracted or compared."""


def exponent(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


@dataclass(frozen=True, order=False, slots=True)
class Money:
    """``minor`` units of ``currency``: ``Money(123456, "USD")`` is $1,234.56."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError(f"an amount is a whole number of minor units, not {type(self.minor).__name__}")
        exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Money:
        """An amount written in major units (``"1234.56"``), which must not have more places than the currency."""
        if isinstance(amount, float):
            raise TypeError("amounts are never floats: pass a Decimal or a string")
        value = Decimal(amount)
        places = exponent(currency)
        minor = value.scaleb(places)
        if minor != minor.to_integral_value():
            raise ValueError(f"{amount} has more than {places} decimal places for {currency}")
        return cls(int(minor), currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exactly (``Decimal("1234.56")``)."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other).minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"


def total(amounts: Sequence[Money], currency: str) -> Money:
    """The sum of amounts that must all be in ``currency`` (an empty sum is zero of it)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def convert(amount: Money, *, to: str, rate: Decimal, rounding: str = ROUNDING) -> Money:
    """``amount`` in ``to`` at ``rate`` units of ``to`` per unit of ``amount.currency``, rounded once to ``to``'s
    minor unit. With the ECB's rates (1 EUR = x USD), prefer ``convert_by_euro_rates``, which divides exactly."""
    if not isinstance(rate, Decimal) or rate <= 0:
        raise ValueError("a rate is a positive Decimal")
    value = (amount.amount * rate).quantize(Decimal(1).scaleb(-exponent(to)), rounding=rounding)
    return Money(int(value.scaleb(exponent(to))), to)


def convert_by_euro_rates(amount: Money, *, to: str, rates: dict[str, Decimal], rounding: str = ROUNDING) -> Money:
    """Convert with euro reference rates (``rates[c]`` units of ``c`` per euro; the euro's own is 1): A to B is
    amount * rate(B) / rate(A), computed exactly in decimals and rounded once."""
    if amount.currency == to:
        return amount
    source = Decimal(1) if amount.currency == "EUR" else rates[amount.currency]
    target = Decimal(1) if to == "EUR" else rates[to]
    if source <= 0 or target <= 0:
        raise ValueError("a rate is a positive Decimal")
    exact = amount.amount * target / source
    value = exact.quantize(Decimal(1).scaleb(-exponent(to)), rounding=rounding)
    return Money(int(value.scaleb(exponent(to))), to)


def allocate(amount: Money, weights: Sequence[int | Decimal]) -> list[Money]:
    """Split ``amount`` in proportion to ``weights``: each part is floored in minor units, and the units left over go
    one at a time to the parts with the largest remainders (the earliest first on a tie), so the parts sum to
    ``amount`` exactly. A negative amount is split like its opposite."""
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights are never negative")
    whole = sum(weights, Decimal(0))
    if whole == 0:
        raise ValueError("the weights sum to zero")
    sign = -1 if amount.minor < 0 else 1
    units = abs(amount.minor)
    exact = [Decimal(units) * Decimal(weight) / whole for weight in weights]
    parts = [int(share) for share in exact]  # floor: the shares are never negative
    left = units - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda index: (-(exact[index] - parts[index]), index))
    for index in by_remainder[:left]:
        parts[index] += 1
    return [Money(sign * part, amount.currency) for part in parts]


def format_money(amount: Money, *, language: str) -> str:
    """An amount as a reader of ``language`` writes it, every minor unit shown: "$1,234.56" and "€1,234.56" in
    English, "1 234,56 $ US" and "1 234,56 €" in French. A negative amount has its minus sign first."""
    places = exponent(amount.currency)
    digits = f"{abs(amount.amount):,.{places}f}"
    sign = "-" if amount.minor < 0 else ""
    if language.startswith("fr"):
        digits = digits.replace(",", "\u202f").replace(".", ",")
        return f"{sign}{digits}\u00a0{FRENCH_SYMBOLS.get(amount.currency, amount.currency)}"
    symbol = ENGLISH_SYMBOLS.get(amount.currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits}\u00a0{amount.currency}"


ENGLISH_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
FRENCH_SYMBOLS = {"USD": "$\u00a0US", "EUR": "€", "GBP": "£\u00a0GB", "JPY": "¥"}
