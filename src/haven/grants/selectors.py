"""Reads of the money pillar. Balances come from the ledger's legs (``ledger.balances``), never from a stored sum."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils.functional import Promise

from haven.accounts.models import User
from haven.core.money import HELD, Money, convert_by_euro_rates, total
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.selectors import tree_below
from haven.programs.models import Program, ProgramFunder
from haven.programs.selectors import programs_visible_to
from haven.reporting import selectors as reporting_selectors

from . import ecb, ledger, rates, version
from .models import (
    BudgetCategory,
    BudgetLine,
    EuroRate,
    ExpenseLine,
    Fund,
    Grant,
    GrantReport,
    GrantStatus,
    MoneyRules,
    Payment,
    PaymentStatus,
    Receipt,
    ReportKind,
    ReportStatus,
    Tranche,
    TrancheStatus,
)

GRANTEE_KINDS = (OrganizationKind.STATE_CHAPTER, OrganizationKind.CAC)
# What `services.money_rules` gives a program the first time: reminded two weeks and three days before, and the
# day after a report is late.
DEFAULT_REMINDER_DAYS = (14, 3, -1)


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


# -- The program admin's pages ------------------------------------------------------------------------------------


def program_shown(membership: Membership, wanted: str = "") -> Program:
    """The program a program admin's money page is about: ``wanted`` (the ``?program=`` id) among the programs of
    their national office, else the newest (``reporting.selectors.program_shown``). 404 for any other role."""
    if membership.role != Role.PROGRAM_ADMIN:
        raise Http404
    return reporting_selectors.program_shown(membership, wanted)


def funds_of_program(program: Program) -> QuerySet[Fund]:
    return Fund.objects.of_program(program).select_related("funder")


def funders_of_program(program: Program) -> list[Organization]:
    """The funders a fund of the program may come from: the program's own."""
    links = ProgramFunder.objects.in_org(program.organization_id).filter(program=program).select_related("funder")
    return sorted((link.funder for link in links), key=lambda funder: funder.name)


def grants_of_program(program: Program, *, status: str = "") -> QuerySet[Grant]:
    """The grants of a program's funds, with their grantee (and its chapter, for a CAC's state) and fund."""
    grants = Grant.objects.of_program(program).select_related("organization", "fund")
    return grants.filter(status=status) if status else grants


def grantees_of(program: Program) -> QuerySet[Organization]:
    """The organizations a grant of the program may go to: the chapters and CACs of its national office's tree."""
    national = program.organization_id
    return Organization.objects.filter(tree_below(national), kind__in=GRANTEE_KINDS, is_active=True).order_by(
        "state", "name"
    )


def access_fund(*, membership: Membership, fund_id: int) -> Fund:
    """A fund of the program admin's national office, else 404 (the same answer as a fund that does not exist)."""
    if membership.role != Role.PROGRAM_ADMIN:
        raise Http404
    try:
        return Fund.objects.in_org(membership.organization_id).select_related("program", "funder").get(pk=fund_id)
    except Fund.DoesNotExist:
        raise Http404 from None


def access_grant(*, membership: Membership, grant_id: int) -> Grant:
    """A grant from a fund of the program admin's national office to an organization of its tree, else 404. The
    grant belongs to its grantee: the scope is the national office's tree, and the fund must be the office's."""
    if membership.role != Role.PROGRAM_ADMIN:
        raise Http404
    tree = Organization.objects.filter(
        Q(parent_id=membership.organization_id) | Q(parent__parent_id=membership.organization_id)
    )
    try:
        return (
            Grant.objects.in_orgs(tree.values("pk"))
            .filter(fund__organization_id=membership.organization_id)
            .select_related("organization", "fund", "fund__program", "fund__funder", "approved_by")
            .get(pk=grant_id)
        )
    except Grant.DoesNotExist:
        raise Http404 from None


def receipts_of(fund: Fund) -> QuerySet[Receipt]:
    return Receipt.objects.in_org(fund.organization_id).filter(fund=fund).order_by("-received_on", "-id")


@dataclass(frozen=True)
class PlannedLine:
    category: str
    label: str | Promise
    amount: Money


