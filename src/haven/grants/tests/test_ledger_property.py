"""The books hold after any sequence of the program admin's money operations: funds pledged, receipts, euro rates
published, grants drafted, approved on any day at that day's rate, started and closed (payments are left out here).

After every step: the ledger's legs sum to zero in every currency; no fund has committed more than it holds; what a
fund has committed is exactly the commitments of its open grants; and no fund has received more than was pledged.
"""

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from haven.accounts.models import User
from haven.core.money import Money, allocate
from haven.grants import ledger, selectors, services
from haven.grants.models import BudgetCategory, EuroRate, Fund, Grant, GrantStatus, LedgerLeg
from haven.organizations.models import Organization
from haven.programs.models import Program

FIRST_DAY = date(2025, 1, 1)
DAYS = st.integers(min_value=0, max_value=3 * 365).map(lambda n: FIRST_DAY + timedelta(days=n))
CURRENCIES = st.sampled_from(["EUR", "USD"])
OPEN = (GrantStatus.APPROVED, GrantStatus.ACTIVE)


class Books(RuleBasedStateMachine):
    """One example: its operations are rolled back at the end (a savepoint inside the test's transaction)."""

    program: ClassVar[Program]
    funder: ClassVar[Organization]
    grantees: ClassVar[list[Organization]]
    admin: ClassVar[User]

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.funds: list[Fund] = []
        self.grants: list[Grant] = []
        EuroRate.objects.create(currency="USD", on=FIRST_DAY, rate=Decimal("1.0850"))

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    def _pick(self, items: list[Any], index: int) -> Any:
        return items[index % len(items)]

    def _with(self, status: str) -> list[Grant]:
        for grant in self.grants:
            grant.refresh_from_db(fields=["status"])
        return [grant for grant in self.grants if grant.status == status]

    @rule(currency=CURRENCIES, minor=st.integers(min_value=1, max_value=10**10), start=DAYS)
    def pledge_a_fund(self, currency: str, minor: int, start: date) -> None:
        fund = services.fund_create(
            actor=self.admin,
            program=self.program,
            funder=self.funder,
            name=f"Fund {len(self.funds) + 1}",
            amount=Money(minor, currency),
            starts_on=start,
            ends_on=start + timedelta(days=730),
        )
        self.funds.append(fund)

    @precondition(lambda self: self.funds)
    @rule(index=st.integers(min_value=0), sent=st.integers(min_value=1, max_value=10**10), day=DAYS, data=st.data())
    def receive(self, index: int, sent: int, day: date, data: Any) -> None:
        fund = self._pick(self.funds, index)
        arrived = data.draw(st.integers(min_value=1, max_value=2 * 10**10), label="arrived")
        # Refused when more than the funder still owes on the fund, or different amounts in one currency.
        with contextlib.suppress(ValidationError):
            services.receipt_record(
                actor=self.admin,
                fund=fund,
                received_on=day,
                sent=Money(sent, fund.currency),
                arrived=Money(arrived, "USD"),
            )

    @rule(day=DAYS, rate=st.decimals(min_value=Decimal("0.8"), max_value=Decimal("1.6"), places=4))
    def publish_a_rate(self, day: date, rate: Decimal) -> None:
        EuroRate.objects.update_or_create(currency="USD", on=day, defaults={"rate": rate})

    @precondition(lambda self: self.funds)
    @rule(
        index=st.integers(min_value=0),
        grantee=st.integers(min_value=0),
        currency=CURRENCIES,
        minor=st.integers(min_value=1, max_value=10**9),
        weights=st.lists(st.integers(min_value=0, max_value=100), min_size=8, max_size=8).filter(any),
    )
    def draft_a_grant(self, index: int, grantee: int, currency: str, minor: int, weights: list[int]) -> None:
        fund = self._pick(self.funds, index)
        amount = Money(minor, currency)
        budget = dict(zip(BudgetCategory.values, allocate(amount, weights), strict=True))
        grant = services.grant_save(
            actor=self.admin,
            fund=fund,
            grant=None,
            grantee=self._pick(self.grantees, grantee),
            purpose=f"Grant {len(self.grants) + 1}",
            amount=amount,
            starts_on=fund.starts_on,
            ends_on=fund.ends_on,
            budget={category: line for category, line in budget.items() if line.minor},
        )
        self.grants.append(grant)

    @precondition(lambda self: self.grants)
    @rule(index=st.integers(min_value=0), day=DAYS)
    def approve(self, index: int, day: date) -> None:
        drafts = self._with(GrantStatus.DRAFT)
        if not drafts:
            return
        # Refused beyond the fund's room at the day's rate, or with no rate known yet.
        with contextlib.suppress(ValidationError):
            services.grant_approve(actor=self.admin, grant=self._pick(drafts, index), on=day)

    @precondition(lambda self: self.grants)
    @rule(index=st.integers(min_value=0))
    def start(self, index: int) -> None:
        approved = self._with(GrantStatus.APPROVED)
        if approved:
            services.grant_activate(actor=self.admin, grant=self._pick(approved, index))

    @precondition(lambda self: self.grants)
    @rule(index=st.integers(min_value=0), day=DAYS)
    def close(self, index: int, day: date) -> None:
        open_grants = [grant for status in OPEN for grant in self._with(status)]
        if open_grants:
            services.grant_close(actor=self.admin, grant=self._pick(open_grants, index), on=day)

    @invariant()
    def the_legs_sum_to_zero_in_every_currency(self) -> None:
        legs = LedgerLeg.objects.in_org(self.program.organization_id).values_list("currency", "amount_minor")
        assert ledger.imbalance(legs) == {}

    @invariant()
    def every_fund_holds_what_its_open_grants_committed(self) -> None:
        if not self.funds:
            return
        commitments: dict[int, int] = {fund.pk: 0 for fund in self.funds}
        for fund_id, minor in (
            Grant.objects.of_program(self.program).filter(status__in=OPEN).values_list("fund", "committed_fund_minor")
        ):
            commitments[fund_id] += minor
        for position in selectors.fund_positions(self.funds):
            zero = Money.zero(position.fund.currency)
            assert position.available >= zero
            assert position.committed == Money(commitments[position.fund.pk], position.fund.currency)
            assert zero <= position.received <= position.pledged


@pytest.mark.django_db
def test_the_books_hold_after_any_sequence_of_operations(
    program: Program, funder: Organization, chapter: Organization, cac: Organization, program_admin: User
) -> None:
    Books.program, Books.funder, Books.grantees, Books.admin = program, funder, [chapter, cac], program_admin
    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
