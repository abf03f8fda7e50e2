"""The reviews version: a token per program that moves with every write to its companies' submissions, so the
program dashboard's review figures (``reporting.figures.reviews_today``) can be cached and never be older than the
last committed write.

Every service that changes a submission locks it first (``services._locked``), and the lock moves the version in
the same transaction; the generator, which moves a submission's moments back by hand, moves it too.
``tests/test_reviews_version.py`` makes each kind of write and reads the dashboard after it. A reader builds its key
from :func:`current` before it reads a submission, so what it caches is never older than the token it keys.
"""

import secrets

from django.db import IntegrityError, transaction

from haven.programs.models import Program

from .models import ReviewsVersion

TIMEOUT = 6 * 60 * 60


def bump(program: Program) -> None:
    """Record that the program's reviews changed (call inside the writing transaction)."""
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