@dataclass(frozen=True)
class GrantSummary:
    """What the grant page shows of a grant: its amount, its budget by category, and its commitment."""

    grant: Grant
    amount: Money
    budget: list[PlannedLine]
    committed: Money | None  # in the fund's currency, once approved

    @property
    def budget_total(self) -> Money:
        return total([row.amount for row in self.budget], self.amount.currency)


def grant_summary(grant: Grant, *, budget: dict[str, int] | None = None) -> GrantSummary:
    """``budget``: the grant's budget by category (``budget_of``), when already read."""
    lines = budget_of(grant) if budget is None else budget
    planned = [
        PlannedLine(category, label, Money(lines[category], grant.currency))
        for category, label in BudgetCategory.choices
        if category in lines
    ]
    committed = (
        Money(grant.committed_fund_minor, grant.fund.currency) if grant.committed_fund_minor is not None else None
    )
    return GrantSummary(grant, Money(grant.amount_minor, grant.currency), planned, committed)


def budget_of(grant: Grant) -> dict[str, int]:
    """A grant's budget by category, in minor units (for its form)."""
    return dict(
        BudgetLine.objects.in_org(grant.organization_id).filter(grant=grant).values_list("category", "amount_minor")
    )


def room_at_today(fund: Fund, amount: Money, day: date) -> tuple[Money, Money] | None:
    """What ``amount`` would commit from ``fund`` at the rate of ``day`` (last known), and what the fund has left
    to commit; None when no rate is known yet. The approval checks again at its own day's rate."""
    try:
        in_fund, _rate = rates.convert_on(amount, to=fund.currency, day=day)
    except rates.NoRate:
        return None
    (position,) = fund_positions([fund])
    return in_fund, position.available


def money_rules_of(program: Program) -> MoneyRules:
    """The program's money rules, or their defaults (unsaved) while it has none: a read never writes them."""
    found = MoneyRules.objects.in_org(program.organization_id).filter(program=program).first()
    return found or MoneyRules(
        organization_id=program.organization_id, program=program, reminder_days=list(DEFAULT_REMINDER_DAYS)
    )


# -- Tranches, payments and what the exchange did -----------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeRow:
    """A paid payment in the fund's currency: at the rate its grant was committed at, and at its own day's rate.
    ``gain`` is positive when the payment needed less of the fund than was committed for it (a gain), negative
    when it needed more (a loss)."""

    payment: Payment
    at_commitment: Money
    at_payment: Money

    @property
    def gain(self) -> Money:
        return self.at_commitment - self.at_payment


@dataclass(frozen=True)
class ExchangeResults:
    rows: list[ExchangeRow]
    total: Money


def at_committed_rate(grant: Grant, amount: Money) -> Money:
    """``amount`` (the grant's currency) in the fund's currency at the rate the grant was committed at."""
    fund_currency = grant.fund.currency
    if amount.currency == fund_currency:
        return amount
    (other,) = {amount.currency, fund_currency} - {"EUR"}
    return convert_by_euro_rates(amount, to=fund_currency, rates={other: grant.committed_rate or Decimal(0)})


def exchange_results(grant: Grant, payments: list[Payment] | None = None) -> ExchangeResults:
    """The exchange gain or loss of each paid payment of a grant between its commitment and its payment, in the
    fund's currency, and their total (``payments``: the grant's, when already read)."""
    if payments is None:
        payments = list(Payment.objects.in_org(grant.organization_id).filter(grant=grant))
    rows = [
        ExchangeRow(
            payment=payment,
            at_commitment=at_committed_rate(grant, Money(payment.amount_minor, grant.currency)),
            at_payment=Money(payment.fund_minor or 0, grant.fund.currency),
        )
        for payment in payments
        if payment.status == PaymentStatus.PAID and grant.committed_rate is not None
    ]
    return ExchangeResults(rows, total([row.gain for row in rows], grant.fund.currency))


@dataclass(frozen=True)
class PaymentLine:
    """A payment as its pages show it: why the reader may not approve it, and what the exchange did once paid."""

    payment: Payment
    amount: Money
    refused: str  # why the reader may not approve it ("" when they may, or when it is not awaiting approval)
    exchange: ExchangeRow | None


