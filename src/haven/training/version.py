"""The workforce version: a token per program that moves with every write the workforce figures read, so they
can be cached (here and in ``reporting``) and never be older than the last committed write.

Training's keeper (:func:`register`, at start-up) bumps it inside the writing transaction whenever a
``WorkforceChanged`` is announced (every training write) or a ``CareChanged`` says a case counting for certification
may have changed (care); a reader builds its cache key from :func:`current`, the token it can see. The day is part
of the key too, since "falling behind" and the timeline move with the calendar.
"""

import secrets
from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from haven.core.changes import CareChanged, WorkforceChanged, keep
from haven.organizations.models import Membership
from haven.programs.models import Program
from haven.programs.selectors import program_of

from .models import FiguresVersion

TIMEOUT = 6 * 60 * 60


def bump(program: Program) -> int:
    """Record that the program's workforce records changed (call inside the writing transaction): a new token and the
    next count, returned. Writes to one program queue on its row, so the counts commit in the order they are
    given."""
    versions = FiguresVersion.objects.in_org(program.organization_id).filter(program=program)
    if not versions.update(token=secrets.token_hex(16), stamp=F("stamp") + 1):
        FiguresVersion.objects.create(
            organization_id=program.organization_id,
            program=program,
            token=secrets.token_hex(16),
            stamp=1,
            epoch=secrets.token_hex(16),
        )
    return int(versions.values_list("stamp", flat=True).get())


def renew(program: Program) -> int:
    """Record a change the counts cannot describe (every kept path written again): a new epoch, so every process
    reads the program's paths afresh. Returns the count, as ``bump``."""
    stamp = bump(program)
    FiguresVersion.objects.in_org(program.organization_id).filter(program=program).update(epoch=secrets.token_hex(16))
    return stamp


def _workforce_changed(change: WorkforceChanged) -> None:
    bump(program_of(change))


def _care_changed(change: CareChanged) -> None:
    if change.cases_changed:  # the certification path counts completed cases
        bump(program_of(change))


def register() -> None:
    keep(WorkforceChanged, _workforce_changed)
    keep(CareChanged, _care_changed)


class State(NamedTuple):
    token: str
    stamp: int
    epoch: str


def state(program: Program) -> State:
    """The program's workforce version as this connection sees it. Before the first write, the program's creation
    time stands in for the token and the epoch."""
    found = (
        FiguresVersion.objects.in_org(program.organization_id)
        .filter(program=program)
        .values_list("token", "stamp", "epoch")
        .first()
    )
    if found is None:
        new = f"new-{program.created_at.timestamp()}"
        return State(new, 0, new)
    return State(*found)


def current(program: Program) -> str:
    """The token the figures are cached under."""
    return state(program).token


def cached[T](name: str, *, membership: Membership, program: Program, compute: Callable[[], T]) -> T:
    # Everyone with the same role in the same organization sees the same figures.
    key = ":".join(
        str(part)
        for part in (
            "training",
            name,
            program.pk,
            membership.role,
            membership.organization_id,
            current(program),
            timezone.now().date().isoformat(),
        )
    )
    value: Any = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
