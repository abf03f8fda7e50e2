"""Every write of the money pillar: typed, keyword-only, one transaction, one audit event, and every movement of
money posted to the ledger (``ledger``) in the same transaction."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.changes import TranchesDue, announce
from haven.core.money import MINOR_UNITS, Money, allocate
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.programs.models import Program
from haven.reporting import selectors as reporting

from . import ecb, ledger, rates, schedule, version
from .models import (
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
    TrancheMetric,
    TrancheStatus,
)

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
    version.bump(program)
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
    if sent.currency == arrived.currency and sent != arrived:
        # No exchange between them: what arrived is what was sent (a bank's fee is not the fund's to record).
        raise ValidationError(
            _("The fund is in %(currency)s: the amount arrived is the amount sent.") % {"currency": sent.currency}
        )
    if sent.minor <= 0 or arrived.minor <= 0:
        raise ValidationError(_("A receipt is more than zero."))
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
    version.bump_of(fund)
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
    version.bump_of(fund)
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
    version.bump_of(fund)
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
    version.bump_of(grant.fund)
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
    version.bump(program)
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
    version.bump(program)
    audit.record(
        actor=actor,
        action="money.rules",
        organization=program.organization_id,
        target=rules,
        detail={"program": program.pk, "threshold": rules.second_approval_above_minor, "days": len(reminder_days)},
    )
    return rules


# -- Tranches -----------------------------------------------------------------------------------------------------

OPEN_PAYMENTS = (PaymentStatus.PROPOSED, PaymentStatus.APPROVED)
PAYABLE_GRANTS = (GrantStatus.APPROVED, GrantStatus.ACTIVE)


def _lock_grant(grant: Grant) -> Grant:
    """The grant's row locked until the transaction ends, so that two writes under it (tranches adding up, payments
    within what is owed) cannot each see room the other takes."""
    grants = Grant.objects.in_org(grant.organization_id).select_related("fund__program")
    return grants.select_for_update(of=("self",)).get(pk=grant.pk)


@transaction.atomic
def tranche_save(
    *,
    actor: User,
    grant: Grant,
    tranche: Tranche | None,
    amount: Money,
    due_on: date | None = None,
    metric: str = "",
    threshold: int | None = None,
) -> Tranche:
    """Add a tranche to a draft or approved grant, or change one still waiting: paid on a date, or when a figure of
    the grantee (``TrancheMetric``) reaches a level. The tranches of a grant never add up to more than its amount;
    they are numbered 1..n in the order they were added."""
    grant = _lock_grant(grant)
    if grant.status not in (GrantStatus.DRAFT, GrantStatus.APPROVED):
        raise ValidationError(_("Tranches are set on a draft or approved grant."))
    if tranche is not None and (tranche.grant_id != grant.pk or tranche.status != TrancheStatus.WAITING):
        raise ValidationError(_("Only a tranche still waiting for its condition can be changed."))
    if (due_on is None) == (not metric):
        raise ValidationError(_("A tranche waits for a date or for a figure, one of the two."))
    if metric and (metric not in TrancheMetric.values or not threshold or threshold <= 0):
        raise ValidationError(_("A figure tranche names the figure and the level it must reach."))
    if amount.currency != grant.currency:
        raise ValidationError(_("A tranche is in the grant's currency, %(currency)s.") % {"currency": grant.currency})
    if amount.minor <= 0:
        raise ValidationError(_("A tranche is more than zero."))
    others = Tranche.objects.in_org(grant.organization_id).filter(grant=grant)
    if tranche is not None:
        others = others.exclude(pk=tranche.pk)
    planned = sum(others.values_list("amount_minor", flat=True))
    room = Money(grant.amount_minor - planned, grant.currency)
    if amount > room:
        raise ValidationError(
            _("The grant's tranches would add up to more than its amount: %(room)s is left to plan.") % {"room": room}
        )
    created = tranche is None
    if tranche is None:
        number = max(others.values_list("number", flat=True), default=0) + 1
        tranche = Tranche(organization_id=grant.organization_id, grant=grant, number=number)
    tranche.amount_minor = amount.minor
    tranche.due_on, tranche.metric = (due_on, "") if due_on is not None else (None, metric)
    tranche.threshold = threshold if metric and due_on is None else None
    tranche.save()
    version.bump_of(grant.fund)
    audit.record(
        actor=actor,
        action="tranche.create" if created else "tranche.update",
        organization=grant.organization_id,
        target=tranche,
        detail={"grant": grant.pk, "number": tranche.number, "amount": amount.minor},
    )
    return tranche


@transaction.atomic
def tranche_delete(*, actor: User, tranche: Tranche) -> None:
    """Remove a tranche not yet released from a draft or approved grant; the ones after it move up a number."""
    grant = _lock_grant(tranche.grant)
    if grant.status not in (GrantStatus.DRAFT, GrantStatus.APPROVED):
        raise ValidationError(_("Tranches are set on a draft or approved grant."))
    tranche = Tranche.objects.in_org(grant.organization_id).get(pk=tranche.pk)
    if tranche.status == TrancheStatus.RELEASED:
        raise ValidationError(_("A released tranche has its payment: cancel the payment first."))
    number = tranche.number
    tranche_id = tranche.pk
    tranche.delete()
    # One row at a time, in order, so that each new number is already free.
    for later in (
        Tranche.objects.in_org(grant.organization_id).filter(grant=grant, number__gt=number).order_by("number")
    ):
        later.number -= 1
        later.save(update_fields=["number"])
    version.bump_of(grant.fund)
    audit.record(
        actor=actor,
        action="tranche.delete",
        organization=grant.organization_id,
        target_type="grants.tranche",
        target_id=tranche_id,
        detail={"grant": grant.pk, "number": number},
    )


@transaction.atomic
def tranches_evaluate(*, program: Program, on: date, actor: User | None = None) -> list[Tranche]:
    """Find the waiting tranches of the program's approved and active grants whose condition is met on ``on``: a
    date that has come, or a figure of the grantee (its organization and the CACs under it, from ``reporting``)
    that reached its level. Each is marked met with the day and the figure found, and audited; the ones met are
    returned. Run daily (``manage.py tranches_evaluate``) and from the grant page."""
    waiting = (
        Tranche.objects.of_program(program)
        .filter(status=TrancheStatus.WAITING, grant__status__in=PAYABLE_GRANTS)
        .select_related("grant")
        .select_for_update(of=("self",))
        .order_by("grant_id", "number")
    )
    figures: dict[tuple[int, str], int] = {}
    met = []
    for tranche in waiting:
        value: int | None = None
        if tranche.due_on is not None:
            if tranche.due_on > on:
                continue
        else:
            key = (tranche.grant.organization_id, tranche.metric)
            if key not in figures:
                figures[key] = reporting.organization_figure(program, tranche.grant.organization, tranche.metric, on)
            value = figures[key]
            if value < (tranche.threshold or 0):
                continue
        tranche.status, tranche.met_on, tranche.met_value = TrancheStatus.MET, on, value
        tranche.save(update_fields=["status", "met_on", "met_value"])
        audit.record(
            actor=actor,
            action="tranche.met",
            organization=tranche.organization_id,
            target=tranche,
            detail={"grant": tranche.grant_id, "number": tranche.number, "count": value if value is not None else 0},
        )
        met.append(tranche)
    if met:
        version.bump(program)
        announce(TranchesDue(program_id=program.pk, tranches=frozenset((t.organization_id, t.pk) for t in met)))
    return met


@transaction.atomic
def tranche_release(*, actor: User, tranche: Tranche) -> Payment:
    """A person releases a met tranche: its one payment is proposed, for approval and payment like any other. A
    tranche not met, or already released, is refused (and the database holds one live payment per tranche)."""
    grant = _lock_grant(tranche.grant)
    tranche = Tranche.objects.in_org(grant.organization_id).select_for_update().get(pk=tranche.pk)
    if tranche.status == TrancheStatus.RELEASED:
        raise ValidationError(_("This tranche was already released."))
    if tranche.status != TrancheStatus.MET:
        raise ValidationError(_("A tranche is released once its condition is met."))
    if grant.status not in PAYABLE_GRANTS:
        raise ValidationError(_("Payments are made on an approved or active grant."))
    amount = Money(tranche.amount_minor, grant.currency)
    _check_owed(grant, amount)
    tranche.status, tranche.released_by, tranche.released_at = TrancheStatus.RELEASED, actor, timezone.now()
    tranche.save(update_fields=["status", "released_by", "released_at"])
    payment = _payment_propose(actor=actor, grant=grant, amount=amount, tranche=tranche)
    version.bump_of(grant.fund)
    audit.record(
        actor=actor,
        action="tranche.release",
        organization=grant.organization_id,
        target=tranche,
        detail={"grant": grant.pk, "payment": payment.pk, "amount": amount.minor},
    )
    return payment


# -- Payments -----------------------------------------------------------------------------------------------------


def grant_owed(grant: Grant) -> Money:
    """What the grant still owes its grantee, from the ledger (``payable:<grant>``): zero before approval."""
    code = f"payable:{grant.pk}"
    return -ledger.balances_by_code(grant.fund.program, [code]).get(code, Money.zero(grant.currency))


def _open_payments(grant: Grant, *, excluding: Payment | None = None) -> Money:
    payments = Payment.objects.in_org(grant.organization_id).filter(grant=grant, status__in=OPEN_PAYMENTS)
    if excluding is not None:
        payments = payments.exclude(pk=excluding.pk)
    return Money(sum(payments.values_list("amount_minor", flat=True)), grant.currency)


def _check_owed(grant: Grant, amount: Money) -> None:
    """Refuse a new payment beyond what the grant owes less the payments already waiting."""
    room = grant_owed(grant) - _open_payments(grant)
    if amount > room:
        raise ValidationError(_("The grant owes %(room)s beyond the payments already waiting.") % {"room": room})


def needs_second_approval(grant: Grant, amount: Money, *, on: date) -> bool:
    """Whether a payment is above the program's threshold (in the rules' currency, converted on ``on`` when the
    grant's differs). Without a rate to convert it, it is treated as above: a second person is the safe side."""
    rules = money_rules(grant.fund.program)
    try:
        in_rules, _rate = rates.convert_on(amount, to=rules.currency, day=on)
    except rates.NoRate:
        return True
    return in_rules.minor > rules.second_approval_above_minor


