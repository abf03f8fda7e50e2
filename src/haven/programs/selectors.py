from datetime import date

from django.db.models import Prefetch
from django.http import Http404

from haven.core.changes import Change
from haven.organizations.models import Membership
from haven.organizations.roles import Role

from .models import Program, ProgramFunder, ProgramQuerySet, RetentionPolicy


def programs_visible_to(membership: Membership) -> ProgramQuerySet:
    """Program admins see their office's programs; a funder's viewers the programs it funds; others those
    their organization takes part in (for now: the programs of the national office above it)."""
    if membership.role == Role.PROGRAM_ADMIN:
        return Program.objects.in_org(membership.organization_id)
    if membership.role == Role.FUNDER_VIEWER:
        return Program.objects.funded_by(membership.organization_id)
    return Program.objects.none()


def access_program(*, membership: Membership, program_id: int) -> Program:
    try:
        return (
            programs_visible_to(membership)
            .prefetch_related_targets()
            .prefetch_related(
                Prefetch(
                    "funders",
                    queryset=ProgramFunder.objects.under_scoped_parent().select_related("funder"),
                )
            )
            .get(pk=program_id)
        )
    except Program.DoesNotExist:
        raise Http404 from None


def program_of(change: Change) -> Program:
    """The program a change names (``core.changes``), for the apps that keep what derives from it. The writer read
    its records within its own scope and says which program they belong to: a lookup by id for the keepers, never
    a read on someone's behalf."""
    return Program.objects.dangerously_unscoped().get(pk=change.program_id)


def retention_of(program: Program) -> RetentionPolicy | None:
    """The program's retention policy, if it has one (then its children's records are kept linkable)."""
    return RetentionPolicy.objects.in_org(program.organization_id).filter(program=program).first()


def deidentify_on(program: Program, years: int) -> date:
    """The first day the program's children's records may be de-identified: ``years`` after it ends."""
    ends = program.ends_on
    try:
        return ends.replace(year=ends.year + years)
    except ValueError:  # 29 February
        return ends.replace(year=ends.year + years, day=28)
