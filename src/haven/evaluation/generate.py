"""Generator step: the evaluation exports' demo. No export is made by one person alone, so the demo has a second
program admin's sign-in (with its second factor), and one request by the first, waiting for the second's decision:
signed in as the second, a visitor can approve it and see the package built (``make demo`` runs the task worker)."""

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password

from haven.accounts.models import User
from haven.core.dates import add_months
from haven.core.generation import GenerationContext
from haven.organizations.generate import DEMO_PASSWORD, demo_second_factors
from haven.organizations.roles import Role
from haven.organizations.services import memberships_seed_by_system
from haven.programs.models import Program

from . import package, services

SEED_OFFSET = 18_000  # this step's own generator: the other steps' data stay as they were
FIRST_ADMIN = "program.admin@haven.example"  # organizations.generate.DEMO_LOGINS
SECOND_ADMIN = ("program.second@haven.example", "Robin Second")


def run(ctx: GenerationContext) -> None:
    rng = random.Random(ctx.seed + SEED_OFFSET)  # noqa: S311 - demo data, not a secret
    program = Program.objects.in_org(ctx.shared["national_id"]).get(pk=ctx.shared["program_id"])
    email, name = SECOND_ADMIN
    second = User.objects.create(email=email, full_name=name, password=make_password(DEMO_PASSWORD))
    memberships_seed_by_system(rows=[(second.pk, program.organization_id, Role.PROGRAM_ADMIN)])
    demo_second_factors(rng, [second.pk])
    ctx.shared.setdefault("demo_user_ids", {})[email] = second.pk
    ctx.count("users", 1)

    first = User.objects.get(pk=ctx.shared["demo_user_ids"][FIRST_ADMIN])
    start = program.starts_on
    services.export_request(
        actor=first,
        program=program,
        fields=services.ExportFields(
            purpose=(
                "Outcome evaluation of the program's first year: change in CATS scores by number of sessions and "
                "components, compared across states."
            ),
            evaluator="University Center for Child Trauma Research",
            agreement_reference="DUA-2026-014",
            agreement_expires_on=ctx.start + timedelta(days=3 * 365),
            tables=package.TABLES,
            period_start=start,
            period_end=add_months(start, 12),
            date_unit="days",
            k=11,
            language="en",
        ),
    )
    ctx.count("evaluation export requests", 1)
