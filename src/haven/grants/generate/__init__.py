"""Generator step, after reporting's: each program's money. Its rules, the dollar's euro reference rates from a
year before the program to today, one fund in euros from its funder with a receipt every quarter, grants to state
chapters and CACs (budgets by federal category, tranches by date and by figure), payments (paid, approved, awaiting
approval, cancelled), and the grantees' financial and narrative reports (accepted, submitted, sent back, due and
late, with some budget lines overspent).

Written in bulk, the ledger's transactions and legs too (``books``: ``ledger``'s chart of accounts and legs), and
the step checks at its end that every transaction's legs sum to zero in each currency, raising if not. Nothing is
announced (the generator never is); each program's money version moves (``version``).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from haven.core.dates import add_months, quarter_of
from haven.core.db import insert_rows
from haven.core.generation import GenerationContext
from haven.core.money import Money, allocate
from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.programs.models import Program, ProgramFunder

from .. import version
from ..ecb import target_closed
from ..models import BudgetLine, EuroRate, Fund, Grant, GrantStatus, MoneyRules, Payment, PaymentStatus, Receipt
from . import books
from .days import Rates, at, synthetic_usd_rates, to_dollars, to_euros, weekday
from .grants import PAYMENT_FIELDS, GrantPlan, plan_grants, tranches_and_payments
from .reports import reports_write

REMINDER_DAYS = [14, 3, -1]
SECOND_APPROVAL_ABOVE = 2_500_000  # $25,000


def run(ctx: GenerationContext) -> None:
    national_id = ctx.shared["national_id"]
    admins = sorted(
        Membership.objects.in_org(national_id)
        .filter(role=Role.PROGRAM_ADMIN, is_active=True)
        .values_list("user_id", flat=True)
    )
    for program in Program.objects.in_org(national_id).order_by("pk"):
        _program_money(ctx, program, admins)
    # Every transaction balances in each currency, or the step fails (and the generation with it).
    books.check(national_id)


def _program_money(ctx: GenerationContext, program: Program, admins: list[int]) -> None:
    org = program.organization_id
    today = timezone.now().date()
    now_day = min(today, program.ends_on)
    funder_id = (
        ProgramFunder.objects.in_org(org).filter(program=program).order_by("pk").values_list("funder_id", flat=True)
    ).first()
    if funder_id is None:
        return
    rules = MoneyRules.objects.create(
        organization_id=org,
        program=program,
        second_approval_above_minor=SECOND_APPROVAL_ABOVE,
        currency="USD",
        reminder_days=REMINDER_DAYS,
    )
    rates = _rates(ctx, program, now_day)
    plans = plan_grants(ctx, program, admins, rates, today)
    fund = _fund(ctx, program, funder_id, plans, rates.on(now_day)[1])
    _grants_write(ctx, fund, plans, today)
    committed = [plan for plan in plans if plan.in_fund is not None]

    ledger = books.Books(program=program, fund=fund)
    pledged = Money(fund.amount_minor, fund.currency)
    ledger.exchange(
        on=fund.starts_on,
        kind="pledge",
        memo=fund.name,
        actor=admins[0],
        debit=(f"pledge:{fund.pk}", pledged),
        credit=(f"fund:{fund.pk}", pledged),
    )
    for plan in committed:
        if plan.in_fund is None or plan.approved_on is None or plan.approved_by is None:
            continue
        ledger.exchange(
            on=plan.approved_on,
            kind="commitment",
            memo=plan.purpose,
            actor=plan.approved_by,
            debit=(f"committed:{fund.pk}", plan.in_fund),
            credit=(f"payable:{plan.row.pk}", plan.amount),
        )
    tranches, payments, paid = tranches_and_payments(
        ctx, program, plans, admins, rates, today, rules.second_approval_above_minor, ledger
    )
    receipts = _receipts(
        ctx, fund, rates, admins, now_day, sorted((p.paid_on, p.amount_minor) for p in payments if p.paid_on)
    )
    for receipt in receipts:
        ledger.exchange(
            on=receipt.received_on,
            kind="receipt",
            memo=fund.name,
            actor=receipt.created_by_id,
            debit=("bank", Money(receipt.arrived_minor, receipt.arrived_currency)),
            credit=(f"pledge:{fund.pk}", Money(receipt.amount_minor, fund.currency)),
        )
    _releases(ledger, committed, payments, admins[0])
    transactions, legs = ledger.write([plan.row for plan in committed])
    ctx.count("ledger transactions", transactions)
    ctx.count("ledger legs", legs)

    Receipt.objects.bulk_create(receipts)
    ctx.count("receipts", len(receipts))
    transaction_of = {id(payment): posting.row.pk for payment, posting in paid if posting.row}
    insert_rows(
        Payment,
        [*PAYMENT_FIELDS, "transaction"],
        (
            (*(getattr(payment, name) for name in PAYMENT_FIELDS), transaction_of.get(id(payment)))
            for payment in payments
        ),
    )
    ctx.count("tranches", len(tranches))
    ctx.count("payments", len(payments))
    reports_write(ctx, plans, admins, today, rules.reminder_days)
    version.bump(program)  # the money figures cached for the program before (none, unless it is generated again)


def _rates(ctx: GenerationContext, program: Program, now_day: date) -> Rates:
    """The dollar's euro reference rates from a year before the program to today (none is published ahead), on
    the days that have none yet."""
    first = program.starts_on - timedelta(days=365)
    known = set(EuroRate.objects.filter(currency="USD", on__gte=first, on__lte=now_day).values_list("on", flat=True))
    history = [
        (day, rate)
        for day, rate in synthetic_usd_rates(first, now_day, f"{ctx.seed}:usd:{program.name}")
        if day not in known
    ]
    EuroRate.objects.bulk_create(
        [EuroRate(currency="USD", on=day, rate=rate) for day, rate in history], batch_size=2000
    )
    ctx.count("euro rates", len(history))
    return Rates(
        list(EuroRate.objects.filter(currency="USD", on__gte=first, on__lte=now_day).values_list("on", "rate"))
    )


def _fund(ctx: GenerationContext, program: Program, funder_id: int, plans: list[GrantPlan], rate_now: Decimal) -> Fund:
    """One fund in euros, sized so that the grants use most of it: what they commit and the drafts at today's
    rate are about nine tenths of it, in whole hundred thousands of euros."""
    wanted = sum(plan.in_fund.minor for plan in plans if plan.in_fund is not None)
    wanted += sum(to_euros(plan.amount, rate_now).minor for plan in plans if plan.in_fund is None)
    fund = Fund.objects.create(
        organization_id=program.organization_id,
        program=program,
        funder_id=funder_id,
        name=f"{program.name} grant fund",
        currency="EUR",
        amount_minor=-(-wanted * 100 // 90 // 10_000_000) * 10_000_000,
        starts_on=program.starts_on,
        ends_on=program.ends_on,
    )
    ctx.count("funds", 1)
    return fund


def _grants_write(ctx: GenerationContext, fund: Fund, plans: list[GrantPlan], today: date) -> None:
    """The grants, each created a week to a month before its approval, and their budget lines."""
    grants = Grant.objects.bulk_create(
        [
            Grant(
                organization_id=plan.grantee,
                fund=fund,
                purpose=plan.purpose,
                currency=plan.amount.currency,
                amount_minor=plan.amount.minor,
                starts_on=plan.starts_on,
                ends_on=plan.ends_on,
                status=plan.status,
                created_by_id=plan.created_by,
                approved_by_id=plan.approved_by,
                approved_on=plan.approved_on,
                committed_rate=plan.rate,
                committed_rate_on=plan.rate_on,
                committed_fund_minor=plan.in_fund.minor if plan.in_fund else None,
                closed_on=plan.closed_on,
            )
            for plan in plans
        ]
    )
    for plan, grant in zip(plans, grants, strict=True):
        plan.row = grant
        grant.created_at = at((plan.approved_on or today) - timedelta(days=ctx.rng.randint(7, 30)))
    Grant.objects.dangerously_unscoped().bulk_update(grants, ["created_at"], batch_size=500)
    ctx.count("grants", len(grants))
    lines = insert_rows(
        BudgetLine,
        ["organization", "grant", "category", "amount_minor"],
        ((plan.grantee, plan.row.pk, category, line.minor) for plan in plans for category, line in plan.budget.items()),
    )
    ctx.count("budget lines", lines)


def _releases(ledger: books.Books, committed: list[GrantPlan], payments: list[Payment], actor: int) -> None:
    """What a closed grant left unpaid goes back to the fund at its commitment's rate (as ``grant_close``)."""
    paid: dict[int, int] = {}
    for payment in payments:
        if payment.status == PaymentStatus.PAID:
            paid[payment.grant_id] = paid.get(payment.grant_id, 0) + payment.amount_minor
    for plan in committed:
        if plan.status != GrantStatus.CLOSED or plan.in_fund is None or plan.closed_on is None:
            continue
        owed = plan.amount.minor - paid.get(plan.row.pk, 0)
        if owed > 0:
            _used, back = allocate(plan.in_fund, [plan.amount.minor - owed, owed])
            ledger.exchange(
                on=plan.closed_on,
                kind="release",
                memo=plan.purpose,
                actor=actor,
                debit=(f"payable:{plan.row.pk}", Money(owed, plan.amount.currency)),
                credit=(f"committed:{ledger.fund.pk}", back),
            )


