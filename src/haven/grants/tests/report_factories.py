"""Grants under way for the grantee-report tests: approved and active, with a budget, reports scheduled."""

from datetime import date, timedelta

from haven.accounts.models import User
from haven.core.money import Money
from haven.grants import services
from haven.grants.models import BudgetCategory, Fund, Grant, GrantReport, ReportKind
from haven.organizations.models import Organization

BUDGET = {
    BudgetCategory.PERSONNEL: "60000.00",
    BudgetCategory.TRAVEL: "5000.00",
    BudgetCategory.SUPPLIES: "2500.50",
    BudgetCategory.INDIRECT: "7500.00",
}


def active_grant(fund: Fund, grantee: Organization, actor: User, *, starts_on: date | None = None) -> Grant:
    """A one-year grant of $75,000.50 to ``grantee`` in four budget lines, approved and active."""
    starts_on = starts_on or date(2026, 1, 1)
    budget = {category: Money.of(amount, "USD") for category, amount in BUDGET.items()}
    grant = services.grant_save(
        actor=actor,
        fund=fund,
        grant=None,
        grantee=grantee,
        purpose=f"Trauma-focused care at {grantee.name}",
        amount=Money(sum(line.minor for line in budget.values()), "USD"),
        starts_on=starts_on,
        ends_on=starts_on.replace(year=starts_on.year + 1) - timedelta(days=1),
        budget=budget,
    )
    grant = services.grant_approve(actor=actor, grant=grant, on=starts_on)
    return services.grant_activate(actor=actor, grant=grant)


def quarterly(grant: Grant, actor: User) -> list[GrantReport]:
    return services.reports_schedule(actor=actor, grant=grant, kind=ReportKind.FINANCIAL, months=3)


def dollars(**lines: str) -> dict[str, Money]:
    return {category: Money.of(amount, "USD") for category, amount in lines.items()}
