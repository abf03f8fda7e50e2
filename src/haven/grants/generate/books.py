"""The generated program's books: transactions planned with ``ledger``'s chart of accounts and its legs (an
exchange between currencies through the trading accounts, as ``ledger.exchange``), then written at once in bulk.
``check`` raises unless every transaction's legs sum to zero in each currency."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Sum

from haven.core.db import insert_rows
from haven.core.money import Money

from ..ledger import Unbalanced
from ..models import AccountKind, Fund, Grant, LedgerAccount, LedgerLeg, LedgerTransaction


@dataclass
class Posting:
    on: date
    kind: str
    memo: str
    actor: int
    legs: list[tuple[str, int, str]]  # (account code, minor units, currency): positive a debit
    row: LedgerTransaction | None = None  # once written


@dataclass
class Books:
    program: Any
    fund: Fund
    postings: list[Posting] = field(default_factory=list)

    def exchange(
        self, *, on: date, kind: str, memo: str, actor: int, debit: tuple[str, Money], credit: tuple[str, Money]
    ) -> Posting:
        """``credit``'s amount out of its account and ``debit``'s into its own: directly in one currency, else
        through the two currencies' trading accounts."""
        (to_code, received), (from_code, given) = debit, credit
        if received.currency == given.currency:
            legs = [(to_code, received.minor, received.currency), (from_code, -given.minor, given.currency)]
        else:
            legs = [
                (to_code, received.minor, received.currency),
                (f"trading:{received.currency}", -received.minor, received.currency),
                (f"trading:{given.currency}", given.minor, given.currency),
                (from_code, -given.minor, given.currency),
            ]
        posting = Posting(on=on, kind=kind, memo=memo[:200], actor=actor, legs=legs)
        self.postings.append(posting)
        return posting

    def write(self, grants: list[Grant]) -> tuple[int, int]:
        """Open the accounts (the program's, the fund's, a payable one per committed grant) and write every
        transaction and its legs. Returns the numbers of transactions and legs."""
        org, fund = self.program.organization_id, self.fund
        accounts = [
            LedgerAccount(code="bank", kind=AccountKind.ASSET, currency="USD"),
            LedgerAccount(code=f"pledge:{fund.pk}", kind=AccountKind.ASSET, currency="EUR", fund=fund),
            LedgerAccount(code=f"fund:{fund.pk}", kind=AccountKind.NET_ASSETS, currency="EUR", fund=fund),
            LedgerAccount(code=f"committed:{fund.pk}", kind=AccountKind.EXPENSE, currency="EUR", fund=fund),
            LedgerAccount(code="trading:USD", kind=AccountKind.TRADING, currency="USD"),
            LedgerAccount(code="trading:EUR", kind=AccountKind.TRADING, currency="EUR"),
        ] + [
            LedgerAccount(
                code=f"payable:{grant.pk}", kind=AccountKind.LIABILITY, currency=grant.currency, fund=fund, grant=grant
            )
            for grant in grants
        ]
        for account in accounts:
            account.organization_id, account.program = org, self.program
        account_ids = {account.code: account.pk for account in LedgerAccount.objects.bulk_create(accounts)}
        transactions = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    organization_id=org, program=self.program, on=p.on, kind=p.kind, memo=p.memo, created_by_id=p.actor
                )
                for p in self.postings
            ],
            batch_size=2000,
        )
        for posting, row in zip(self.postings, transactions, strict=True):
            posting.row = row
        legs = insert_rows(
            LedgerLeg,
            ["organization", "transaction", "account", "amount_minor", "currency"],
            (
                (org, row.pk, account_ids[code], minor, currency)
                for posting, row in zip(self.postings, transactions, strict=True)
                for code, minor, currency in posting.legs
            ),
        )
        return len(transactions), legs


def check(organization_id: int) -> None:
    """Raise ``Unbalanced`` unless the legs of every transaction of the organization's books sum to zero in each
    currency."""
    off = (
        LedgerLeg.objects.in_org(organization_id)
        .values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    if off.exists():
        raise Unbalanced(f"generated ledger transactions do not balance: {list(off[:5])}")