@dataclass(frozen=True)
class TrancheLine:
    tranche: Tranche
    amount: Money


@dataclass(frozen=True)
class TranchesPayments:
    """What the grant page's section on tranches and payments shows."""

    grant: Grant
    tranches: list[TrancheLine]
    payments: list[PaymentLine]
    owed: Money  # what the grant still owes, from the ledger
    waiting: Money  # payments proposed or approved, not yet paid
    paid: Money
    unplanned: Money  # the grant's amount not yet in a tranche
    exchange: ExchangeResults

    @property
    def amount(self) -> Money:
        return Money(self.grant.amount_minor, self.grant.currency)

    @property
    def can_plan(self) -> bool:
        return self.grant.status in (GrantStatus.DRAFT, GrantStatus.APPROVED)

    @property
    def can_pay(self) -> bool:
        return self.grant.status in (GrantStatus.APPROVED, GrantStatus.ACTIVE)


def _lines(payments: list[Payment], reader: User, grants: dict[int, Grant]) -> list[PaymentLine]:
    from . import services

    exchanges = {
        row.payment.pk: row
        for grant_id, grant in grants.items()
        for row in exchange_results(grant, [p for p in payments if p.grant_id == grant_id]).rows
    }
    # Who may approve is the same for every payment of one office's funds: read once, not once per payment.
    approves = {fund.pk: services.approves_payments(fund, reader) for fund in {grant.fund for grant in grants.values()}}
    return [
        PaymentLine(
            payment=payment,
            amount=Money(payment.amount_minor, grants[payment.grant_id].currency),
            refused=services.approval_refused(payment, reader, approves=approves[grants[payment.grant_id].fund_id])
            if payment.status == PaymentStatus.PROPOSED
            else "",
            exchange=exchanges.get(payment.pk),
        )
        for payment in payments
    ]


def tranches_payments(grant: Grant, reader: User) -> TranchesPayments:
    """A grant's tranches and payments with their amounts, in a few queries whatever their number."""
    from . import services

    tranches = list(Tranche.objects.in_org(grant.organization_id).filter(grant=grant).select_related("released_by"))
    payments = list(
        Payment.objects.in_org(grant.organization_id)
        .filter(grant=grant)
        .select_related("created_by", "approved_by", "tranche")
        .order_by("created_at", "id")
    )
    lines = _lines(payments, reader, {grant.pk: grant})
    currency = grant.currency

    def sum_of(statuses: tuple[str, ...]) -> Money:
        return Money(sum(p.amount_minor for p in payments if p.status in statuses), currency)

    return TranchesPayments(
        grant=grant,
        tranches=[TrancheLine(tranche, Money(tranche.amount_minor, currency)) for tranche in tranches],
        payments=lines,
        owed=services.grant_owed(grant),
        waiting=sum_of((PaymentStatus.PROPOSED, PaymentStatus.APPROVED)),
        paid=sum_of((PaymentStatus.PAID,)),
        unplanned=Money(grant.amount_minor - sum(t.amount_minor for t in tranches), currency),
        exchange=exchange_results(grant, payments),
    )


def payments_waiting(
    program: Program, reader: User, *, page: str | None = None, per_page: int = 25
) -> tuple[Page[Payment], list[PaymentLine]]:
    """One page (``per_page`` payments, the page numbered ``page``: the first when missing or wrong) of the
    program's payments awaiting approval or payment (the four-eyes queue), oldest first, and its lines: the queue
    reads and shows a page of payments however long it grows."""
    waiting = (
        Payment.objects.of_program(program)
        .filter(status__in=(PaymentStatus.PROPOSED, PaymentStatus.APPROVED))
        .select_related("grant__fund", "grant__organization", "created_by", "approved_by", "tranche")
        .order_by("created_at", "id")
    )
    shown = Paginator(waiting, per_page, allow_empty_first_page=True).get_page(page)
    payments = list(shown.object_list)
    return shown, _lines(payments, reader, {payment.grant_id: payment.grant for payment in payments})


