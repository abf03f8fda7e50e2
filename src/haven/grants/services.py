"""Every write of the money pillar: typed, keyword-only, one transaction, one audit event, and every movement of
money posted to the ledger (``ledger``) in the same transaction."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.money import Money, allocate
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.programs.models import Program

from . import ledger, rates
from .models import BudgetLine, Fund, Grant, GrantStatus, MoneyRules, Receipt

GRANTEE_KINDS = frozenset({OrganizationKind.STATE_CHAPTER, OrganizationKind.CAC})


def money_rules(program: Program) -> MoneyRules:
    """The program's money rules, created with their defaults the first time they are needed."""
    rules, _created = MoneyRules.objects.in_org(program.organization_id).get_or_create(
        program=program, defaults={"organization_id": program.organization_id, "reminder_days": [14, 3, -1]}
    )
    return rules


def _lock_fund(fund: Fund) -> Fund:
    """The fund's row locked until the transaction ends (PostgreSQL; SQLite's write transactions are serial), so
    two approvals cannot each see room the other takes."""
    return Fund.objects.in_org(fund.organization_id).select_for_update().get(pk=fund.pk)


# -- Funds --------------------------------------------------------------------------------------------------------


@transaction.atomic
def fund_create(
    *,
    actor: User,
    program: Program,
    funder: Organization,
    name: str,
    amount: Money,
    starts_on: date,
    ends_on: date,
) -> Fund:
    """A fund a funder of the program pledged: its pledge is posted to the ledger."""
    if funder.kind != OrganizationKind.FUNDER:
        raise ValidationError(_("A fund comes from a funder."))
    fund = Fund(
        organization_id=program.organization_id,
        program=program,
        funder=funder,
        name=name,
        currency=amount.currency,
        amount_minor=amount.minor,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    fund.full_clean()
    fund.save()
    ledger.post_pledge(fund, actor=actor)
    audit.record(
        actor=actor,
        action="fund.create",
        organization=program.organization_id,
        target=fund,
        detail={"program": program.pk, "funder": funder.pk, "currency": fund.currency, "amount": amount.minor},
    )
    return fund


@transaction.atomic
def receipt_record(
    *, actor: User, fund: Fund, received_on: date, sent: Money, arrived: Money, reference: str = ""
) -> Receipt:
    """Money from the funder: ``sent`` in the fund's currency, ``arrived`` in the program's, never more than the
    fund still expects."""
    fund = _lock_fund(fund)
    rules = money_rules(fund.program)
    if sent.currency != fund.currency:
        raise ValidationError(
            _("The amount sent is in the fund's currency, %(currency)s.") % {"currency": fund.currency}
        )
    if arrived.currency != rules.currency:
        raise ValidationError(_("The amount arrived is in %(currency)s.") % {"currency": rules.currency})
    if sent.minor <= 0 or arrived.minor <= 0:
        raise ValidationError(_("A receipt is more than zero."))
    if sent.currency == arrived.currency and sent != arrived:
        # No exchange between them: what arrived is what was sent (a bank's fee is not the fund's to record).
        raise ValidationError(
            _("The fund is in %(currency)s: the amount arrived is the amount sent.") % {"currency": sent.currency}
        )
    expected = ledger.balances_by_code(fund.program, [f"pledge:{fund.pk}"]).get(f"pledge:{fund.pk}")
    if expected is None or sent > expected:
        raise ValidationError(_("The funder has %(left)s left to send on this fund.") % {"left": expected or 0})
    receipt = Receipt.objects.create(
        organization_id=fund.organization_id,
        fund=fund,
        received_on=received_on,
        amount_minor=sent.minor,
        arrived_minor=arrived.minor,
        arrived_currency=arrived.currency,
        reference=reference,
        created_by=actor,
    )
    ledger.post_receipt(fund, on=received_on, sent=sent, arrived=arrived, actor=actor)
    audit.record(
        actor=actor,
        action="fund.receipt",
        organization=fund.organization_id,
        target=receipt,
        detail={"fund": fund.pk, "sent": sent.minor, "arrived": arrived.minor},
    )
    return receipt


# -- Grants -------------------------------------------------------------------------------------------------------


def _check_budget(amount: Money, budget: dict[str, Money]) -> None:
    if any(line.currency != amount.currency for line in budget.values()):
        raise ValidationError(_("Every budget line is in the grant's currency."))
    if any(line.minor < 0 for line in budget.values()):
        raise ValidationError(_("A budget line is never negative."))
    if sum(line.minor for line in budget.values()) != amount.minor:
        raise ValidationError(_("The budget lines add up to the grant's amount."))


@transaction.atomic
def grant_save(
    *,
    actor: User,
    fund: Fund,
    grant: Grant | None,
    grantee: Organization,
    purpose: str,
    amount: Money,
    starts_on: date,
    ends_on: date,
    budget: dict[str, Money],
) -> Grant:
    """Create a draft grant, or change one while it is a draft, with its budget by category."""
    if grantee.kind not in GRANTEE_KINDS:
        raise ValidationError(_("A grant goes to a state chapter or a Children's Advocacy Center."))
    if grant is not None and grant.status != GrantStatus.DRAFT:
        raise ValidationError(_("Only a draft grant can be changed."))
    _check_budget(amount, budget)
    created = grant is None
    if grant is None:
        grant = Grant(fund=fund, created_by=actor)
    grant.organization = grantee
    grant.purpose, grant.currency, grant.amount_minor = purpose, amount.currency, amount.minor
    grant.starts_on, grant.ends_on = starts_on, ends_on
    grant.full_clean()
    grant.save()
    lines = BudgetLine.objects.in_org(grantee).filter(grant=grant)
    lines.exclude(category__in=list(budget)).delete()
    for category, line in budget.items():
        BudgetLine.objects.update_or_create(
            organization=grantee, grant=grant, category=category, defaults={"amount_minor": line.minor}
        )
    audit.record(
        actor=actor,
        action="grant.create" if created else "grant.update",
        organization=grantee,
        target=grant,
        detail={"fund": fund.pk, "currency": grant.currency, "amount": amount.minor, "lines": len(budget)},
    )
    return grant


@transaction.atomic
def grant_approve(*, actor: User, grant: Grant, on: date) -> Grant:
    """Approve a draft grant: its amount is committed from the fund at the day's euro reference rate, and refused
    when the fund has less than that left to commit."""
    grant = Grant.objects.in_org(grant.organization_id).select_for_update().get(pk=grant.pk)
    if grant.status != GrantStatus.DRAFT:
        raise ValidationError(_("Only a draft grant can be approved."))
    fund = _lock_fund(grant.fund)
    amount = Money(grant.amount_minor, grant.currency)
    try:
        in_fund, rate = rates.convert_on(amount, to=fund.currency, day=on)
    except rates.NoRate as missing:
        raise ValidationError(
            _("No euro reference rate is known on or before that day: import the rates.")
        ) from missing
    committed = ledger.balances_by_code(fund.program, [f"committed:{fund.pk}"]).get(
        f"committed:{fund.pk}", Money.zero(fund.currency)
    )
    left = Money(fund.amount_minor, fund.currency) - committed
    if in_fund > left:
        raise ValidationError(
            _("This grant is %(needed)s at the rate of %(day)s, and the fund has %(left)s left to commit.")
            % {"needed": in_fund, "day": rate.on, "left": left}
        )
    grant.status, grant.approved_by, grant.approved_on = GrantStatus.APPROVED, actor, on
    grant.committed_rate, grant.committed_rate_on, grant.committed_fund_minor = rate.rate, rate.on, in_fund.minor
    grant.save(
        update_fields=[
            "status",
            "approved_by",
            "approved_on",
            "committed_rate",
            "committed_rate_on",
            "committed_fund_minor",
        ]
    )
    ledger.post_commitment(grant, on=on, in_fund=in_fund, actor=actor)
    audit.record(
        actor=actor,
        action="grant.approve",
        organization=grant.organization_id,
        target=grant,
        detail={"fund": fund.pk, "amount": amount.minor, "in_fund": in_fund.minor, "rate_on": str(rate.on)},
    )
    return grant


@transaction.atomic
def grant_activate(*, actor: User, grant: Grant) -> Grant:
    """The grant agreement is signed: the grant runs."""
    if grant.status != GrantStatus.APPROVED:
        raise ValidationError(_("Only an approved grant can start."))
    grant.status = GrantStatus.ACTIVE
    grant.save(update_fields=["status"])
    audit.record(actor=actor, action="grant.activate", organization=grant.organization_id, target=grant)
    return grant


@transaction.atomic
def grant_close(*, actor: User, grant: Grant, on: date) -> Grant:
    """Close a grant: what it leaves unpaid goes back to its fund, at the rate it was committed at (the parts of
    the commitment are split by ``allocate``, so the fund gets back exactly what was not used, to the cent)."""
    grant = Grant.objects.in_org(grant.organization_id).select_for_update().get(pk=grant.pk)
    if grant.status not in (GrantStatus.APPROVED, GrantStatus.ACTIVE):
        raise ValidationError(_("Only an approved or active grant can be closed."))
    program = grant.fund.program
    owed = -ledger.balances_by_code(program, [f"payable:{grant.pk}"]).get(
        f"payable:{grant.pk}", Money.zero(grant.currency)
    )
    if owed.minor > 0:
        paid = grant.amount_minor - owed.minor
        _used, back = allocate(Money(grant.committed_fund_minor or 0, grant.fund.currency), [paid, owed.minor])
        ledger.post_release(grant, on=on, amount=owed, in_fund=back, actor=actor)
    grant.status, grant.closed_on = GrantStatus.CLOSED, on
    grant.save(update_fields=["status", "closed_on"])
    audit.record(
        actor=actor,
        action="grant.close",
        organization=grant.organization_id,
        target=grant,
        detail={"released": max(owed.minor, 0)},
    )
    return grant


# -- The program's money rules ----------------------------------------------------------------------------------


@transaction.atomic
def money_rules_save(
    *, actor: User, program: Program, second_approval_above: Money, reminder_days: list[int]
) -> MoneyRules:
    """Change the program's money rules: the amount above which a payment needs a second approver, and the days
    before a report's due date (negative: after it) when its grantee is reminded."""
    rules = money_rules(program)
    if second_approval_above.currency != rules.currency:
        raise ValidationError(_("The threshold is in %(currency)s.") % {"currency": rules.currency})
    if second_approval_above.minor < 0:
        raise ValidationError(_("The threshold is never negative."))
    rules.second_approval_above_minor = second_approval_above.minor
    rules.reminder_days = sorted(set(reminder_days), reverse=True)
    rules.save(update_fields=["second_approval_above_minor", "reminder_days"])
    audit.record(
        actor=actor,
        action="money.rules",
        organization=program.organization_id,
        target=rules,
        detail={"program": program.pk, "threshold": rules.second_approval_above_minor, "days": len(reminder_days)},
    )
    return rules