def _receipts(
    ctx: GenerationContext,
    fund: Fund,
    rates: Rates,
    admins: list[int],
    now_day: date,
    paid_out: list[tuple[date, int]],
) -> list[Receipt]:
    """One receipt a quarter, none after today: the first an advance of four quarters' share, each later one the
    even share of what the funder has left to send, or more when the payments of the coming quarter need it (the
    bank is never overdrawn). Each arrives in dollars at the day's rate less the bank's fee."""
    rng = ctx.rng
    days: list[date] = []
    quarter = quarter_of(fund.starts_on)
    while quarter <= fund.ends_on:
        # The advance arrives on the fund's first working day, before any payment; the others early in their quarter.
        day = weekday(max(quarter, fund.starts_on) + timedelta(days=rng.randint(2, 12) if days else 0))
        while target_closed(day):
            day += timedelta(days=1)
        days.append(day)
        quarter = add_months(quarter, 3)
    left, balance, receipts = fund.amount_minor, 0, []
    for number, day in enumerate(days, start=1):
        if day > now_day or left <= 0:
            break
        _rate_day, rate = rates.on(day)
        shares = len(days) - number + 1 + (3 if number == 1 else 0)
        sent = left * (4 if number == 1 else 1) // shares
        following = days[number] if number < len(days) else date.max
        balance -= sum(minor for paid_on, minor in paid_out if paid_on < day)
        paid_out = [(paid_on, minor) for paid_on, minor in paid_out if paid_on >= day]
        needed = sum(minor for paid_on, minor in paid_out if paid_on < following) - balance
        if needed > 0:
            sent = max(sent, to_euros(Money(needed * 11 // 10, "USD"), rate).minor)
        sent = min(sent, left)
        fee = rng.choice((2500, 3500, 4500))  # a wire transfer's fee, in cents
        arrived = to_dollars(Money(sent, "EUR"), rate).minor - fee
        left -= sent
        balance += arrived
        receipts.append(
            Receipt(
                organization_id=fund.organization_id,
                fund=fund,
                received_on=day,
                amount_minor=sent,
                arrived_minor=arrived,
                arrived_currency="USD",
                reference=f"SEPA {day.year}-{number:02d}",
                created_by_id=admins[number % len(admins)],
            )
        )
    return receipts