def _admin_program(membership: Membership, **through: int) -> Program:
    """The program, run by the program admin's office, whose fund the row named by ``through`` lies under; 404
    otherwise (a row of another office and one that does not exist look the same)."""
    if membership.role != Role.PROGRAM_ADMIN:
        raise Http404
    fund = Fund.objects.in_org(membership.organization_id).filter(**through).select_related("program").first()
    if fund is None:
        raise Http404
    return fund.program


def grant_for_payments(*, membership: Membership, grant_id: int) -> Grant:
    """A grant of the program admin's office, for its tranches and payments."""
    program = _admin_program(membership, grants__pk=grant_id)
    return Grant.objects.of_program(program).select_related("fund__program", "organization").get(pk=grant_id)


def tranche_for_payments(*, membership: Membership, tranche_id: int) -> Tranche:
    program = _admin_program(membership, grants__tranches__pk=tranche_id)
    return Tranche.objects.of_program(program).select_related("grant__fund__program").get(pk=tranche_id)


def payment_for_payments(*, membership: Membership, payment_id: int) -> Payment:
    program = _admin_program(membership, grants__payments__pk=payment_id)
    return (
        Payment.objects.of_program(program)
        .select_related("grant__fund__program", "grant__organization", "created_by", "tranche")
        .get(pk=payment_id)
    )


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


# -- Grantee reports ------------------------------------------------------------------------------------------------

DUE_SOON_DAYS = 30  # a report due within this many days is "due soon" on the program admin's list
OPEN_REPORTS = (ReportStatus.DUE, ReportStatus.RETURNED)


def grants_of_grantee(membership: Membership) -> list[Grant]:
    """The grants made to the membership's own organization, once approved (a draft is the program's work). Its
    own only: a chapter does not see the grants of the CACs under it, nor a CAC its chapter's (each is a grantee of
    its own, answering for its own money)."""
    return list(
        Grant.objects.in_org(membership.organization_id)
        .exclude(status=GrantStatus.DRAFT)
        .select_related("fund")
        .order_by("-starts_on", "pk")
    )


def access_our_grant(*, membership: Membership, grant_id: int) -> Grant:
    """One of the grantee's own grants, else 404."""
    try:
        return (
            Grant.objects.in_org(membership.organization_id)
            .exclude(status=GrantStatus.DRAFT)
            .select_related("fund")
            .get(pk=grant_id)
        )
    except Grant.DoesNotExist:
        raise Http404 from None


def access_our_report(*, membership: Membership, report_id: int) -> GrantReport:
    """A report of one of the grantee's own grants, else 404."""
    try:
        return (
            GrantReport.objects.in_org(membership.organization_id)
            .exclude(grant__status=GrantStatus.DRAFT)
            .select_related("grant")
            .get(pk=report_id)
        )
    except GrantReport.DoesNotExist:
        raise Http404 from None


def _programs_run_by(membership: Membership) -> list[Program]:
    if membership.role != Role.PROGRAM_ADMIN:
        return []
    return list(programs_visible_to(membership))


def access_grant_to_review(*, membership: Membership, grant_id: int) -> Grant:
    """A grant of a program the program admin runs, else 404."""
    for program in _programs_run_by(membership):
        grant = Grant.objects.of_program(program).select_related("fund", "organization").filter(pk=grant_id).first()
        if grant is not None:
            return grant
    raise Http404


def access_report_to_review(*, membership: Membership, report_id: int) -> GrantReport:
    """A report on a grant of a program the program admin runs, else 404."""
    for program in _programs_run_by(membership):
        report = (
            GrantReport.objects.of_program(program)
            .select_related("grant", "grant__organization", "submitted_by", "reviewed_by")
            .filter(pk=report_id)
            .first()
        )
        if report is not None:
            return report
    raise Http404


@dataclass(frozen=True)
class BudgetRow:
    """One budget line against what accepted financial reports say was spent on it; ``pending`` is what a report
    waiting for review adds to it."""

    category: str
    budget: Money
    spent: Money
    pending: Money | None = None

    @property
    def label(self) -> str:
        return str(BudgetCategory(self.category).label)

    @property
    def left(self) -> Money:
        return self.budget - self.spent

    @property
    def overspent(self) -> bool:
        """Accepted spending to date exceeds the line's budget."""
        return self.spent > self.budget

    @property
    def would_overspend(self) -> bool:
        """Accepting the report waiting for review would take the line over its budget (and it was not yet)."""
        return self.pending is not None and not self.overspent and self.spent + self.pending > self.budget