def _payment_propose(*, actor: User, grant: Grant, amount: Money, tranche: Tranche | None) -> Payment:
    payment = Payment(
        organization_id=grant.organization_id,
        grant=grant,
        tranche=tranche,
        amount_minor=amount.minor,
        created_by=actor,
        needs_second_approval=needs_second_approval(grant, amount, on=timezone.now().date()),
    )
    payment.save()
    audit.record(
        actor=actor,
        action="payment.create",
        organization=grant.organization_id,
        target=payment,
        detail={
            "grant": grant.pk,
            "tranche": tranche.pk if tranche else None,
            "amount": amount.minor,
            "second": payment.needs_second_approval,
        },
    )
    return payment


@transaction.atomic
def payment_create(*, actor: User, grant: Grant, amount: Money) -> Payment:
    """Propose a payment outside the tranches on an approved or active grant, never more than what the grant
    still owes less the payments already waiting."""
    grant = _lock_grant(grant)
    if grant.status not in PAYABLE_GRANTS:
        raise ValidationError(_("Payments are made on an approved or active grant."))
    if amount.currency != grant.currency:
        raise ValidationError(_("A payment is in the grant's currency, %(currency)s.") % {"currency": grant.currency})
    if amount.minor <= 0:
        raise ValidationError(_("A payment is more than zero."))
    _check_owed(grant, amount)
    version.bump_of(grant.fund)
    return _payment_propose(actor=actor, grant=grant, amount=amount, tranche=None)


