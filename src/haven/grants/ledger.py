"""The program's books: double entry, in minor units, one currency per account (decision 26).

Every movement of money is one ``LedgerTransaction`` whose legs sum to zero in each currency; a movement between
currencies (euros received as dollars, a dollar grant committed from a euro fund) passes through one *trading*
account per currency, so each currency balances on its own and the trading accounts show what the exchange did.
A leg's amount is positive for a debit and negative for a credit. Balances are never stored: ``balances`` sums the
legs. Only this module posts, and only the services call it, inside their transaction.

The chart of accounts, per program (``code``):

- ``bank`` (asset, the program's currency): money held.
- ``pledge:<fund>`` (asset, the fund's currency): what the funder pledged and has not yet sent.
- ``fund:<fund>`` (net assets, the fund's currency): the fund as the funder gave it.
- ``committed:<fund>`` (expense, the fund's currency): what grants from the fund committed, at their rate.
- ``trading:<currency>`` (trading): the two sides of every exchange.
- ``payable:<grant>`` (liability, the grant's currency): committed to the grantee and not yet paid.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from haven.core.money import Money

from .models import AccountKind, Fund, Grant, LedgerAccount, LedgerLeg, LedgerTransaction


class Unbalanced(ValueError):
    """A transaction whose legs do not sum to zero in some currency, or with a zero leg or a foreign currency."""


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: Money  # positive: debit; negative: credit


def imbalance(legs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """The sum of (currency, minor units) legs per currency, the currencies that do not sum to zero only."""
    sums: dict[str, int] = defaultdict(int)
    for currency, minor in legs:
        sums[currency] += minor
    return {currency: value for currency, value in sums.items() if value}


def post(
    *, program: Any, on: date, kind: str, legs: Sequence[Leg], actor: Any | None, memo: str = ""
) -> LedgerTransaction:
    """Write one balanced transaction. Raises ``Unbalanced`` (and writes nothing) unless every leg is non-zero, in
    its account's currency, and the legs sum to zero in each currency."""
    if len(legs) < 2:
        raise Unbalanced("a transaction has at least two legs")
    for leg in legs:
        if leg.amount.minor == 0:
            raise Unbalanced(f"a zero leg on {leg.account.code}")
        if leg.amount.currency != leg.account.currency:
            raise Unbalanced(f"{leg.amount.currency} on {leg.account.code}, an account in {leg.account.currency}")
    if off := imbalance((leg.amount.currency, leg.amount.minor) for leg in legs):
        raise Unbalanced(f"legs do not sum to zero: {off}")
    transaction = LedgerTransaction.objects.create(
        organization_id=program.organization_id, program=program, on=on, kind=kind, memo=memo[:200], created_by=actor
    )
    LedgerLeg.objects.bulk_create(
        LedgerLeg(
            organization_id=program.organization_id,
            transaction=transaction,
            account=leg.account,
            amount_minor=leg.amount.minor,
            currency=leg.amount.currency,
        )
        for leg in legs
    )
    return transaction


# -- The chart of accounts ----------------------------------------------------------------------------------------


def account(
    program: Any, code: str, *, kind: str, currency: str, fund: Fund | None = None, grant: Grant | None = None
) -> LedgerAccount:
    """The program's account ``code``, opened the first time it is needed."""
    found, _created = LedgerAccount.objects.in_org(program.organization_id).get_or_create(
        program=program,
        code=code,
        defaults={
            "organization_id": program.organization_id,
            "kind": kind,
            "currency": currency,
            "fund": fund,
            "grant": grant,
        },
    )
    if found.currency != currency:
        raise Unbalanced(f"{code} is kept in {found.currency}, not {currency}")
    return found


def bank(program: Any, currency: str) -> LedgerAccount:
    return account(program, "bank", kind=AccountKind.ASSET, currency=currency)


def pledge(fund: Fund) -> LedgerAccount:
    return account(fund.program, f"pledge:{fund.pk}", kind=AccountKind.ASSET, currency=fund.currency, fund=fund)


def fund_capital(fund: Fund) -> LedgerAccount:
    return account(fund.program, f"fund:{fund.pk}", kind=AccountKind.NET_ASSETS, currency=fund.currency, fund=fund)


def committed(fund: Fund) -> LedgerAccount:
    return account(fund.program, f"committed:{fund.pk}", kind=AccountKind.EXPENSE, currency=fund.currency, fund=fund)


def trading(program: Any, currency: str) -> LedgerAccount:
    return account(program, f"trading:{currency}", kind=AccountKind.TRADING, currency=currency)


def payable(grant: Grant) -> LedgerAccount:
    fund = grant.fund
    return account(
        fund.program, f"payable:{grant.pk}", kind=AccountKind.LIABILITY, currency=grant.currency, fund=fund, grant=grant
    )


