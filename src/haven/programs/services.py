from typing import Any

from django.db import transaction

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.changes import ProgramChanged, announce
from haven.organizations.models import Organization

from .models import Program, ProgramFunder, ProgramTarget, RetentionPolicy


@transaction.atomic
def program_save(
    *,
    actor: User,
    organization: Organization,
    program: Program | None,
    name: str,
    description: str,
    starts_on: Any,
    ends_on: Any,
    funders: list[Organization],
    targets: dict[str, int | None],
) -> Program:
    """Create or update a program with its funders and targets, all in one transaction and one audit event."""
    created = program is None
    if program is None:
        program = Program(organization=organization)
    period = (program.starts_on, program.ends_on)
    program.name, program.description, program.starts_on, program.ends_on = (
        name,
        description,
        starts_on,
        ends_on,
    )
    program.full_clean()
    program.save()

    funder_rows = ProgramFunder.objects.in_org(organization).filter(program=program)
    funder_rows.exclude(funder__in=funders).delete()
    for funder in funders:
        ProgramFunder.objects.get_or_create(organization=organization, program=program, funder=funder)

    target_rows = ProgramTarget.objects.in_org(organization).filter(program=program)
    target_rows.exclude(metric__in=[metric for metric, value in targets.items() if value]).delete()
    for metric, value in targets.items():
        if value:
            ProgramTarget.objects.update_or_create(
                organization=organization, program=program, metric=metric, defaults={"value": value}
            )
    moved = not created and period != (program.starts_on, program.ends_on)
    announce(ProgramChanged(program_id=program.pk, period_changed=moved))
    audit.record(
        actor=actor,
        action="program.create" if created else "program.update",
        organization=organization,
        target=program,
        detail={"funders": sorted(f.pk for f in funders), "targets": {k: v for k, v in targets.items() if v}},
    )
    return program


@transaction.atomic
def retention_policy_save(*, actor: User, program: Program, deidentify_after_years: int) -> RetentionPolicy:
    """Set how many years after the program ends its children's records are de-identified (decision 0047)."""
    policy = RetentionPolicy.objects.in_org(program.organization_id).filter(program=program).first()
    before = policy.deidentify_after_years if policy else None
    if policy is None:
        policy = RetentionPolicy(organization_id=program.organization_id, program=program)
    policy.deidentify_after_years = deidentify_after_years
    policy.full_clean(validate_unique=False)  # one per program: found above, and a database constraint
    policy.save()
    audit.record(
        actor=actor,
        action="retention.update",
        organization=program.organization_id,
        target=policy,
        detail={"program": program.pk, "years": deidentify_after_years, "before": before},
    )
    return policy