def _lock_payment(payment: Payment) -> Payment:
    return (
        Payment.objects.in_org(payment.organization_id)
        .select_related("grant__fund__program", "tranche")
        .select_for_update(of=("self",))
        .get(pk=payment.pk)
    )


def approves_payments(fund: Fund, actor: User) -> bool:
    """Whether ``actor`` is an active program admin of the office whose fund a payment is paid from."""
    admins = Membership.objects.in_org(fund.organization_id).active().filter(role=Role.PROGRAM_ADMIN)
    return admins.filter(user=actor).exists()


def approval_refused(payment: Payment, actor: User, *, approves: bool | None = None) -> str:
    """Why ``actor`` may not approve ``payment`` (empty when they may): four eyes above the program's threshold.
    ``approves``: whether the actor approves the payments of this fund (``approves_payments``), when already read
    for a list of payments."""
    if payment.status != PaymentStatus.PROPOSED:
        return str(_("Only a payment awaiting approval can be approved."))
    if approves is None:
        approves = approves_payments(payment.grant.fund, actor)
    if not approves:
        return str(_("Payments are approved by a program admin of the program."))
    if payment.needs_second_approval and payment.created_by_id == actor.pk:
        return str(_("Above the program's threshold, another program admin approves the payment than its creator."))
    return ""


