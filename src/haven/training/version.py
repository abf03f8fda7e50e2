"""The workforce version: a token per program that moves with every write the workforce figures read, so they
can be cached (here and in ``reporting``) and never be older than the last committed write.

:func:`bump` is called inside the writing transaction (every training write, and a completed case changing in
care); a reader builds its cache key from :func:`current`, the token it can see. The day is part of the key too,
since "falling behind" and the timeline move with the calendar.
"""

import secrets
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from haven.organizations.models import Membership
from haven.programs.models import Program

from .models import FiguresVersion

TIMEOUT = 6 * 60 * 60


def bump(program: Program) -> None:
    """Record that the program's workforce records changed (call inside the writing transaction)."""
    FiguresVersion.objects.update_or_create(
        organization_id=program.organization_id, program=program, defaults={"token": secrets.token_hex(16)}
    )


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
