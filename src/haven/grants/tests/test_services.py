"""The money services keep the books: each write posts a balanced transaction, and what a fund holds bounds what
its grants commit."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from haven.core.money import Money
from haven.grants import ledger, selectors, services
from haven.grants.models import BudgetCategory, GrantStatus, LedgerLeg


def _grant(fund, grantee, actor, dollars: str):
    amount = Money.of(dollars, "USD")
    personnel, other = amount.minor * 3 // 4, amount.minor - amount.minor * 3 // 4
    return services.grant_save(
        actor=actor,
        fund=fund,
        grant=None,
        grantee=grantee,
        purpose="Train clinicians",
        amount=amount,
        starts_on=fund.starts_on,
        ends_on=fund.ends_on,
        budget={BudgetCategory.PERSONNEL: Money(personnel, "USD"), BudgetCategory.OTHER: Money(other, "USD")},
    )


def _legs_balance(program) -> dict[str, int]:
    legs = LedgerLeg.objects.in_org(program.organization).values_list("currency", "amount_minor")
    return ledger.imbalance(legs)


def test_a_fund_receipt_and_commitment_keep_the_books_balanced(fund, chapter, program_admin) -> None:
    services.receipt_record(
        actor=program_admin,
        fund=fund,
        received_on=fund.starts_on + timedelta(days=10),
        sent=Money.of("400000", "EUR"),
        arrived=Money.of("434000", "USD"),
    )
    grant = _grant(fund, chapter, program_admin, "108500")
    services.grant_approve(actor=program_admin, grant=grant, on=fund.starts_on + timedelta(days=14))

    (position,) = selectors.fund_positions([fund])
    assert position.received == Money.of("400000", "EUR")
    assert position.committed == Money.of("100000", "EUR")  # 108,500 dollars at 1.085 dollars a euro
    assert position.available == Money.of("900000", "EUR")
    assert _legs_balance(fund.program) == {}


def test_a_grant_never_commits_more_than_its_fund_has_left(fund, chapter, cac, program_admin) -> None:
    day = fund.starts_on + timedelta(days=14)
    first = _grant(fund, chapter, program_admin, "1000000")  # 921,658.99 euros
    services.grant_approve(actor=program_admin, grant=first, on=day)
    second = _grant(fund, cac, program_admin, "100000")  # 92,165.90 euros: more than the 78,341.01 left
    with pytest.raises(ValidationError):
        services.grant_approve(actor=program_admin, grant=second, on=day)
    second.refresh_from_db()
    assert second.status == GrantStatus.DRAFT


def test_closing_a_grant_gives_its_fund_back_what_was_not_paid(fund, chapter, program_admin) -> None:
    grant = _grant(fund, chapter, program_admin, "108500")
    day = fund.starts_on + timedelta(days=14)
    services.grant_approve(actor=program_admin, grant=grant, on=day)
    services.grant_close(actor=program_admin, grant=grant, on=day + timedelta(days=30))
    (position,) = selectors.fund_positions([fund])
    assert position.committed == Money.zero("EUR")
    assert _legs_balance(fund.program) == {}


def test_a_budget_that_does_not_add_up_is_refused(fund, chapter, program_admin) -> None:
    with pytest.raises(ValidationError):
        services.grant_save(
            actor=program_admin,
            fund=fund,
            grant=None,
            grantee=chapter,
            purpose="Train clinicians",
            amount=Money.of("1000", "USD"),
            starts_on=fund.starts_on,
            ends_on=fund.ends_on,
            budget={BudgetCategory.PERSONNEL: Money.of("999.99", "USD")},
        )
