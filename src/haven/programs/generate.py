"""Generator step: the flagship program, its funder and targets, in proportion to the scale."""

from haven.core.dates import add_months, month_of
from haven.core.generation import GenerationContext

from .models import Program, ProgramFunder, ProgramTarget, TargetMetric


def run(ctx: GenerationContext) -> None:
    national_id = ctx.shared["national_id"]
    ratio = ctx.scale.clinicians / 2_000
    program = Program.objects.create(
        organization_id=national_id,
        name="TF-CBT Workforce Partnership",
        description=(
            "Train Children's Advocacy Center clinicians in Trauma-Focused CBT, educate corporate staff in child "
            "protection, and raise public awareness."
        ),
        starts_on=ctx.start,
        ends_on=month_of(add_months(ctx.start, 36)),
    )
    ProgramFunder.objects.create(organization_id=national_id, program=program, funder_id=ctx.shared["funder_id"])
    # The announced targets are 2,000 trained and 55,000 children; the others are illustrative demo values.
    targets = {
        TargetMetric.CLINICIANS_TRAINED: 2_000,
        TargetMetric.CLINICIANS_CERTIFIED: 1_000,
        TargetMetric.CHILDREN_SERVED: 55_000,
        TargetMetric.CAREGIVERS_SERVED: 40_000,
        TargetMetric.STAFF_EDUCATED: 3_000,
    }
    ProgramTarget.objects.bulk_create(
        [
            ProgramTarget(organization_id=national_id, program=program, metric=metric, value=round(value * ratio))
            for metric, value in targets.items()
        ]
    )
    ctx.shared["program_id"] = program.pk
    ctx.count("programs", 1)
