"""The generator's money obeys the rules the services keep: the books balance in every currency, no fund is
committed beyond what it holds, no tranche is paid twice, four eyes above the threshold; and every screen has its
cases (late reports, overspent lines, payments waiting for approval, drafts).

Generating the demo scale takes several seconds, so the module generates once, inside a transaction rolled back
after its last test; each test then runs in its own savepoint.
"""

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from haven.core.money import Money, convert_by_euro_rates
from haven.grants import ledger, rates
from haven.grants.ecb import easter, target_closed
from haven.grants.generate.days import synthetic_usd_rates
from haven.grants.models import (
    BudgetLine,
    EuroRate,
    ExpenseLine,
    Fund,
    Grant,
    GrantReport,
    GrantStatus,
    LedgerLeg,
    MoneyRules,
    Payment,
    PaymentStatus,
    Receipt,
    ReportStatus,
    Tranche,
    TrancheStatus,
)
from haven.organizations.roles import OrganizationKind
from haven.programs.models import Program


@pytest.fixture(scope="module")
def generated_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("generate", "--scale", "demo", "--seed", "5", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def program(generated_db: None, db: None) -> Program:
    return Program.objects.dangerously_unscoped().get()


def _legs_off_balance() -> list[dict[str, Any]]:
    """Every (transaction, currency) whose legs do not sum to zero."""
    return list(
        LedgerLeg.objects.dangerously_unscoped()
        .values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )


def test_the_ledger_balances_in_every_currency(program: Program) -> None:
    legs = LedgerLeg.objects.dangerously_unscoped()
    assert legs.values("currency").distinct().count() == 2  # dollars and euros
    assert not _legs_off_balance()
    for currency in ("USD", "EUR"):
        assert legs.filter(currency=currency).aggregate(total=Sum("amount_minor"))["total"] == 0
    # Every leg is in its account's currency.
    assert not legs.exclude(currency=F("account__currency")).exists()


def test_the_books_agree_with_the_rows(program: Program) -> None:
    """Receipts, commitments and payments are in the ledger as their rows say, and the bank is never overdrawn."""
    fund = Fund.objects.of_program(program).get()
    codes = ["bank", f"pledge:{fund.pk}", f"committed:{fund.pk}"]
    found = ledger.balances_by_code(program, codes)
    receipts = Receipt.objects.in_org(program.organization_id).filter(fund=fund)
    paid = Payment.objects.of_program(program).filter(status=PaymentStatus.PAID)
    arrived = receipts.aggregate(total=Sum("arrived_minor"))["total"]
    assert found["bank"] == Money(arrived - paid.aggregate(total=Sum("amount_minor"))["total"], "USD")
    sent = receipts.aggregate(total=Sum("amount_minor"))["total"]
    assert found[f"pledge:{fund.pk}"] == Money(fund.amount_minor - sent, "EUR")
    # What the funder sent arrived, in dollars, at about the day's rate (less a bank's fee).
    for receipt in receipts:
        rate = rates.rate_on("USD", receipt.received_on)
        expected = convert_by_euro_rates(Money(receipt.amount_minor, "EUR"), to="USD", rates={"USD": rate.rate})
        assert 0 < expected.minor - receipt.arrived_minor <= 10_000, receipt.pk
    # A paid payment carries the rate of its day (the last one published) and its value in euros at that rate.
    for payment in paid:
        assert payment.transaction_id is not None
        rate = rates.rate_on("USD", payment.paid_on)
        assert (payment.rate_on, payment.rate) == (rate.on, rate.rate)
        euros = convert_by_euro_rates(Money(payment.amount_minor, "USD"), to="EUR", rates={"USD": rate.rate})
        assert payment.fund_minor == euros.minor
    # The bank never goes below zero: the funder's money arrives before it is paid out.
    balance = 0
    for _on, minor in (
        LedgerLeg.objects.in_org(program.organization_id)
        .filter(account__code="bank")
        .order_by("transaction__on", "-amount_minor")
        .values_list("transaction__on", "amount_minor")
    ):
        balance += minor
        assert balance >= 0
    # A closed grant owes nothing: what it did not pay went back to the fund.
    for grant in Grant.objects.of_program(program).filter(status=GrantStatus.CLOSED):
        assert ledger.balances_by_code(program, [f"payable:{grant.pk}"])[f"payable:{grant.pk}"].minor == 0


def test_no_grant_commits_more_than_its_fund(program: Program) -> None:
    funds = list(Fund.objects.of_program(program))
    assert [fund.currency for fund in funds] == ["EUR"]  # one fund, in euros
    for fund in funds:
        grants = Grant.objects.of_program(program).filter(fund=fund).exclude(status=GrantStatus.DRAFT)
        committed = grants.aggregate(total=Sum("committed_fund_minor"))["total"]
        in_books = ledger.balances_by_code(program, [f"committed:{fund.pk}"])[f"committed:{fund.pk}"]
        assert 0 < in_books.minor <= committed <= fund.amount_minor
        # The grants use most of the fund, but not all of it.
        assert committed >= fund.amount_minor * 7 // 10
        for grant in grants:
            rate = rates.rate_on("USD", grant.approved_on)
            assert (grant.committed_rate_on, grant.committed_rate) == (rate.on, rate.rate)
            euros = convert_by_euro_rates(Money(grant.amount_minor, "USD"), to="EUR", rates={"USD": rate.rate})
            assert grant.committed_fund_minor == euros.minor


def test_budgets_split_each_grant_exactly(program: Program) -> None:
    budgets = dict(
        BudgetLine.objects.of_program(program)
        .values("grant_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("grant_id", "total")
    )
    tranches = dict(
        Tranche.objects.of_program(program)
        .values("grant_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("grant_id", "total")
    )
    grants = list(Grant.objects.of_program(program).select_related("organization"))
    for grant in grants:
        assert budgets[grant.pk] == grant.amount_minor
        assert tranches[grant.pk] == grant.amount_minor
        assert grant.organization.kind in (OrganizationKind.STATE_CHAPTER, OrganizationKind.CAC)
    kinds = Counter(grant.organization.kind for grant in grants)
    assert kinds[OrganizationKind.STATE_CHAPTER] > 0 and kinds[OrganizationKind.CAC] > 0
    statuses = Counter(grant.status for grant in grants)
    assert statuses[GrantStatus.ACTIVE] > len(grants) / 2
    assert statuses[GrantStatus.CLOSED] > 0 and statuses[GrantStatus.DRAFT] > 0 and statuses[GrantStatus.APPROVED] > 0


def test_no_tranche_has_two_live_payments(program: Program) -> None:
    tranches = Tranche.objects.of_program(program).annotate(
        live=Count("payments", filter=~Q(payments__status=PaymentStatus.CANCELLED))
    )
    assert not tranches.filter(live__gt=1).exists()
    # A released tranche has its one payment; one not released has none.
    assert not tranches.filter(status=TrancheStatus.RELEASED, live=0).exists()
    assert not tranches.exclude(status=TrancheStatus.RELEASED).filter(live__gt=0).exists()
    assert tranches.filter(status=TrancheStatus.MET).exists()  # met, waiting for a person to release it
    assert tranches.filter(due_on__isnull=True, status=TrancheStatus.RELEASED).exists()  # a figure reached
    for tranche in tranches.filter(due_on__isnull=True).exclude(status=TrancheStatus.WAITING):
        assert tranche.met_value is not None and tranche.met_value >= tranche.threshold


def test_payments_above_the_threshold_have_a_second_approver(program: Program) -> None:
    threshold = MoneyRules.objects.in_org(program.organization_id).get(program=program).second_approval_above_minor
    payments = Payment.objects.of_program(program)
    above = payments.filter(amount_minor__gt=threshold)
    assert above.filter(status=PaymentStatus.PAID).exists()
    assert not above.filter(needs_second_approval=False).exists()
    for payment in above.filter(approved_by__isnull=False):
        assert payment.approved_by_id != payment.created_by_id, payment.pk
    statuses = Counter(payments.values_list("status", flat=True))
    assert statuses[PaymentStatus.PROPOSED] > 0 and statuses[PaymentStatus.APPROVED] > 0
    assert statuses[PaymentStatus.PAID] > statuses[PaymentStatus.PROPOSED] + statuses[PaymentStatus.APPROVED]


def test_late_and_overspent_cases_exist(program: Program) -> None:
    today = timezone.now().date()
    reports = GrantReport.objects.of_program(program)
    late = reports.filter(status=ReportStatus.DUE, due_on__lt=today, grant__status=GrantStatus.ACTIVE)
    assert late.exists()
    statuses = set(reports.values_list("status", flat=True))
    assert statuses == {ReportStatus.DUE, ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.RETURNED}
    assert not reports.filter(submitted_at__isnull=True).exclude(status=ReportStatus.DUE).exists()
    spent: dict[tuple[int, str], int] = defaultdict(int)
    for grant_id, category, minor in ExpenseLine.objects.in_orgs(
        set(reports.values_list("organization_id", flat=True))
    ).values_list("report__grant_id", "category", "amount_minor"):
        spent[grant_id, category] += minor
    budget = {
        (grant_id, category): minor
        for grant_id, category, minor in BudgetLine.objects.of_program(program).values_list(
            "grant_id", "category", "amount_minor"
        )
    }
    overspent = [key for key, minor in spent.items() if minor > budget[key]]
    assert overspent
    assert len(overspent) < len(spent) / 5  # a few lines, not the rule
    # Only a submitted report has spending.
    assert not ExpenseLine.objects.in_orgs(set(reports.values_list("organization_id", flat=True))).filter(
        report__status=ReportStatus.DUE
    )


def test_rates_cover_every_working_day_and_no_other(program: Program) -> None:
    today = timezone.now().date()
    days = set(EuroRate.objects.filter(currency="USD").values_list("on", flat=True))
    first, last = program.starts_on - timedelta(days=365), min(today, program.ends_on)
    day = first
    while day <= last:
        assert (day in days) == (not target_closed(day)), day
        day += timedelta(days=1)
    assert max(days) <= today
    values = set(EuroRate.objects.filter(currency="USD").values_list("rate", flat=True))
    assert all(
        Decimal("1.08") <= rate <= Decimal("1.17") and rate == rate.quantize(Decimal("0.0001")) for rate in values
    )
    assert len(values) > 50  # it moves


def test_target_closing_days() -> None:
    assert easter(2025) == date(2025, 4, 20) and easter(2024) == date(2024, 3, 31)
    closed = [date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1), date(2025, 12, 25)]
    assert all(target_closed(day) for day in closed)
    assert all(target_closed(day) for day in (date(2025, 12, 26), date(2025, 11, 29), date(2025, 11, 30)))
    assert not any(target_closed(day) for day in (date(2025, 4, 17), date(2025, 4, 22), date(2025, 12, 24)))
    history = synthetic_usd_rates(date(2025, 1, 1), date(2025, 12, 31), "7")
    assert history == synthetic_usd_rates(date(2025, 1, 1), date(2025, 12, 31), "7")  # deterministic
    assert len(history) == 255  # 2025's ECB working days
    assert history != synthetic_usd_rates(date(2025, 1, 1), date(2025, 12, 31), "8")


def test_the_generated_money_moved_the_programs_money_version(program: Program) -> None:
    """The generator writes in bulk, past the services: it moves the money version itself, so figures cached for
    the program before it wrote (a database generated again under a running process) are not read again."""
    from haven.grants import selectors
    from haven.grants.models import MoneyVersion

    assert MoneyVersion.objects.in_org(program.organization_id).filter(program=program).exists()
    assert not selectors.money_version(program).startswith("new-")
