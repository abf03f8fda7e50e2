"""The learning version: a token per company that moves with every write the staff-education figures read, so the
learning admin's dashboard (``dashboard.cached_figures``) can cache them and never show figures older than the last
committed write.

Every write of staff, assignments, completions, quiz attempts, attestations, published policy or course versions
and assignment rules calls :func:`bump` inside its transaction (the services, the staff table import, the rules
engine, the generator); ``tests/test_learning_version.py`` makes each kind of write and reads the dashboard after
it. A reader builds its cache key from :func:`current`, the token it can see; the day is in the key too, since
"overdue" moves with the calendar.
"""

import secrets

from django.db import IntegrityError, transaction

from haven.organizations.models import Organization

from .models import LearningVersion

TIMEOUT = 6 * 60 * 60


def bump(company: Organization | int) -> None:
    """Record that the company's learning records changed (call inside the writing transaction)."""
    company_id = company if isinstance(company, int) else company.pk
    token = secrets.token_hex(16)
    if LearningVersion.objects.in_org(company_id).update(token=token):  # one statement once the row exists
        return
    try:
        with transaction.atomic():
            LearningVersion.objects.create(organization_id=company_id, token=token)
    except IntegrityError:  # another write made the row at the same moment
        LearningVersion.objects.in_org(company_id).update(token=token)


def current(company: Organization) -> str:
    """The token the figures are cached under. Before the first write, the company's creation time stands in."""
    row = LearningVersion.objects.in_org(company).values("token").first()
    return str(row["token"]) if row else f"new-{company.created_at.timestamp()}"


def current_of(companies: list[Organization]) -> dict[int, str]:
    """:func:`current` of each company, in one query (a program's figures add up several companies' learning)."""
    tokens = dict(LearningVersion.objects.in_orgs([c.pk for c in companies]).values_list("organization_id", "token"))
    return {c.pk: str(tokens[c.pk]) if c.pk in tokens else f"new-{c.created_at.timestamp()}" for c in companies}
