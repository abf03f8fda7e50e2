"""Generator step, after reporting's: each program's money. Its rules, the euro reference rates of its period (and
a year before), one fund in euros from its funder with a receipt every quarter, grants to state chapters and CACs
(budgets by federal category, tranches by date and by figure), payments (paid, approved, awaiting approval,
cancelled), and the grantees' financial and narrative reports (accepted, submitted, sent back, due and late, with
some budget lines overspent).

Written in bulk, the ledger's transactions and legs too: each is built here with the chart of accounts of
``ledger`` (the same codes and the same legs as its ``post_*``), and the step checks at its end that every
transaction's legs sum to zero in each currency, raising if not. Nothing is announced (the generator never is).
"""

import bisect
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from haven.care.models import Episode
from haven.core.dates import add_months, quarter_end, quarter_of
from haven.core.db import insert_rows
from haven.core.generation import GenerationContext
from haven.core.money import Money, allocate, convert_by_euro_rates
from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.programs.models import Program, ProgramFunder
from haven.training import funnel

from .models import (
    AccountKind,
    BudgetCategory,
    BudgetLine,
    EuroRate,
    ExpenseLine,
    Fund,
    Grant,
    GrantReport,
    GrantStatus,
    LedgerAccount,
    LedgerLeg,
    LedgerTransaction,
    MoneyRules,
    Payment,
    PaymentStatus,
    Receipt,
    ReportKind,
    ReportReminder,
    ReportStatus,
    Tranche,
    TrancheMetric,
    TrancheStatus,
)

REMINDER_DAYS = [14, 3, -1]
# A payment's columns as written (its ledger transaction's id follows).
PAYMENT_FIELDS = [
    "organization_id",
    "grant_id",
    "tranche_id",
    "amount_minor",
    "status",
    "created_by_id",
    "created_at",
    "approved_by_id",
    "approved_at",
    "needs_second_approval",
    "paid_on",
    "rate",
    "rate_on",
    "fund_minor",
]
SECOND_APPROVAL_ABOVE = 2_500_000  # $25,000
# A grant's budget by category, in parts (SF-424A; indirect costs near the 15% de minimis rate).
BUDGET_WEIGHTS = {
    BudgetCategory.PERSONNEL: 46,
    BudgetCategory.FRINGE: 14,
    BudgetCategory.TRAVEL: 5,
    BudgetCategory.EQUIPMENT: 2,
    BudgetCategory.SUPPLIES: 4,
    BudgetCategory.CONTRACTUAL: 12,
    BudgetCategory.OTHER: 5,
    BudgetCategory.INDIRECT: 12,
}
# The lines a grantee overspends most often.
OVERSPENT_CATEGORIES = (
    BudgetCategory.TRAVEL,
    BudgetCategory.SUPPLIES,
    BudgetCategory.OTHER,
    BudgetCategory.CONTRACTUAL,
)
NARRATIVES = (
    "Clinicians of the cohort completed their live training and joined the consultation calls; two caseloads "
    "were reassigned after a staff departure.",
    "Referrals rose this period after outreach to the county's child protective services; the waiting list is "
    "under three weeks.",
    "We hired a part-time clinical supervisor and moved the caregiver sessions to evenings, which raised attendance.",
    "Travel to the live training cost more than planned; the difference was covered from supplies.",
)
RETURN_NOTES = (
    "Please attach the payroll ledger behind the personnel line.",
    "The travel line is above its budget: please explain the difference.",
    "The period's figures do not match the invoices attached; please correct and resubmit.",
)


# -- Euro reference rates -----------------------------------------------------------------------------------------


