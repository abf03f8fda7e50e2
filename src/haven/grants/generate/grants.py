"""The generated grants: who gets one, when and how much (``plan_grants``), then their tranches and payments
(``tranches_and_payments``)."""

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from haven.care.models import Episode
from haven.core.dates import add_months
from haven.core.generation import GenerationContext
from haven.core.money import Money, allocate
from haven.programs.models import Program
from haven.training import funnel

from ..models import BudgetCategory, Grant, GrantStatus, Payment, PaymentStatus, Tranche, TrancheMetric, TrancheStatus
from .books import Books, Posting
from .days import Rates, at, to_euros, weekday

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
CAC_PURPOSES = (
    "TF-CBT clinicians and caregiver services",
    "Clinical supervision and consultation time for TF-CBT",
    "Trauma-focused mental health services for children and caregivers",
    "Backfill of clinicians' caseloads during TF-CBT training",
)
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


@dataclass
class GrantPlan:
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


def plan_grants(
    ctx: GenerationContext, program: Program, admins: list[int], rates: Rates, today: date
) -> list[GrantPlan]:
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
    # The demo's sign-ins (the first CAC's admin and its chapter's) see a running grant.
    demo = {cac_ids[0], chapter_ids[cac_states[cac_ids[0]]]}
    waiting = 0
    # Once the program has run a year and more, one grant at least is a short one from its start, closed by now
    # (otherwise whether any had closed would be left to the draws and to today's date).
    short_one_due = add_months(program.starts_on, 12) - timedelta(days=1) < today - timedelta(days=45)
    for index, (grantee, chapter, state) in enumerate(grantees):
        amount = Money(rng.randint(120, 380) * 1_000_00 if chapter else rng.randint(25, 120) * 1_000_00, "USD")
        # About one grant in twelve (the last two at least) not started yet: drafts and approvals in turn.
        pending = can_wait and grantee not in demo and (rng.random() < 0.08 or index >= len(grantees) - 2)
        if pending:
            starts_on = add_months(date(today.year, today.month, 1), rng.choice((1, 2)))
        elif chapter and rng.random() < 0.6:
            starts_on = add_months(program.starts_on, rng.choice((0, 1, 2)))
        else:
            offset = program.starts_on + timedelta(days=rng.randint(0, span))
            starts_on = date(offset.year, offset.month, 1)
        months = rng.choice((12, 18, 24, 24, 24))
        if short_one_due and not pending and grantee not in demo:
            starts_on, months, short_one_due = date(program.starts_on.year, program.starts_on.month, 1), 12, False
        ends_on = min(add_months(starts_on, months) - timedelta(days=1), program.ends_on)
        creator = rng.choice(admins)
        plan = GrantPlan(
            grantee=grantee,
            chapter=chapter,
            state=state,
            purpose=f"Statewide TF-CBT workforce support, {state}" if chapter else rng.choice(CAC_PURPOSES),
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
        plan.in_fund = to_euros(amount, plan.rate)
        plans.append(plan)
    return plans


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


def tranches_and_payments(
    ctx: GenerationContext,
    program: Program,
    plans: list[GrantPlan],
    admins: list[int],
    rates: Rates,
    today: date,
    threshold: int,
    books: Books,
) -> tuple[list[Tranche], list[Payment], list[tuple[Payment, Posting]]]:
    """Four tranches a grant: an advance on its first day, one a third of the way, one when a figure of the
    grantee reaches a level (clinicians trained for a chapter, children served for a CAC), one two thirds of the
    way. A tranche whose day came is met; a person releases it a few days later, which proposes its payment; it is
    approved (by a second program admin above the threshold) and paid. The latest releases still wait for
    approval or payment."""
    rng = ctx.rng
    trained, served = _figure_days(program, today)
    tranches: list[Tranche] = []
    releases: list[tuple[GrantPlan, Tranche, date, int]] = []
    for plan in plans:
        days = (plan.ends_on - plan.starts_on).days
        parts = allocate(plan.amount, [30, 25, 25, 20])
        figure_days = trained.get(plan.state, []) if plan.chapter else served.get(plan.grantee, [])
        reached_now = len(figure_days)
        level = max(1, round(reached_now * rng.uniform(0.45, 1.3))) if reached_now else rng.randint(5, 25)
        reached_on = figure_days[level - 1] if level <= reached_now else None
        schedule: list[tuple[date | None, str, int | None, date | None]] = [
            (plan.starts_on, "", None, plan.starts_on),
            (weekday(plan.starts_on + timedelta(days=days // 3)), "", None, None),
            (
                None,
                TrancheMetric.CLINICIANS_TRAINED if plan.chapter else TrancheMetric.CHILDREN_SERVED,
                level,
                max(reached_on, plan.starts_on) + timedelta(days=rng.randint(1, 10)) if reached_on else None,
            ),
            (weekday(plan.starts_on + timedelta(days=2 * days // 3)), "", None, None),
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
            tranche.released_at = at(released, 9)
            releases.append((plan, tranche, released, releaser))
    if not any(tranche.status == TrancheStatus.MET for tranche in tranches):
        # At least one tranche met and waiting for release, so the screens show one: the latest release.
        latest = max(
            (row for row in releases if row[0].status == GrantStatus.ACTIVE), key=lambda row: row[2], default=None
        )
        if latest is not None:
            releases = [row for row in releases if row is not latest]
            latest[1].status, latest[1].released_by_id, latest[1].released_at = TrancheStatus.MET, None, None
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
    postings: list[tuple[Payment, Posting]] = []
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
            cancelled.created_at = at(released, 11)
            payments.append(cancelled)
        payment = Payment(
            organization_id=plan.grantee,
            grant=plan.row,
            tranche=tranche,
            amount_minor=amount.minor,
            created_by_id=creator,
            needs_second_approval=needs_second,
        )
        payment.created_at = at(released, 14)
        payments.append(payment)
        approved = min(last, released + timedelta(days=rng.randint(0, 3)))
        paid = min(last, weekday(approved + timedelta(days=rng.randint(1, 5))))
        if index in awaiting_approval or approved > today:
            continue  # proposed
        others = [admin for admin in admins if admin != creator]
        payment.approved_by_id = rng.choice(others) if needs_second or rng.random() < 0.5 else creator
        payment.approved_at = at(approved, 16)
        payment.status = PaymentStatus.APPROVED
        if index in awaiting_payment or paid > today:
            continue
        rate_on, rate = rates.on(paid)
        payment.status, payment.paid_on = PaymentStatus.PAID, paid
        payment.rate, payment.rate_on = rate, rate_on
        payment.fund_minor = to_euros(amount, rate).minor
        posting = books.exchange(
            on=paid,
            kind="payment",
            memo=plan.purpose,
            actor=payment.approved_by_id,
            debit=(f"payable:{plan.row.pk}", amount),
            credit=("bank", amount),
        )
        postings.append((payment, posting))
    return tranches, payments, postings
