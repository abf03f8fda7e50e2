"""Reads of the money pillar. Balances come from the ledger's legs (``ledger.balances``), never from a stored sum."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from haven.core.money import HELD, Money

from . import ecb, ledger, rates
from .models import EuroRate, Fund


@dataclass(frozen=True)
class FundPosition:
    """A fund in its own currency: pledged, received from the funder, committed to grants, and left to commit."""

    fund: Fund
    pledged: Money
    received: Money
    committed: Money

    @property
    def available(self) -> Money:
        return self.pledged - self.committed


def fund_positions(funds: list[Fund]) -> list[FundPosition]:
    """Each fund's position from the ledger, in one query per program for the balances."""
    positions = []
    for program_id in sorted({fund.program_id for fund in funds}):
        of_program = [fund for fund in funds if fund.program_id == program_id]
        codes = [code for fund in of_program for code in (f"pledge:{fund.pk}", f"committed:{fund.pk}")]
        found = ledger.balances_by_code(of_program[0].program, codes)
        for fund in of_program:
            pledged = Money(fund.amount_minor, fund.currency)
            zero = Money.zero(fund.currency)
            positions.append(
                FundPosition(
                    fund=fund,
                    pledged=pledged,
                    received=pledged - found.get(f"pledge:{fund.pk}", pledged),
                    committed=found.get(f"committed:{fund.pk}", zero),
                )
            )
    return positions


# -- Euro reference rates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateCoverage:
    """The rates held of one currency: the latest, the first and last days, and the days TARGET was open without
    a rate (between the first and the last, and after the last until ``today``)."""

    currency: str
    latest: Decimal | None
    first: date | None
    last: date | None
    days: int
    gaps: list[date]  # working days between the first and the last without a rate, the most recent first
    behind: int  # working days after the last, before today


def rate_coverage(currencies: Iterable[str], *, today: date) -> list[RateCoverage]:
    """Each currency's coverage, in one query per currency (its days only)."""
    found = []
    for currency in currencies:
        held = dict(EuroRate.objects.filter(currency=currency).order_by("on").values_list("on", "rate"))
        if not held:
            found.append(RateCoverage(currency, None, None, None, 0, [], 0))
            continue
        days = list(held)
        first, last = days[0], days[-1]
        gaps = [day for day in ecb.working_days(first, last) if day not in held]
        behind = sum(1 for _day in ecb.working_days(last + timedelta(days=1), today - timedelta(days=1)))
        found.append(RateCoverage(currency, shown_rate(held[last]), first, last, len(days), gaps[::-1], behind))
    return found


def shown_rate(rate: Decimal) -> Decimal:
    """A rate as the ECB writes it: its own digits, at least four decimal places (1.1000, 0.85748, 161.8400)."""
    normal = rate.normalize()
    exponent = normal.as_tuple().exponent
    return normal if isinstance(exponent, int) and exponent < -4 else rate.quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class RateAnswer:
    """The rate used on a day (None when none is known on or before it), and why the day has none of its own: a
    TARGET closing day ("Good Friday"), or "" when the ECB published none that working day (not yet, or missing)."""

    asked_on: date
    currency: str
    rate: rates.Rate | None
    closing: str | None


def rate_answer(currency: str, day: date) -> RateAnswer:
    try:
        found: rates.Rate | None = rates.rate_on(currency, day)
    except rates.NoRate:
        found = None
    if found is not None:
        found = rates.Rate(found.currency, found.asked_on, found.on, shown_rate(found.rate))
    return RateAnswer(day, currency, found, ecb.closing(day))


def rate_currencies() -> list[str]:
    """The currencies the program holds money in (beside the euro) and every currency with a rate held."""
    held = set(EuroRate.objects.values_list("currency", flat=True).distinct())
    return sorted(held | (set(HELD) - {"EUR"}))
