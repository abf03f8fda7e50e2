"""Reads of the money pillar. Balances come from the ledger's legs (``ledger.balances``), never from a stored sum."""

from dataclasses import dataclass

from haven.core.money import Money

from . import ledger
from .models import Fund


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