def exchange(program: Any, *, debit: tuple[LedgerAccount, Money], credit: tuple[LedgerAccount, Money]) -> list[Leg]:
    """Legs moving ``credit``'s amount out of its account and ``debit``'s into its own: directly when both are in
    one currency (then they must be equal), else through the two currencies' trading accounts."""
    (to_account, received), (from_account, given) = debit, credit
    if received.currency == given.currency:
        if received != given:
            raise Unbalanced(f"{received} in, {given} out")
        return [Leg(to_account, received), Leg(from_account, -given)]
    return [
        Leg(to_account, received),
        Leg(trading(program, received.currency), -received),
        Leg(trading(program, given.currency), given),
        Leg(from_account, -given),
    ]


# -- Balances -----------------------------------------------------------------------------------------------------


def balances(accounts: Sequence[LedgerAccount], *, until: date | None = None) -> dict[int, Money]:
    """Each account's balance (debits minus credits) from its legs, in one query, optionally up to a day."""
    from django.db.models import Sum

    if not accounts:
        return {}
    legs = LedgerLeg.objects.in_org(accounts[0].organization_id).filter(account__in=accounts)
    if until is not None:
        legs = legs.filter(transaction__on__lte=until)
    sums = dict(legs.values_list("account").annotate(total=Sum("amount_minor")).values_list("account", "total"))
    return {account.pk: Money(int(sums.get(account.pk) or 0), account.currency) for account in accounts}


# -- The transactions ---------------------------------------------------------------------------------------------


def post_pledge(fund: Fund, *, actor: Any) -> LedgerTransaction:
    """The fund as the funder pledged it: owed by the funder, held for the program."""
    amount = Money(fund.amount_minor, fund.currency)
    legs = [Leg(pledge(fund), amount), Leg(fund_capital(fund), -amount)]
    return post(program=fund.program, on=fund.starts_on, kind="pledge", legs=legs, actor=actor, memo=fund.name)


def post_receipt(fund: Fund, *, on: date, sent: Money, arrived: Money, actor: Any) -> LedgerTransaction:
    """Money from the funder: ``sent`` (the fund's currency) leaves the pledge, ``arrived`` reaches the bank."""
    legs = exchange(fund.program, debit=(bank(fund.program, arrived.currency), arrived), credit=(pledge(fund), sent))
    return post(program=fund.program, on=on, kind="receipt", legs=legs, actor=actor, memo=fund.name)


def post_commitment(grant: Grant, *, on: date, in_fund: Money, actor: Any) -> LedgerTransaction:
    """A grant approved: its amount becomes owed to the grantee, and ``in_fund`` (its value in the fund's currency
    at the day's rate) is committed from the fund."""
    amount = Money(grant.amount_minor, grant.currency)
    legs = exchange(grant.fund.program, debit=(committed(grant.fund), in_fund), credit=(payable(grant), amount))
    return post(program=grant.fund.program, on=on, kind="commitment", legs=legs, actor=actor, memo=grant.purpose)


def post_payment(grant: Grant, *, on: date, amount: Money, from_bank: Money, actor: Any) -> LedgerTransaction:
    """A payment to the grantee: ``amount`` (the grant's currency) settles what is owed, ``from_bank`` (the same,
    or its value in the bank's currency) leaves the bank."""
    program = grant.fund.program
    legs = exchange(program, debit=(payable(grant), amount), credit=(bank(program, from_bank.currency), from_bank))
    return post(program=program, on=on, kind="payment", legs=legs, actor=actor, memo=grant.purpose)


def post_release(grant: Grant, *, on: date, amount: Money, in_fund: Money, actor: Any) -> LedgerTransaction:
    """What a closed grant leaves unpaid goes back to its fund: the opposite of its part of the commitment."""
    legs = exchange(grant.fund.program, debit=(payable(grant), amount), credit=(committed(grant.fund), in_fund))
    return post(program=grant.fund.program, on=on, kind="release", legs=legs, actor=actor, memo=grant.purpose)


def balances_by_code(program: Any, codes: Iterable[str], *, until: date | None = None) -> dict[str, Money]:
    """The balance of each named account of a program, in one query: an account never opened is absent."""
    from django.db.models import Sum

    legs = LedgerLeg.objects.in_org(program.organization_id).filter(
        account__program=program, account__code__in=list(codes)
    )
    if until is not None:
        legs = legs.filter(transaction__on__lte=until)
    rows = legs.values("account__code", "account__currency").annotate(total=Sum("amount_minor"))
    return {row["account__code"]: Money(int(row["total"] or 0), row["account__currency"]) for row in rows}