def budget_rows(
    budget: dict[str, int], spent: dict[str, int], currency: str, pending: dict[str, int] | None = None
) -> list[BudgetRow]:
    """The rows of budget against actual, in the categories' order; a category spent on without a budget line
    (none can be reported, but a budget could change) shows with a budget of zero."""
    categories = [c for c in BudgetCategory.values if c in budget or c in spent or (pending and c in pending)]
    return [
        BudgetRow(
            category=category,
            budget=Money(budget.get(category, 0), currency),
            spent=Money(spent.get(category, 0), currency),
            pending=Money(pending.get(category, 0), currency) if pending is not None else None,
        )
        for category in categories
    ]


@dataclass
class GrantStanding:
    """A grant as its grantee and its reviewer see it: amount, paid, spent, budget against actual, reports."""

    grant: Grant
    paid: Money
    rows: list[BudgetRow]
    today: date  # the day "late" is judged on
    reports: list[GrantReport] = field(default_factory=list)

    @property
    def amount(self) -> Money:
        return Money(self.grant.amount_minor, self.grant.currency)

    @property
    def spent(self) -> Money:
        return Money(sum(row.spent.minor for row in self.rows), self.grant.currency)

    @property
    def overspent(self) -> list[BudgetRow]:
        return [row for row in self.rows if row.overspent]

    @property
    def open_reports(self) -> list[GrantReport]:
        return [report for report in self.reports if report.status in OPEN_REPORTS]

    @property
    def late(self) -> list[GrantReport]:
        return [report for report in self.open_reports if is_late(report, self.today)]


def is_late(report: GrantReport, today: date) -> bool:
    """A report not in (due, or sent back and not submitted again) after its due date."""
    return report.status in OPEN_REPORTS and report.due_on < today


def _accepted_spending(grants: list[Grant]) -> dict[int, dict[str, int]]:
    """Per grant and category, what its accepted financial reports say was spent, in one query."""
    spent: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        ExpenseLine.objects.in_orgs({grant.organization_id for grant in grants})
        .filter(
            report__grant__in=[grant.pk for grant in grants],
            report__kind=ReportKind.FINANCIAL,
            report__status=ReportStatus.ACCEPTED,
        )
        .values_list("report__grant_id", "category")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    for grant_id, category, spent_minor in rows:
        spent[grant_id][category] = int(spent_minor)
    return spent


def grant_standings(
    grants: list[Grant],
    today: date,
    *,
    with_reports: bool = True,
    budgets: dict[int, dict[str, int]] | None = None,
    paid: dict[int, int] | None = None,
) -> list[GrantStanding]:
    """Each grant's standing, in a fixed number of queries whatever the number of grants, payments or reports.
    ``budgets`` (per grant, by category) and ``paid`` (per grant, in minor units): when the page already read them,
    they are not read again."""
    if not grants:
        return []
    orgs, ids = {grant.organization_id for grant in grants}, [grant.pk for grant in grants]
    if budgets is None:
        budgets = {grant_id: {} for grant_id in ids}
        for grant_id, category, amount in (
            BudgetLine.objects.in_orgs(orgs).filter(grant__in=ids).values_list("grant_id", "category", "amount_minor")
        ):
            budgets[grant_id][category] = amount
    if paid is None:
        paid = dict(
            Payment.objects.in_orgs(orgs)
            .filter(grant__in=ids, status=PaymentStatus.PAID)
            .values_list("grant_id")
            .annotate(total=Sum("amount_minor"))
            .order_by()
        )
    reports: dict[int, list[GrantReport]] = defaultdict(list)
    if with_reports:
        for report in GrantReport.objects.in_orgs(orgs).filter(grant__in=ids).order_by("due_on", "kind", "pk"):
            reports[report.grant_id].append(report)
    spent = _accepted_spending(grants)
    return [
        GrantStanding(
            grant=grant,
            paid=Money(int(paid.get(grant.pk, 0)), grant.currency),
            rows=budget_rows(budgets.get(grant.pk, {}), spent.get(grant.pk, {}), grant.currency),
            reports=reports[grant.pk],
            today=today,
        )
        for grant in grants
    ]


