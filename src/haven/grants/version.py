"""The money version: a token per program that moves with every write to its money, so the money figures can be
cached (``reporting.money``) and never be older than the last committed write.

Every service of ``services`` that writes calls :func:`bump` inside its transaction (a test reads them all); the
import of euro reference rates, which every program's money may read, bumps every program's; the generator bumps
each program it wrote money for; and a change of the program's period (``ProgramChanged``, kept from start-up by
:func:`register`) bumps it too, since the quarters and the pace of spending are counted within it. A reader builds
its cache key from :func:`current`, the token it can see (``selectors.money_version``).
"""

import secrets

from haven.core.changes import ProgramChanged, keep
from haven.programs.models import Program
from haven.programs.selectors import program_of

from .models import Fund, MoneyVersion

TIMEOUT = 6 * 60 * 60


def bump(program: Program) -> None:
    """Record that the program's money changed (call inside the writing transaction)."""
    _bump(program.organization_id, program.pk)


def bump_of(fund: Fund) -> None:
    """Record that the money of the fund's program changed (its office and program ids, without reading it)."""
    _bump(fund.organization_id, fund.program_id)


def _bump(organization_id: int, program_id: int) -> None:
    MoneyVersion.objects.update_or_create(
        organization_id=organization_id, program_id=program_id, defaults={"token": secrets.token_hex(16)}
    )


def bump_every_program() -> None:
    """Record that every program's money may have changed (the euro reference rates are everyone's)."""
    for program in Program.objects.dangerously_unscoped().order_by("pk"):
        bump(program)


def _program_changed(change: ProgramChanged) -> None:
    bump(program_of(change))


def register() -> None:
    keep(ProgramChanged, _program_changed)


def current(program: Program) -> str:
    """The token the figures are cached under. Before the first write, the program's creation time stands in."""
    row = MoneyVersion.objects.in_org(program.organization_id).filter(program=program).values("token").first()
    return str(row["token"]) if row else f"new-{program.created_at.timestamp()}"
