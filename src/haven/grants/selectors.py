"""Reads of the money pillar. Balances come from the ledger's legs (``ledger.balances``), never from a stored sum."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

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


# -- The money figures' facts (reporting.money reads these) --------------------------------------------------------
# A fixed number of queries, whatever the number of payments, receipts or reports: every sum is made in the
# database, grouped by fund or grant, kind and month (a figure's quarters are made of its months).


@dataclass(frozen=True)
class FundFacts:
    id: int
    name: str
    funder_id: int
    currency: str
    amount_minor: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class GrantFacts:
    id: int
    fund_id: int
    purpose: str
    grantee: str
    state: str  # the grantee's state
    currency: str
    amount_minor: int
    status: str
    starts_on: date
    ends_on: date
    approved_on: date | None
    committed_rate: Decimal | None  # units of the grant's currency per euro, at the commitment
    committed_fund_minor: int | None  # the commitment in the fund's currency


@dataclass(frozen=True)
class MoneyFacts:
    """A program's money (or the part of it from one funder's funds), as of a day, in sums by month.

    ``ledger`` rows are (account kind: "payable", "committed" or "pledge"; the grant's or fund's id; the
    transaction's kind; its month; the sum of the legs, debits positive). ``paid`` rows are (grant, month, in the
    grant's currency, in the fund's currency at the payment's rate); ``received`` rows (fund, month, sent in the
    fund's currency, arrived in the program's); ``spent`` rows (grant, month of the period's end, in the grant's
    currency) from accepted financial reports."""

    currency: str  # the program's (the bank's)
    funds: tuple[FundFacts, ...]
    grants: tuple[GrantFacts, ...]
    ledger: tuple[tuple[str, int, str, date, int], ...]
    paid: tuple[tuple[int, date, int, int], ...]
    received: tuple[tuple[int, date, int, int], ...]
    spent: tuple[tuple[int, date, int], ...]


def money_facts(program: Any, *, funder_id: int | None = None, until: date | None = None) -> MoneyFacts:
    """The facts of a program's money figures, in seven queries: every fund and grant of the program (or only those
    of ``funder_id``'s funds), and the ledger, payments, receipts and accepted spending summed by month up to
    ``until`` (inclusive)."""
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    from .models import ExpenseLine, Grant, GrantReport, LedgerLeg, MoneyRules, Payment, PaymentStatus, Receipt

    rules = MoneyRules.objects.in_org(program.organization_id).filter(program=program)
    currency = rules.values_list("currency", flat=True).first() or "USD"
    funds = Fund.objects.of_program(program) if funder_id is None else Fund.objects.of_funder(funder_id)
    funds = funds.filter(program=program)
    grants = Grant.objects.of_program(program) if funder_id is None else Grant.objects.of_funder(funder_id)
    grants = grants.filter(fund__program=program).exclude(status="draft")
    payments = Payment.objects.of_program(program) if funder_id is None else Payment.objects.of_funder(funder_id)
    payments = payments.filter(grant__fund__program=program, status=PaymentStatus.PAID)
    legs = LedgerLeg.objects.in_org(program.organization_id).filter(account__program=program)
    receipts = Receipt.objects.in_org(program.organization_id).filter(fund__program=program)
    reports = GrantReport.objects.of_program(program).filter(kind="financial", status="accepted")
    if funder_id is not None:
        legs = legs.filter(account__fund__funder_id=funder_id)
        receipts = receipts.filter(fund__funder_id=funder_id)
        reports = reports.filter(grant__fund__funder_id=funder_id)
    if until is not None:
        payments = payments.filter(paid_on__lte=until)
        legs = legs.filter(transaction__on__lte=until)
        receipts = receipts.filter(received_on__lte=until)
        reports = reports.filter(period_end__lte=until)
        grants = grants.filter(approved_on__lte=until)
    fund_rows = tuple(
        FundFacts(*row)
        for row in funds.order_by("starts_on", "name").values_list(
            "id", "name", "funder_id", "currency", "amount_minor", "starts_on", "ends_on"
        )
    )
    grant_rows = tuple(
        GrantFacts(*row)
        for row in grants.order_by("starts_on", "id").values_list(
            "id",
            "fund_id",
            "purpose",
            "organization__name",
            "organization__state",
            "currency",
            "amount_minor",
            "status",
            "starts_on",
            "ends_on",
            "approved_on",
            "committed_rate",
            "committed_fund_minor",
        )
    )
    ledger_rows = []
    for grant_id, fund_id, code, kind, month, total in (
        legs.filter(account__code__regex=r"^(payable|committed|pledge):")
        .annotate(month=TruncMonth("transaction__on"))
        .values("account__grant_id", "account__fund_id", "account__code", "transaction__kind", "month")
        .annotate(total=Sum("amount_minor"))
        .values_list("account__grant_id", "account__fund_id", "account__code", "transaction__kind", "month", "total")
        .order_by()
    ):
        account_kind = code.split(":", 1)[0]
        owner = grant_id if account_kind == "payable" else fund_id
        ledger_rows.append((account_kind, owner, kind, month, int(total or 0)))
    paid_rows = tuple(
        (grant_id, month, int(amount or 0), int(in_fund or 0))
        for grant_id, month, amount, in_fund in payments.annotate(month=TruncMonth("paid_on"))
        .values("grant_id", "month")
        .annotate(amount=Sum("amount_minor"), in_fund=Sum("fund_minor"))
        .values_list("grant_id", "month", "amount", "in_fund")
        .order_by()
    )
    received_rows = tuple(
        (fund_id, month, int(sent or 0), int(arrived or 0))
        for fund_id, month, sent, arrived in receipts.annotate(month=TruncMonth("received_on"))
        .values("fund_id", "month")
        .annotate(sent=Sum("amount_minor"), arrived=Sum("arrived_minor"))
        .values_list("fund_id", "month", "sent", "arrived")
        .order_by()
    )
    spent_rows = tuple(
        (grant_id, month, int(amount or 0))
        for grant_id, month, amount in ExpenseLine.objects.in_orgs(reports.values("organization_id"))
        .filter(report__in=reports.values("pk"))
        .annotate(month=TruncMonth("report__period_end"))
        .values("report__grant_id", "month")
        .annotate(amount=Sum("amount_minor"))
        .values_list("report__grant_id", "month", "amount")
        .order_by()
    )
    return MoneyFacts(currency, fund_rows, grant_rows, tuple(ledger_rows), paid_rows, received_rows, spent_rows)