def report_lines(report: GrantReport) -> dict[str, int]:
    """What a financial report says was spent per category, in minor units."""
    return dict(
        ExpenseLine.objects.in_org(report.organization_id).filter(report=report).values_list("category", "amount_minor")
    )


def report_review(report: GrantReport, today: date) -> tuple[GrantStanding, dict[str, int]]:
    """The grant's standing with a submitted financial report's lines as ``pending`` (what accepting it would
    add), and the report's own lines."""
    lines = report_lines(report) if report.kind == ReportKind.FINANCIAL else {}
    standing = grant_standings([report.grant], today)[0]
    if report.kind == ReportKind.FINANCIAL and report.status == ReportStatus.SUBMITTED:
        budget = {row.category: row.budget.minor for row in standing.rows}
        spent = {row.category: row.spent.minor for row in standing.rows}
        standing.rows = budget_rows(budget, spent, report.grant.currency, pending=lines)
    return standing, lines


@dataclass
class ReportsBoard:
    """A program's grantee reports as its admin works through them."""

    submitted: list[GrantReport]
    due_soon: list[GrantReport]
    late: list[GrantReport]


def program_reports(program: Program, today: date) -> ReportsBoard:
    """Reports waiting for review, reports due within ``DUE_SOON_DAYS`` and late reports, in two queries."""
    reports = list(
        GrantReport.objects.of_program(program)
        .filter(status__in=(ReportStatus.SUBMITTED, *OPEN_REPORTS), due_on__lte=today + timedelta(days=DUE_SOON_DAYS))
        .exclude(grant__status=GrantStatus.DRAFT)
        .select_related("grant", "grant__organization")
        .order_by("due_on", "pk")
    )
    submitted = list(
        GrantReport.objects.of_program(program)
        .filter(status=ReportStatus.SUBMITTED)
        .select_related("grant", "grant__organization")
        .order_by("submitted_at", "pk")
    )
    return ReportsBoard(
        submitted=submitted,
        due_soon=[r for r in reports if r.status in OPEN_REPORTS and r.due_on >= today],
        late=[r for r in reports if is_late(r, today)],
    )


def grant_reports_section(
    grant: Grant, today: date, *, budget: dict[str, int] | None = None, paid: Money | None = None
) -> dict[str, object]:
    """The context of ``grants/_reports.html`` on the program admin's grant page: the grant's reports, late ones
    marked, and its budget against actual with overspending flagged (``budget`` and ``paid``: when the page already
    read them for its other sections)."""
    standing = grant_standings(
        [grant],
        today,
        budgets=None if budget is None else {grant.pk: budget},
        paid=None if paid is None else {grant.pk: paid.minor},
    )[0]
    return {"standing": standing, "reports": standing.reports, "today": today}


# -- The money figures' facts (reporting.money reads these) --------------------------------------------------------

MONEY_CACHE_SECONDS = version.TIMEOUT


def money_version(program: Program) -> str:
    """The token the program's money figures are cached under: it moves with every write to its money
    (``version``), inside the writing transaction, so a figure cached under it is never older than the last commit."""
    return version.current(program)


# A fixed number of queries, whatever the number of payments, receipts or reports: every sum is made in the
# database, grouped by fund or grant, kind and month (a figure's quarters are made of its months).


class FundFacts(NamedTuple):
    id: int
    name: str
    funder_id: int
    currency: str
    amount_minor: int
    starts_on: date
    ends_on: date


