"""The reviews version: a token per program that moves with every write to its companies' submissions, so the
program dashboard's review figures (``reporting.figures.reviews_today``) can be cached and never be older than the
last committed write.

Every service that changes a submission locks it first (``services._locked``), and the lock moves the version in
the same transaction; the generator, which moves a submission's moments back by hand, moves it too.
``tests/test_reviews_version.py`` makes each kind of write and reads the dashboard after it. A reader builds its key
from :func:`current` before it reads a submission, so what it caches is never older than the token it keys.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, transaction

from haven.programs.models import Program

from .models import ReviewsVersion

TIMEOUT = 6 * 60 * 60

# The programs whose version moves once, when ``once`` ends; None outside it.
_moved: ContextVar[dict[int, Program] | None] = ContextVar("reviews_version_moved", default=None)


def bump(program: Program) -> None:
    """Record that the program's reviews changed (call inside the writing transaction)."""
    moved = _moved.get()
    if moved is not None:
        moved[program.pk] = program
        return
    token = secrets.token_hex(16)
    versions = ReviewsVersion.objects.in_org(program.organization_id).filter(program=program)
    if versions.update(token=token):  # one statement once the row exists
        return
    try:
        with transaction.atomic():
            ReviewsVersion.objects.create(organization_id=program.organization_id, program=program, token=token)
    except IntegrityError:  # another write made the row at the same moment
        versions.update(token=token)


def current(program: Program) -> str:
    """The token the figures are cached under. Before the first write, the program's creation time stands in."""
    token = ReviewsVersion.objects.in_org(program.organization_id).filter(program=program).values("token").first()
    return str(token["token"]) if token else f"new-{program.created_at.timestamp()}"


@contextmanager
def once() -> Iterator[None]:
    """Inside it, the writes move each program's version once, when it ends (inside the same transaction): the
    generator writes thousands of submissions in one, and PostgreSQL updating one row thousands of times in a
    transaction slows down with each update (every version of the row is kept until it commits)."""
    moved: dict[int, Program] = {}
    reset = _moved.set(moved)
    try:
        yield
    finally:
        _moved.reset(reset)
    for program in moved.values():
        bump(program)
