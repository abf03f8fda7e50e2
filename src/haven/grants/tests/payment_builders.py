"""Grants for the tranche and payment tests, made through the real services."""

from datetime import date, timedelta

from haven.accounts.models import User
from haven.core.money import Money
from haven.grants import services
from haven.grants.models import BudgetCategory, Fund, Grant
from haven.organizations.models import Organization


def approved_grant(
    fund: Fund, grantee: Organization, actor: User, amount: Money, *, on: date | None = None, approve: bool = True
) -> Grant:
    """A grant of ``amount`` from ``fund`` to ``grantee``, all of it personnel, approved (committed) on ``on``
    (a fortnight into the fund) unless ``approve`` is false."""
    grant = services.grant_save(
        actor=actor,
        fund=fund,
        grant=None,
        grantee=grantee,
        purpose="Train clinicians",
        amount=amount,
        starts_on=fund.starts_on,
        ends_on=fund.ends_on,
        budget={BudgetCategory.PERSONNEL: amount},
    )
    if approve:
        grant = services.grant_approve(actor=actor, grant=grant, on=on or fund.starts_on + timedelta(days=14))
    return grant