class GrantFacts(NamedTuple):
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
    ``until`` (inclusive). The database sums by day (a plain column: truncating each row's date to its month is a
    function call per row on SQLite), and the days are added up into their months here."""
    from django.db.models import Sum

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
    ledger_rows: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0])
    for grant_id, fund_id, code, kind, day, summed in (
        legs.filter(account__code__regex=r"^(payable|committed|pledge):")
        .values("account__grant_id", "account__fund_id", "account__code", "transaction__kind", "transaction__on")
        .annotate(total=Sum("amount_minor"))
        .values_list(
            "account__grant_id", "account__fund_id", "account__code", "transaction__kind", "transaction__on", "total"
        )
        .order_by()
    ):
        account_kind = code.split(":", 1)[0]
        owner = grant_id if account_kind == "payable" else fund_id
        ledger_rows[account_kind, owner, kind, day.replace(day=1)][0] += int(summed or 0)
    paid_rows: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for grant_id, day, amount, in_fund in (
        payments.values("grant_id", "paid_on")
        .annotate(amount=Sum("amount_minor"), in_fund=Sum("fund_minor"))
        .values_list("grant_id", "paid_on", "amount", "in_fund")
        .order_by()
    ):
        sums = paid_rows[grant_id, day.replace(day=1)]
        sums[0], sums[1] = sums[0] + int(amount or 0), sums[1] + int(in_fund or 0)
    received_rows: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for fund_id, day, sent, arrived in (
        receipts.values("fund_id", "received_on")
        .annotate(sent=Sum("amount_minor"), arrived=Sum("arrived_minor"))
        .values_list("fund_id", "received_on", "sent", "arrived")
        .order_by()
    ):
        sums = received_rows[fund_id, day.replace(day=1)]
        sums[0], sums[1] = sums[0] + int(sent or 0), sums[1] + int(arrived or 0)
    spent_rows: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0])
    for grant_id, day, amount in (
        ExpenseLine.objects.in_orgs(reports.values("organization_id"))
        .filter(report__in=reports.values("pk"))
        .values("report__grant_id", "report__period_end")
        .annotate(amount=Sum("amount_minor"))
        .values_list("report__grant_id", "report__period_end", "amount")
        .order_by()
    ):
        spent_rows[grant_id, day.replace(day=1)][0] += int(amount or 0)

    def flat(rows: dict[tuple[Any, ...], list[int]]) -> tuple[Any, ...]:
        return tuple((*key, *sums) for key, sums in rows.items())

    return MoneyFacts(
        currency, fund_rows, grant_rows, flat(ledger_rows), flat(paid_rows), flat(received_rows), flat(spent_rows)
    )


# -- What waits on the home page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyToDo:
    """What the money pillar asks of a program admin (payments to approve or pay, tranches met to release, reports
    to review) or of a grantee's admin (reports late, and due within ``DUE_SOON_DAYS``): counts, with their pages."""

    payments_to_approve: int = 0
    payments_to_pay: int = 0
    tranches_to_release: int = 0
    reports_to_review: int = 0
    reports_late: int = 0
    reports_due_soon: int = 0

    def __bool__(self) -> bool:
        return any(vars(self).values())


def money_todo(membership: Membership, today: date) -> MoneyToDo:
    """Counts: a program admin's across the programs of their office (three queries a program), a grantee admin's
    for its own organization's grants (one query)."""
    if membership.role == Role.PROGRAM_ADMIN:
        found = MoneyToDo()
        for program in programs_visible_to(membership):
            counts = Payment.objects.of_program(program).aggregate(
                approve=Count("pk", filter=Q(status=PaymentStatus.PROPOSED)),
                pay=Count("pk", filter=Q(status=PaymentStatus.APPROVED)),
            )
            found = MoneyToDo(
                payments_to_approve=found.payments_to_approve + counts["approve"],
                payments_to_pay=found.payments_to_pay + counts["pay"],
                tranches_to_release=found.tranches_to_release
                + Tranche.objects.of_program(program).filter(status=TrancheStatus.MET).count(),
                reports_to_review=found.reports_to_review
                + GrantReport.objects.of_program(program).filter(status=ReportStatus.SUBMITTED).count(),
            )
        return found
    if membership.role == Role.ORG_ADMIN and membership.organization.kind in GRANTEE_KINDS:
        open_reports = GrantReport.objects.in_org(membership.organization_id).filter(
            status__in=OPEN_REPORTS, grant__status__in=(GrantStatus.APPROVED, GrantStatus.ACTIVE, GrantStatus.CLOSED)
        )
        counts = open_reports.aggregate(
            late=Count("pk", filter=Q(due_on__lt=today)),
            soon=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=DUE_SOON_DAYS))),
        )
        return MoneyToDo(reports_late=counts["late"], reports_due_soon=counts["soon"])
    return MoneyToDo()