@transaction.atomic
def payment_approve(*, actor: User, payment: Payment) -> Payment:
    """Approve a proposed payment. Above the program's threshold the approver is another person than its creator
    (four eyes; the database refuses it too); below it, the creator may approve their own."""
    payment = _lock_payment(payment)
    if reason := approval_refused(payment, actor):
        raise ValidationError(reason)
    payment.status, payment.approved_by, payment.approved_at = PaymentStatus.APPROVED, actor, timezone.now()
    payment.save(update_fields=["status", "approved_by", "approved_at"])
    version.bump_of(payment.grant.fund)
    audit.record(
        actor=actor,
        action="payment.approve",
        organization=payment.organization_id,
        target=payment,
        detail={"grant": payment.grant_id, "amount": payment.amount_minor, "second": payment.needs_second_approval},
    )
    return payment


@transaction.atomic
def payment_pay(*, actor: User, payment: Payment, on: date) -> Payment:
    """Pay an approved payment on ``on``: the ledger settles what the grant owes from the bank (in the rules'
    currency, converted at the euro reference rate of the day, or the last one before it, when the grant's
    differs), and the payment keeps the rate, its date and its value in the fund's currency that day. The row is
    locked and its status checked, so it is paid once."""
    payment = _lock_payment(payment)
    if payment.status != PaymentStatus.APPROVED:
        raise ValidationError(_("Only an approved payment can be paid, and only once."))
    grant = _lock_grant(payment.grant)
    if grant.status not in PAYABLE_GRANTS:
        raise ValidationError(_("Payments are made on an approved or active grant."))
    amount = Money(payment.amount_minor, grant.currency)
    if amount > grant_owed(grant):
        raise ValidationError(_("The grant owes %(owed)s, less than this payment.") % {"owed": grant_owed(grant)})
    program = grant.fund.program
    rules = money_rules(program)
    try:
        from_bank, bank_rate = rates.convert_on(amount, to=rules.currency, day=on)
        in_fund, fund_rate = rates.convert_on(amount, to=grant.fund.currency, day=on)
    except rates.NoRate as missing:
        raise ValidationError(
            _("No euro reference rate is known on or before that day: import the rates.")
        ) from missing
    # The rate kept is the one an exchange used: the grant's currency against the fund's, else against the bank's.
    rate = fund_rate if grant.currency != grant.fund.currency else bank_rate
    posted = ledger.post_payment(grant, on=on, amount=amount, from_bank=from_bank, actor=actor)
    payment.status, payment.paid_on, payment.transaction = PaymentStatus.PAID, on, posted
    payment.rate, payment.rate_on, payment.fund_minor = rate.rate, rate.on, in_fund.minor
    payment.save(update_fields=["status", "paid_on", "transaction", "rate", "rate_on", "fund_minor"])
    version.bump(program)
    audit.record(
        actor=actor,
        action="payment.pay",
        organization=payment.organization_id,
        target=payment,
        detail={
            "grant": grant.pk,
            "amount": amount.minor,
            "from_bank": from_bank.minor,
            "in_fund": in_fund.minor,
            "rate_on": str(rate.on),
        },
    )
    return payment


@transaction.atomic
def payment_cancel(*, actor: User, payment: Payment) -> Payment:
    """Cancel a payment not yet paid. A tranche's payment cancelled gives the tranche back its met status, so it
    can be released again (and still paid once)."""
    payment = _lock_payment(payment)
    if payment.status not in OPEN_PAYMENTS:
        raise ValidationError(_("Only a payment not yet paid can be cancelled."))
    payment.status = PaymentStatus.CANCELLED
    payment.save(update_fields=["status"])
    if payment.tranche is not None:
        tranche = payment.tranche
        tranche.status, tranche.released_by, tranche.released_at = TrancheStatus.MET, None, None
        tranche.save(update_fields=["status", "released_by", "released_at"])
    version.bump_of(payment.grant.fund)
    audit.record(
        actor=actor,
        action="payment.cancel",
        organization=payment.organization_id,
        target=payment,
        detail={"grant": payment.grant_id, "amount": payment.amount_minor},
    )
    return payment