def _easter(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _target_closed(day: date) -> bool:
    """A day without a euro reference rate: a weekend or a TARGET closing day (1 Jan, Good Friday, Easter Monday,
    1 May, 25 and 26 Dec)."""
    if day.weekday() >= 5 or (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return True
    easter = _easter(day.year)
    return day in (easter - timedelta(days=2), easter + timedelta(days=1))


def _synthetic_usd_rates(start: date, end: date, seed: str) -> list[tuple[date, Decimal]]:
    """A plausible history of the dollar's euro reference rate: a random walk pulled back toward 1.125 and kept
    between 1.08 and 1.17, four decimals, one rate per TARGET working day. (A stand-in for
    ``grants.ecb.synthetic_history``, which may replace it.)"""
    rng = random.Random(seed)  # noqa: S311 - generated data, not a secret
    level = 1.10 + rng.uniform(0.0, 0.04)
    rates = []
    day = start
    while day <= end:
        if not _target_closed(day):
            level += 0.05 * (1.125 - level) + rng.gauss(0.0, 0.0035)
            level = min(1.17, max(1.08, level))
            rates.append((day, Decimal(f"{level:.4f}")))
        day += timedelta(days=1)
    return rates


class _Rates:
    """The dollar's rates by day, last known on a day without one (as ``rates.rate_on``)."""

    def __init__(self, rows: list[tuple[date, Decimal]]) -> None:
        rows = sorted(rows)
        self.days = [day for day, _rate in rows]
        self.values = [rate for _day, rate in rows]

    def on(self, day: date) -> tuple[date, Decimal]:
        index = bisect.bisect_right(self.days, day) - 1
        if index < 0:
            raise LookupError(f"no generated rate on or before {day}")
        return self.days[index], self.values[index]


def _euros(amount: Money, rate: Decimal) -> Money:
    return convert_by_euro_rates(amount, to="EUR", rates={"USD": rate})


def _dollars(amount: Money, rate: Decimal) -> Money:
    return convert_by_euro_rates(amount, to="USD", rates={"USD": rate})


# -- Plans: what is written, before it is written ------------------------------------------------------------------


@dataclass
class _Posting:
    on: date
    kind: str
    memo: str
    actor: int
    legs: list[tuple[str, int, str]]  # (account code, minor units, currency)
    row: LedgerTransaction | None = None


@dataclass
class _GrantPlan:
    grantee: int
    chapter: bool
    state: str
    purpose: str
    amount: Money
    starts_on: date
    ends_on: date
    status: str
    created_by: int
    approved_by: int | None = None
    approved_on: date | None = None
    rate_on: date | None = None
    rate: Decimal | None = None
    in_fund: Money | None = None
    closed_on: date | None = None
    budget: dict[str, Money] = field(default_factory=dict)
    row: Grant = field(init=False)  # once written


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


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
    off = (
        LedgerLeg.objects.in_org(national_id)
        .values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    if off.exists():
        raise AssertionError(f"generated ledger transactions do not balance: {list(off[:5])}")


def _program_money(ctx: GenerationContext, program: Program, admins: list[int]) -> None:
    rng = ctx.rng
    org = program.organization_id
    today = timezone.now().date()
    now_day = min(today, program.ends_on)
    funder_id = (
        ProgramFunder.objects.in_org(org).filter(program=program).order_by("pk").values_list("funder_id", flat=True)
    ).first()
    if funder_id is None:
        return
    MoneyRules.objects.create(
        organization_id=org,
        program=program,
        second_approval_above_minor=SECOND_APPROVAL_ABOVE,
        currency="USD",
        reminder_days=REMINDER_DAYS,
    )
    threshold = SECOND_APPROVAL_ABOVE

    # The dollar's euro reference rates from a year before the program to today (none is published ahead).
    first_rate_day = program.starts_on - timedelta(days=365)
    known = set(
        EuroRate.objects.filter(currency="USD", on__gte=first_rate_day, on__lte=now_day).values_list("on", flat=True)
    )
    history = _synthetic_usd_rates(first_rate_day, now_day, f"{ctx.seed}:usd:{program.pk}")
    EuroRate.objects.bulk_create(
        [EuroRate(currency="USD", on=day, rate=rate) for day, rate in history if day not in known], batch_size=2000
    )
    ctx.count("euro rates", len(history) - len(known & {day for day, _rate in history}))
    rates = _Rates(
        list(EuroRate.objects.filter(currency="USD", on__gte=first_rate_day, on__lte=now_day).values_list("on", "rate"))
    )

    plans = _plan_grants(ctx, program, admins, rates, today)
    committed = [plan for plan in plans if plan.in_fund is not None]
    wanted = sum(plan.in_fund.minor for plan in committed if plan.in_fund)
    drafts = sum(_euros(plan.amount, rates.on(now_day)[1]).minor for plan in plans if plan.in_fund is None)
    # Sized so that the grants use most of it: what they commit and the drafts, about nine tenths, in whole
    # hundred thousands of euros.
    fund_minor = -(-(wanted + drafts) * 100 // 90 // 10_000_000) * 10_000_000
    fund = Fund.objects.create(
        organization_id=org,
        program=program,
        funder_id=funder_id,
        name=f"{program.name} grant fund",
        currency="EUR",
        amount_minor=fund_minor,
        starts_on=program.starts_on,
        ends_on=program.ends_on,
    )
    ctx.count("funds", 1)

    grants = Grant.objects.bulk_create(
        [
            Grant(
                organization_id=plan.grantee,
                fund=fund,
                purpose=plan.purpose,
                currency="USD",
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
        grant.created_at = _at((plan.approved_on or today) - timedelta(days=rng.randint(7, 30)))
    Grant.objects.dangerously_unscoped().bulk_update(grants, ["created_at"], batch_size=500)
    ctx.count("grants", len(grants))

    insert_rows(
        BudgetLine,
        ["organization", "grant", "category", "amount_minor"],
        ((plan.grantee, plan.row.pk, category, line.minor) for plan in plans for category, line in plan.budget.items()),
    )
    ctx.count("budget lines", sum(len(plan.budget) for plan in plans))

    # The chart of accounts (ledger's codes) and the transactions, built first and written together.
    accounts = [
        ("bank", AccountKind.ASSET, "USD", None),
        (f"pledge:{fund.pk}", AccountKind.ASSET, "EUR", None),
        (f"fund:{fund.pk}", AccountKind.NET_ASSETS, "EUR", None),
        (f"committed:{fund.pk}", AccountKind.EXPENSE, "EUR", None),
        ("trading:USD", AccountKind.TRADING, "USD", None),
        ("trading:EUR", AccountKind.TRADING, "EUR", None),
    ] + [(f"payable:{plan.row.pk}", AccountKind.LIABILITY, "USD", plan.row) for plan in committed]
    made = LedgerAccount.objects.bulk_create(
        [
            LedgerAccount(
                organization_id=org,
                program=program,
                code=code,
                kind=kind,
                currency=currency,
                fund=fund if code != "bank" and not code.startswith("trading:") else None,
                grant=grant,
            )
            for code, kind, currency, grant in accounts
        ]
    )
    account_ids = {account.code: account.pk for account in made}
    postings: list[_Posting] = []

    def exchange(
        on: date, kind: str, memo: str, actor: int, debit: tuple[str, Money], credit: tuple[str, Money]
    ) -> _Posting:
        """ledger.exchange's legs: through the trading accounts when the currencies differ."""
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
        posting = _Posting(on=on, kind=kind, memo=memo[:200], actor=actor, legs=legs)
        postings.append(posting)
        return posting

    pledged = Money(fund.amount_minor, "EUR")
    exchange(
        fund.starts_on, "pledge", fund.name, admins[0], (f"pledge:{fund.pk}", pledged), (f"fund:{fund.pk}", pledged)
    )
    for plan in committed:
        if plan.in_fund is None or plan.approved_on is None or plan.approved_by is None:
            continue
        exchange(
            plan.approved_on,
            "commitment",
            plan.purpose,
            plan.approved_by,
            (f"committed:{fund.pk}", plan.in_fund),
            (f"payable:{plan.row.pk}", plan.amount),
        )

    tranches, payments, payment_postings = _tranches_and_payments(
        ctx, program, plans, admins, rates, today, threshold, exchange
    )
    paid_out = sorted((p.paid_on, p.amount_minor) for p in payments if p.paid_on)
    receipts = _receipts(ctx, fund, rates, admins, now_day, paid_out)
    for receipt in receipts:
        sent, arrived = Money(receipt.amount_minor, "EUR"), Money(receipt.arrived_minor, "USD")
        exchange(
            receipt.received_on,
            "receipt",
            fund.name,
            receipt.created_by_id,
            ("bank", arrived),
            (f"pledge:{fund.pk}", sent),
        )
    # What a closed grant left unpaid goes back to the fund at its commitment's rate (as ``grant_close``).
    paid_by_grant: dict[int, int] = defaultdict(int)
    for payment in payments:
        if payment.status == PaymentStatus.PAID:
            paid_by_grant[id(payment.grant)] += payment.amount_minor
    for plan in committed:
        if plan.status != GrantStatus.CLOSED or plan.in_fund is None or plan.closed_on is None:
            continue
        paid = paid_by_grant[id(plan.row)]
        owed = plan.amount.minor - paid
        if owed > 0:
            _used, back = allocate(plan.in_fund, [paid, owed])
            exchange(
                plan.closed_on,
                "release",
                plan.purpose,
                admins[0],
                (f"payable:{plan.row.pk}", Money(owed, "USD")),
                (f"committed:{fund.pk}", back),
            )

    transactions = LedgerTransaction.objects.bulk_create(
        [
            LedgerTransaction(
                organization_id=org, program=program, on=p.on, kind=p.kind, memo=p.memo, created_by_id=p.actor
            )
            for p in postings
        ],
        batch_size=2000,
    )
    for posting, row in zip(postings, transactions, strict=True):
        posting.row = row
    legs = insert_rows(
        LedgerLeg,
        ["organization", "transaction", "account", "amount_minor", "currency"],
        (
            (org, row.pk, account_ids[code], minor, currency)
            for posting, row in zip(postings, transactions, strict=True)
            for code, minor, currency in posting.legs
        ),
    )
    ctx.count("ledger transactions", len(transactions))
    ctx.count("ledger legs", legs)

    Receipt.objects.bulk_create(receipts)
    ctx.count("receipts", len(receipts))
    transaction_of = {id(payment): posting.row.pk for payment, posting in payment_postings if posting.row}
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

    _reports(ctx, plans, admins, today)


# -- Grants -------------------------------------------------------------------------------------------------------


def _plan_grants(
    ctx: GenerationContext, program: Program, admins: list[int], rates: _Rates, today: date
) -> list[_GrantPlan]:
    """Grants to every chapter with CACs and to about half of the CACs (the demo's CAC among them), spread over
    the program: mostly active, the earliest short ones closed, a few drafts and approvals waiting to start."""
    rng = ctx.rng
    cac_ids: list[int] = ctx.shared["cac_ids"]
    cac_states: dict[int, str] = ctx.shared["cac_states"]
    chapter_ids: dict[str, int] = ctx.shared["chapter_ids"]
    states_with_cacs = sorted({cac_states[cac] for cac in cac_ids})
    grantees = [(chapter_ids[state], True, state) for state in states_with_cacs]
    grantees += [
        (cac, False, cac_states[cac]) for index, cac in enumerate(cac_ids) if index == 0 or rng.random() < 0.55
    ]
    # A grant starts by 45 days ago, and at least half a year before the program ends.
    latest = min(today - timedelta(days=45), program.ends_on - timedelta(days=183))
    span = max(0, (latest - program.starts_on).days)
    plans = []
    can_wait = add_months(today, 13) <= program.ends_on
    waiting = 0
    for index, (grantee, chapter, state) in enumerate(grantees):
        amount = Money(rng.randint(120, 380) * 1_000_00 if chapter else rng.randint(25, 120) * 1_000_00, "USD")
        # About one grant in twelve (the last two at least) not started yet: drafts and approvals in turn.
        pending = can_wait and (rng.random() < 0.08 or index >= len(grantees) - 2)
        if pending:
            starts_on = add_months(date(today.year, today.month, 1), rng.choice((1, 2)))
        elif chapter and rng.random() < 0.6:
            starts_on = add_months(program.starts_on, rng.choice((0, 1, 2)))
        else:
            offset = program.starts_on + timedelta(days=rng.randint(0, span))
            starts_on = date(offset.year, offset.month, 1)
        months = rng.choice((12, 18, 24, 24, 24))
        ends_on = min(add_months(starts_on, months) - timedelta(days=1), program.ends_on)
        creator = rng.choice(admins)
        plan = _GrantPlan(
            grantee=grantee,
            chapter=chapter,
            state=state,
            purpose=(
                f"Statewide TF-CBT workforce support, {state}"
                if chapter
                else "TF-CBT clinicians and caregiver services"
            ),
            amount=amount,
            starts_on=starts_on,
            ends_on=ends_on,
            status=GrantStatus.DRAFT,
            created_by=creator,
        )
        weights = [max(0, weight + rng.randint(-2, 2)) for weight in BUDGET_WEIGHTS.values()]
        plan.budget = {
            category: line
            for category, line in zip(BUDGET_WEIGHTS, allocate(amount, weights), strict=True)
            if line.minor > 0
        }
        if pending:
            waiting += 1
            if waiting % 2:
                plans.append(plan)  # a draft: nothing committed
                continue
        plan.approved_by = rng.choice([admin for admin in admins if admin != creator] or admins)
        if pending:
            plan.approved_on = today - timedelta(days=rng.randint(1, 20))
            plan.status = GrantStatus.APPROVED
        else:
            plan.approved_on = max(program.starts_on, starts_on - timedelta(days=rng.randint(14, 45)))
            plan.status = GrantStatus.ACTIVE
            if plan.ends_on < today - timedelta(days=45):
                plan.status = GrantStatus.CLOSED
                plan.closed_on = min(today, plan.ends_on + timedelta(days=rng.randint(30, 60)))
        plan.rate_on, plan.rate = rates.on(plan.approved_on)
        plan.in_fund = _euros(amount, plan.rate)
        plans.append(plan)
    return plans


def _receipts(
    ctx: GenerationContext,
    fund: Fund,
    rates: _Rates,
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
        day = _weekday(max(quarter, fund.starts_on) + timedelta(days=rng.randint(2, 12) if days else 0))
        while _target_closed(day):
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
            sent = max(sent, _euros(Money(needed * 11 // 10, "USD"), rate).minor)
        sent = min(sent, left)
        fee = rng.choice((2500, 3500, 4500))  # a wire transfer's fee, in cents
        arrived = _dollars(Money(sent, "EUR"), rate).minor - fee
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


# -- Tranches and payments ----------------------------------------------------------------------------------------


def _figure_days(program: Program, today: date) -> tuple[dict[str, list[date]], dict[int, list[date]]]:
    """The days the figures a tranche can wait for grew, as of today: each clinician trained, by state (a
    chapter's figure counts its state's CACs), and each child first referred, by CAC."""
    trained: dict[str, list[date]] = defaultdict(list)
    for clinician in funnel.program_clinicians(program):
        if clinician.trained_on and clinician.trained_on <= today:
            trained[clinician.state].append(clinician.trained_on)
    first: dict[tuple[int, int], date] = {}
    for org, child, referred_on in (
        Episode.objects.of_program(program)
        .filter(referred_on__lte=today)
        .values_list("organization_id", "child_id", "referred_on")
    ):
        if (org, child) not in first or referred_on < first[org, child]:
            first[org, child] = referred_on
    served: dict[int, list[date]] = defaultdict(list)
    for (org, _child), day in first.items():
        served[org].append(day)
    for days in (*trained.values(), *served.values()):
        days.sort()
    return trained, served


def _tranches_and_payments(
    ctx: GenerationContext,
    program: Program,
    plans: list[_GrantPlan],
    admins: list[int],
    rates: _Rates,
    today: date,
    threshold: int,
    exchange: Callable[..., _Posting],
) -> tuple[list[Tranche], list[Payment], list[tuple[Payment, _Posting]]]:
    """Four tranches a grant: an advance on its first day, one a third of the way, one when a figure of the
    grantee reaches a level (clinicians trained for a chapter, children served for a CAC), one two thirds of the
    way. A tranche whose day came is met; a person releases it a few days later, which proposes its payment; it is
    approved (by a second program admin above the threshold) and paid. The latest releases still wait for
    approval or payment."""
    rng = ctx.rng
    trained, served = _figure_days(program, today)
    tranches: list[Tranche] = []
    releases: list[tuple[_GrantPlan, Tranche, date, int]] = []
    for plan in plans:
        days = (plan.ends_on - plan.starts_on).days
        parts = allocate(plan.amount, [30, 25, 25, 20])
        figure_days = trained.get(plan.state, []) if plan.chapter else served.get(plan.grantee, [])
        reached_now = len(figure_days)
        level = max(1, round(reached_now * rng.uniform(0.45, 1.3))) if reached_now else rng.randint(5, 25)
        reached_on = figure_days[level - 1] if level <= reached_now else None
        schedule: list[tuple[date | None, str, int | None, date | None]] = [
            (plan.starts_on, "", None, plan.starts_on),
            (_weekday(plan.starts_on + timedelta(days=days // 3)), "", None, None),
            (
                None,
                TrancheMetric.CLINICIANS_TRAINED if plan.chapter else TrancheMetric.CHILDREN_SERVED,
                level,
                max(reached_on, plan.starts_on) + timedelta(days=rng.randint(1, 10)) if reached_on else None,
            ),
            (_weekday(plan.starts_on + timedelta(days=2 * days // 3)), "", None, None),
        ]
        for number, ((due_on, metric, level_, met_day), part) in enumerate(zip(schedule, parts, strict=True), 1):
            tranche = Tranche(
                organization_id=plan.grantee,
                grant=plan.row,
                number=number,
                amount_minor=part.minor,
                due_on=due_on,
                metric=metric,
                threshold=level_,
            )
            tranches.append(tranche)
            eligible = due_on if due_on else met_day
            last = plan.closed_on or today
            if plan.status not in (GrantStatus.ACTIVE, GrantStatus.CLOSED) or eligible is None or eligible > last:
                continue
            tranche.status, tranche.met_on = TrancheStatus.MET, eligible
            if metric:
                tranche.met_value = bisect.bisect_right(figure_days, eligible)
            released = min(last, eligible + timedelta(days=rng.randint(0, 5)))
            recent = plan.status == GrantStatus.ACTIVE and (today - eligible).days < 30
            if released > today or (recent and rng.random() < 0.35):
                continue  # met, waiting for a person to release it
            tranche.status = TrancheStatus.RELEASED
            tranche.released_by_id = releaser = rng.choice(admins)
            tranche.released_at = _at(released, 9)
            releases.append((plan, tranche, released, releaser))
    Tranche.objects.bulk_create(tranches, batch_size=2000)

    # The latest releases of running grants wait: first for approval, then for payment.
    running = sorted(
        (index for index, (plan, _t, _d, _r) in enumerate(releases) if plan.status == GrantStatus.ACTIVE),
        key=lambda index: (releases[index][2], index),
        reverse=True,
    )
    waiting = max(2, len(releases) // 40)
    awaiting_approval = set(running[:waiting])
    awaiting_payment = set(running[waiting : 2 * waiting])
    payments: list[Payment] = []
    postings: list[tuple[Payment, _Posting]] = []
    for index, (plan, tranche, released, creator) in enumerate(releases):
        amount = Money(tranche.amount_minor, "USD")
        needs_second = amount.minor > threshold
        last = plan.closed_on or today
        if rng.random() < 0.03:
            # A payment proposed with a mistake and cancelled; the tranche's live payment replaced it.
            cancelled = Payment(
                organization_id=plan.grantee,
                grant=plan.row,
                tranche=tranche,
                amount_minor=amount.minor,
                status=PaymentStatus.CANCELLED,
                created_by_id=creator,
                needs_second_approval=needs_second,
            )
            cancelled.created_at = _at(released, 11)
            payments.append(cancelled)
        payment = Payment(
            organization_id=plan.grantee,
            grant=plan.row,
            tranche=tranche,
            amount_minor=amount.minor,
            created_by_id=creator,
            needs_second_approval=needs_second,
        )
        payment.created_at = _at(released, 14)
        payments.append(payment)
        approved = min(last, released + timedelta(days=rng.randint(0, 3)))
        paid = min(last, _weekday(approved + timedelta(days=rng.randint(1, 5))))
        if index in awaiting_approval or approved > today:
            continue  # proposed
        others = [admin for admin in admins if admin != creator]
        payment.approved_by_id = rng.choice(others) if needs_second or rng.random() < 0.5 else creator
        payment.approved_at = _at(approved, 16)
        payment.status = PaymentStatus.APPROVED
        if index in awaiting_payment or paid > today:
            continue
        rate_on, rate = rates.on(paid)
        payment.status, payment.paid_on = PaymentStatus.PAID, paid
        payment.rate, payment.rate_on = rate, rate_on
        payment.fund_minor = _euros(amount, rate).minor
        posting = exchange(
            paid,
            "payment",
            plan.purpose,
            payment.approved_by_id,
            (f"payable:{plan.row.pk}", amount),
            ("bank", amount),
        )
        postings.append((payment, posting))
    return tranches, payments, postings


# -- Grantee reports ----------------------------------------------------------------------------------------------


def _periods(start: date, end: date, months: int, today: date) -> list[tuple[date, date]]:
    """The reporting periods of a grant begun by today: calendar quarters (``months`` 3) or half-years from its
    start (6), cut to its own period."""
    periods = []
    cursor = quarter_of(start) if months == 3 else start
    while cursor <= end and cursor <= today:
        following = add_months(cursor, months)
        last = quarter_end(cursor) if months == 3 else following - timedelta(days=1)
        periods.append((max(cursor, start), min(last, end)))
        cursor = following
    return periods


def _reports(ctx: GenerationContext, plans: list[_GrantPlan], admins: list[int], today: date) -> None:
    """A financial report each quarter and a narrative one each half-year of a running or closed grant, due 30
    days after the period. Most past ones accepted, some sent back, the latest awaiting review, some late (past
    due and not submitted); spending per budget line near the plan, and above the whole line on some grants."""
    rng = ctx.rng
    grantees = {plan.grantee for plan in plans}
    grantee_admins: dict[int, int] = {}
    for org_id, user_id in (
        Membership.objects.in_orgs(grantees)
        .filter(role=Role.ORG_ADMIN, is_active=True)
        .order_by("user_id")
        .values_list("organization_id", "user_id")
    ):
        grantee_admins.setdefault(org_id, user_id)
    reports: list[GrantReport] = []
    expenses: list[tuple[GrantReport, str, int]] = []
    started = [plan for plan in plans if plan.status in (GrantStatus.ACTIVE, GrantStatus.CLOSED)]
    overspending = {id(plan) for plan in started if rng.random() < 0.12}
    if started and not overspending:
        overspending.add(id(started[0]))
    for plan in started:
        submitter = grantee_admins.get(plan.grantee, plan.created_by)
        total_days = (plan.ends_on - plan.starts_on).days + 1
        spent: dict[str, int] = defaultdict(int)
        last_financial: GrantReport | None = None
        for kind, months in ((ReportKind.FINANCIAL, 3), (ReportKind.NARRATIVE, 6)):
            for period_start, period_end in _periods(plan.starts_on, plan.ends_on, months, today):
                due_on = period_end + timedelta(days=30)
                report = GrantReport(
                    organization_id=plan.grantee,
                    grant=plan.row,
                    kind=kind,
                    period_start=period_start,
                    period_end=period_end,
                    due_on=due_on,
                )
                reports.append(report)
                draw = rng.random()
                if due_on > today:
                    if period_end < today and draw < 0.3:
                        submitted = today - timedelta(days=rng.randint(0, (today - period_end).days))
                        _submit(report, submitter, submitted, kind)
                elif plan.status == GrantStatus.ACTIVE and draw < 0.08:
                    pass  # late: past due, not submitted
                else:
                    submitted = min(today, due_on - timedelta(days=rng.randint(-5, 20)))
                    submitted = max(submitted, period_end)
                    _submit(report, submitter, submitted, kind)
                    reviewed = submitted + timedelta(days=rng.randint(2, 14))
                    latest = plan.status == GrantStatus.ACTIVE and (today - due_on).days < 45
                    if reviewed <= today and not (latest and draw < 0.6):
                        report.reviewed_by_id = rng.choice(admins)
                        report.reviewed_at = _at(reviewed, 15)
                        if plan.status == GrantStatus.ACTIVE and rng.random() < 0.07:
                            report.status = ReportStatus.RETURNED
                            report.review_note = rng.choice(RETURN_NOTES)
                        else:
                            report.status = ReportStatus.ACCEPTED
                if kind == ReportKind.FINANCIAL and report.status != ReportStatus.DUE:
                    share = ((period_end - period_start).days + 1) / total_days
                    for category, line in plan.budget.items():
                        minor = int(line.minor * share * rng.uniform(0.55, 1.0))
                        spent[category] += minor
                        expenses.append((report, category, minor))
                    last_financial = report
        if id(plan) in overspending and last_financial is not None:
            # One line spent beyond its whole budget by the latest financial report.
            category = next((c for c in OVERSPENT_CATEGORIES if c in plan.budget), next(iter(plan.budget)))
            budgeted = plan.budget[category].minor
            extra = int(budgeted * rng.uniform(1.06, 1.35)) - spent[category]
            for index in range(len(expenses) - 1, -1, -1):
                report, found, minor = expenses[index]
                if report is last_financial and found == category:
                    expenses[index] = (report, category, minor + max(extra, 1))
                    break
    # At least one late report among running grants, so the screens show one.
    running = [report for report in reports if report.grant.status == GrantStatus.ACTIVE]
    if running and not any(r.status == ReportStatus.DUE and r.due_on < today for r in running):
        late = max((r for r in running if r.due_on < today), key=lambda r: r.due_on, default=None)
        if late is not None:
            _unsubmit(late)
            expenses = [row for row in expenses if row[0] is not late]
    GrantReport.objects.bulk_create(reports, batch_size=2000)
    insert_rows(
        ExpenseLine,
        ["organization", "report", "category", "amount_minor"],
        ((report.organization_id, report.pk, category, minor) for report, category, minor in expenses),
    )
    reminders = insert_rows(
        ReportReminder,
        ["organization", "report", "reminder_on", "sent_at"],
        (
            (report.organization_id, report.pk, day, _at(day, 8))
            for report in reports
            for day in (report.due_on - timedelta(days=days) for days in REMINDER_DAYS)
            if day <= today and (report.submitted_at is None or day < report.submitted_at.date())
        ),
    )
    ctx.count("grant reports", len(reports))
    ctx.count("expense lines", len(expenses))
    ctx.count("report reminders", reminders)


def _submit(report: GrantReport, by: int, on: date, kind: str) -> None:
    report.status = ReportStatus.SUBMITTED
    report.submitted_by_id = by
    report.submitted_at = _at(on, 11)
    if kind == ReportKind.NARRATIVE:
        report.narrative = NARRATIVES[report.period_start.toordinal() % len(NARRATIVES)]


def _unsubmit(report: GrantReport) -> None:
    report.status = ReportStatus.DUE
    report.submitted_by_id = report.submitted_at = report.reviewed_by_id = report.reviewed_at = None
    report.narrative = report.review_note = ""
