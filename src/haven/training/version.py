"""The workforce version: a token per program that moves with every write the workforce figures read, so they
can be cached (here and in ``reporting``) and never be older than the last committed write.

Training's keeper (:func:`register`, at start-up) bumps it inside the writing transaction whenever a
``WorkforceChanged`` is announced (every training write) or a ``CareChanged`` says a case counting for certification
may have changed (care); a reader builds its cache key from :func:`current`, the token it can see. The day is part
of the key too, since "falling behind" and the timeline move with the calendar.
"""

import secrets
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from haven.core.changes import CareChanged, WorkforceChanged, keep
from haven.organizations.models import Membership
from haven.programs.models import Program
from haven.programs.selectors import program_of

from .models import FiguresVersion

TIMEOUT = 6 * 60 * 60


def bump(program: Program) -> None:
    """Record that the program's workforce records changed (call inside the writing transaction)."""
    FiguresVersion.objects.update_or_create(
        organization_id=program.organization_id, program=program, defaults={"token": secrets.token_hex(16)}
    )


def _workforce_changed(change: WorkforceChanged) -> None:
    bump(program_of(change))


def _care_changed(change: CareChanged) -> None:
    if change.cases_changed:  # the certification path counts completed cases
        bump(program_of(change))


def register() -> None:
    keep(WorkforceChanged, _workforce_changed)
    keep(CareChanged, _care_changed)


def current(program: Program) -> str:
    """The token the figures are cached under. Before the first write, the program's creation time stands in."""
    row = FiguresVersion.objects.in_org(program.organization_id).filter(program=program).values("token").first()
    return str(row["token"]) if row else f"new-{program.created_at.timestamp()}"


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