def tranches_evaluate_all(*, on: date) -> int:
    """``tranches_evaluate`` for every program with a fund (the daily command, acting as the system): how many
    tranches were met. Each program in its own transaction."""
    program_ids = Fund.objects.dangerously_unscoped().values_list("program_id", flat=True).distinct()
    met = 0
    for program in Program.objects.dangerously_unscoped().filter(pk__in=list(program_ids)).order_by("pk"):
        met += len(tranches_evaluate(program=program, on=on))
    return met


# -- Euro reference rates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatesImported:
    """What an import of the ECB's rates did: the days the file covers, and its rates of the currencies Haven
    knows, new, changed or already held as they are."""

    days: int
    first: date
    last: date
    currencies: tuple[str, ...]
    created: int
    changed: int
    unchanged: int


@transaction.atomic
def rates_import(*, actor: User | None, file: IO[bytes]) -> RatesImported:
    """Store the euro reference rates of a file the ECB publishes (``ecb.read``: history or daily, CSV, zip or
    XML), each currency of ``MINOR_UNITS`` once per day (a rate already held is replaced by the file's). A day
    without a rate of a currency (``N/A``) stores nothing, so the last known rate before it is used."""
    try:
        fixings = ecb.read(file)
    except ecb.EcbError as error:
        raise ValidationError(str(error)) from error
    wanted = {
        (currency, fixing.on): rate
        for fixing in fixings
        for currency, rate in fixing.rates.items()
        if currency in MINOR_UNITS and currency != "EUR"
    }
    if not wanted:
        raise ValidationError(_("The file holds no rate of a currency Haven knows."))
    currencies = tuple(sorted({currency for currency, _on in wanted}))
    first, last = fixings[0].on, fixings[-1].on
    held = {
        (currency, on): rate
        for currency, on, rate in EuroRate.objects.filter(currency__in=currencies, on__range=(first, last)).values_list(
            "currency", "on", "rate"
        )
    }
    writes = [(currency, on, rate) for (currency, on), rate in wanted.items() if held.get((currency, on)) != rate]
    _euro_rates_upsert(writes)
    version.bump_every_program()
    changed = sum(1 for currency, on, _rate in writes if (currency, on) in held)
    result = RatesImported(
        days=len(fixings),
        first=first,
        last=last,
        currencies=currencies,
        created=len(writes) - changed,
        changed=changed,
        unchanged=len(wanted) - len(writes),
    )
    audit.record(
        actor=actor,
        action="rates.import",
        detail={
            "days": result.days,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "currencies": len(currencies),
            "create": result.created,
            "changed": result.changed,
            "unchanged": result.unchanged,
        },
    )
    return result


def _euro_rates_upsert(rows: list[tuple[str, date, Decimal]]) -> None:
    """Insert the rates, or replace the rate held of the same currency and day, in one statement per batch. The
    ECB's whole history is some 200,000 rates: ``bulk_create`` spends most of a minute building model instances
    for it, this a few seconds (the rows are plain reference data; ``rates_import`` records the audit event)."""
    ops = connection.ops
    table = ops.quote_name(EuroRate._meta.db_table)
    # The model's own field names are its columns (none has a db_column).
    currency, on, rate, imported_at = map(ops.quote_name, ("currency", "on", "rate", "imported_at"))
    # The names are the model's and every value is a parameter.
    insert = f"INSERT INTO {table} ({currency}, {on}, {rate}, {imported_at}) VALUES (%s, %s, %s, %s)"  # noqa: S608
    update = f"DO UPDATE SET {rate} = excluded.{rate}, {imported_at} = excluded.{imported_at}"
    statement = f"{insert} ON CONFLICT ({currency}, {on}) {update}"
    now = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                statement,
                [
                    (code, ops.adapt_datefield_value(day), ops.adapt_decimalfield_value(value, 18, 6), now)
                    for code, day, value in rows[start : start + 5000]
                ],
            )


# -- Grantee reports ------------------------------------------------------------------------------------------------

# A grant whose agreement is made owes its reports, closed or not (a final report comes after the end).
REPORTING_GRANTS = (GrantStatus.APPROVED, GrantStatus.ACTIVE, GrantStatus.CLOSED)
# The reports a grantee can still (re)write.
OPEN_REPORTS = (ReportStatus.DUE, ReportStatus.RETURNED)


def _lock_report(report: GrantReport) -> GrantReport:
    return (
        GrantReport.objects.in_org(report.organization_id).select_for_update().select_related("grant").get(pk=report.pk)
    )


