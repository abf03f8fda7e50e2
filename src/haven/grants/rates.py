"""The euro reference rate of a day: the ECB's, or on a day without one (a weekend, a TARGET closing day, a day not
yet published) the last one published before it, with its own date kept beside the day asked for (money.md)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from haven.core.money import Money, convert_by_euro_rates

from .models import EuroRate


class NoRate(LookupError):
    """No rate of the currency was published on or before the day."""


@dataclass(frozen=True)
class Rate:
    currency: str
    asked_on: date
    on: date  # the day the ECB published it: ``asked_on`` or the last working day before it
    rate: Decimal  # units of ``currency`` per euro


def rate_on(currency: str, day: date) -> Rate:
    if currency == "EUR":
        return Rate("EUR", day, day, Decimal(1))
    found = EuroRate.objects.filter(currency=currency, on__lte=day).order_by("-on").values_list("on", "rate").first()
    if found is None:
        raise NoRate(f"no euro reference rate for {currency} on or before {day}")
    return Rate(currency, day, found[0], found[1])


def convert_on(amount: Money, *, to: str, day: date) -> tuple[Money, Rate]:
    """``amount`` in ``to`` with the euro reference rates of ``day`` (last known), and the rate used: the rate of
    the currency that is not the euro (for a cross of two others, the target's)."""
    if amount.currency == to:
        return amount, Rate(to, day, day, Decimal(1))
    used = [rate_on(currency, day) for currency in sorted({amount.currency, to} - {"EUR"})]
    rates = {rate.currency: rate.rate for rate in used}
    shown = next((rate for rate in used if rate.currency == to), used[0])
    return convert_by_euro_rates(amount, to=to, rates=rates), shown
