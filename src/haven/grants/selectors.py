"""Reads of the money pillar. Balances come from the ledger's legs (``ledger.balances``), never from a stored sum."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.functional import Promise

from haven.core.money import Money, total
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.programs.models import Program, ProgramFunder
from haven.programs.selectors import programs_visible_to

from . import ledger, rates
from .models import BudgetCategory, BudgetLine, Fund, Grant, MoneyRules, Receipt

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
    their national office, else the newest. 404 for any other role, or an id that is not one of them."""
    if membership.role != Role.PROGRAM_ADMIN:
        raise Http404
    programs = programs_visible_to(membership).order_by("-starts_on", "pk")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        programs = programs.filter(pk=int(wanted))
    program = programs.first()
    if program is None:
        raise Http404
    return program


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
    return Organization.objects.filter(
        Q(parent_id=national) | Q(parent__parent_id=national), kind__in=GRANTEE_KINDS, is_active=True
    ).order_by("state", "name")


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
class BudgetRow:
    category: str
    label: str | Promise
    amount: Money


@dataclass(frozen=True)
class GrantSummary:
    """What the grant page shows of a grant: its amount, its budget by category, and its commitment."""

    grant: Grant
    amount: Money
    budget: list[BudgetRow]
    committed: Money | None  # in the fund's currency, once approved

    @property
    def budget_total(self) -> Money:
        return total([row.amount for row in self.budget], self.amount.currency)


def grant_summary(grant: Grant) -> GrantSummary:
    lines = {
        line.category: line.amount_minor
        for line in BudgetLine.objects.in_org(grant.organization_id).filter(grant=grant)
    }
    budget = [
        BudgetRow(category, label, Money(lines[category], grant.currency))
        for category, label in BudgetCategory.choices
        if category in lines
    ]
    committed = (
        Money(grant.committed_fund_minor, grant.fund.currency) if grant.committed_fund_minor is not None else None
    )
    return GrantSummary(grant, Money(grant.amount_minor, grant.currency), budget, committed)


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