@transaction.atomic
def reports_schedule(
    *,
    actor: User,
    grant: Grant,
    kind: str,
    months: int,
    due_after_days: int = schedule.DUE_AFTER_DAYS,
) -> list[GrantReport]:
    """Schedule a grant's reports of one kind, one per ``months``-long period from the grant's first day, each due
    ``due_after_days`` after its period (``schedule``). Scheduling again replaces the reports of that kind nobody
    has submitted yet; a report submitted once is kept as it is."""
    if grant.status not in (GrantStatus.APPROVED, GrantStatus.ACTIVE):
        raise ValidationError(_("Reports are scheduled for an approved or active grant."))
    if kind not in ReportKind.values:
        raise ValidationError(_("Choose a kind of report."))
    if months not in schedule.PERIOD_MONTHS or due_after_days < 0 or due_after_days > 366:
        raise ValidationError(_("Choose a period and a number of days from 0 to 366."))
    periods = schedule.report_periods(grant.starts_on, grant.ends_on, months)
    reports = GrantReport.objects.in_org(grant.organization_id).filter(grant=grant, kind=kind)
    untouched = reports.filter(status=ReportStatus.DUE, submitted_at__isnull=True)
    starts = [start for start, _end in periods]
    removed, _count = untouched.exclude(period_start__in=starts).delete()
    kept = {report.period_start: report for report in reports.filter(period_start__in=starts)}
    scheduled = []
    for start, end in periods:
        due_on = schedule.report_due_on(end, due_after_days)
        report = kept.get(start)
        if report is None:
            report = GrantReport.objects.create(
                organization_id=grant.organization_id,
                grant=grant,
                kind=kind,
                period_start=start,
                period_end=end,
                due_on=due_on,
            )
        elif report.status == ReportStatus.DUE and report.submitted_at is None:
            report.period_end, report.due_on = end, due_on
            report.save(update_fields=["period_end", "due_on"])
        scheduled.append(report)
    version.bump_of(grant.fund)
    audit.record(
        actor=actor,
        action="report.schedule",
        organization=grant.organization_id,
        target=grant,
        detail={"kind": kind, "months": months, "days": due_after_days, "reports": len(periods), "removed": removed},
    )
    return scheduled


def _check_expenses(grant: Grant, expenses: dict[str, Money]) -> None:
    budgeted = set(
        BudgetLine.objects.in_org(grant.organization_id).filter(grant=grant).values_list("category", flat=True)
    )
    if set(expenses) - budgeted:
        raise ValidationError(_("A financial report reports on the grant's budget lines only."))
    if any(amount.currency != grant.currency for amount in expenses.values()):
        raise ValidationError(
            _("Every amount is in the grant's currency, %(currency)s.") % {"currency": grant.currency}
        )
    if any(amount.minor < 0 for amount in expenses.values()):
        raise ValidationError(_("An amount spent is never negative."))


@transaction.atomic
def report_submit(
    *, actor: User, report: GrantReport, expenses: dict[str, Money] | None = None, narrative: str = ""
) -> GrantReport:
    """The grantee submits a report that is due or was sent back: a financial report with what was spent per
    budget line over its period (``expenses``, a line left out spent nothing; replacing what an earlier submission
    said), a narrative report with its text."""
    report = _lock_report(report)
    grant = report.grant
    if grant.status not in REPORTING_GRANTS:
        raise ValidationError(_("This grant is not approved yet."))
    if report.status not in OPEN_REPORTS:
        raise ValidationError(_("This report was submitted already."))
    narrative = narrative.strip()
    lines: dict[str, Money] = {}
    if report.kind == ReportKind.FINANCIAL:
        expenses = expenses or {}
        _check_expenses(grant, expenses)
        lines = {category: amount for category, amount in expenses.items() if amount.minor}
        ExpenseLine.objects.in_org(report.organization_id).filter(report=report).delete()
        ExpenseLine.objects.bulk_create(
            ExpenseLine(organization_id=report.organization_id, report=report, category=category, amount_minor=m.minor)
            for category, m in sorted(lines.items())
        )
    elif not narrative:
        raise ValidationError({"narrative": _("Write what the grant did over the period.")})
    report.narrative = narrative
    report.status, report.submitted_by, report.submitted_at = ReportStatus.SUBMITTED, actor, timezone.now()
    report.save(update_fields=["narrative", "status", "submitted_by", "submitted_at"])
    version.bump_of(grant.fund)
    audit.record(
        actor=actor,
        action="report.submit",
        organization=report.organization_id,
        target=report,
        detail={
            "grant": grant.pk,
            "kind": report.kind,
            "lines": len(lines),
            "total": sum(amount.minor for amount in lines.values()),
        },
    )
    return report


def _review(actor: User, report: GrantReport, status: str, note: str) -> GrantReport:
    report = _lock_report(report)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be reviewed."))
    report.status, report.reviewed_by, report.reviewed_at = status, actor, timezone.now()
    report.review_note = note
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    version.bump_of(report.grant.fund)
    return report


@transaction.atomic
def report_accept(*, actor: User, report: GrantReport) -> GrantReport:
    """The program admin accepts a submitted report: a financial report's spending now counts against the grant's
    budget."""
    report = _review(actor, report, ReportStatus.ACCEPTED, "")
    audit.record(
        actor=actor,
        action="report.accept",
        organization=report.organization_id,
        target=report,
        detail={"grant": report.grant_id, "kind": report.kind},
    )
    return report


@transaction.atomic
def report_return(*, actor: User, report: GrantReport, note: str) -> GrantReport:
    """The program admin sends a submitted report back with a note saying what to correct; the grantee corrects it
    and submits it again."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say what the grantee should correct.")})
    report = _review(actor, report, ReportStatus.RETURNED, note)
    audit.record(
        actor=actor,
        action="report.return",
        organization=report.organization_id,
        target=report,
        detail={"grant": report.grant_id, "kind": report.kind},
    )
    return report


def report_reminders_send(*, today: date) -> int:
    """E-mail the active org admins of each grantee whose report is not in (due, or sent back) on the days the
    program's money rules say (``MoneyRules.reminder_days`` before the due date; negative: after it, late). Each
    reminder day of a report is sent once (a ``ReportReminder`` row); a run sends at most one per report, the
    latest one due. One audit event per run.

    Each reminder is recorded and sent in its own transaction: a mail that fails leaves no record, so it is tried
    again the next day. A whole-database job: it reads the reports of every grantee."""
    from django.core.mail import send_mail

    from haven.organizations.models import Membership
    from haven.organizations.roles import Role

    from .models import ReportReminder

    open_reports = list(
        GrantReport.objects.dangerously_unscoped()
        .filter(status__in=OPEN_REPORTS, grant__status__in=REPORTING_GRANTS)
        .select_related("grant", "grant__fund__program")
        .order_by("due_on", "pk")
    )
    grantees = {report.organization_id for report in open_reports}
    admins: dict[int, list[str]] = {}
    for organization_id, email in (
        Membership.objects.in_orgs(grantees)
        .filter(role=Role.ORG_ADMIN, is_active=True, user__is_active=True)
        .values_list("organization_id", "user__email")
        .order_by("user__email")
    ):
        admins.setdefault(organization_id, []).append(email)
    sent_before = set(ReportReminder.objects.in_orgs(grantees).values_list("report_id", "reminder_on"))
    rules: dict[int, MoneyRules] = {}
    sent = 0
    for report in open_reports:
        program = report.grant.fund.program
        if program.pk not in rules:
            rules[program.pk] = money_rules(program)
        due = [day for day in schedule.reminder_days(report.due_on, rules[program.pk].reminder_days) if day <= today]
        recipients = admins.get(report.organization_id, [])
        if not due or (report.pk, due[-1]) in sent_before or not recipients:
            continue
        late = today > report.due_on
        values = {"kind": report.get_kind_display(), "grant": report.grant.purpose, "day": report.due_on.isoformat()}
        if late:
            subject = _("Late: your %(kind)s on “%(grant)s” was due on %(day)s") % values
        else:
            subject = _("Your %(kind)s on “%(grant)s” is due on %(day)s") % values
        body = _(
            "Your %(kind)s on the grant “%(grant)s” for %(start)s to %(end)s is due on %(day)s. Submit it in Haven, "
            "under Our grants."
        ) % {**values, "start": report.period_start.isoformat(), "end": report.period_end.isoformat()}
        with transaction.atomic():
            ReportReminder.objects.create(organization_id=report.organization_id, report=report, reminder_on=due[-1])
            send_mail(subject, body, None, recipients)
        sent += 1
    audit.record(actor=None, action="report.reminders", detail={"sent": sent, "on": today.isoformat()})
    return sent
