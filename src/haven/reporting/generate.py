"""Generator step, after every pillar's: what reporting keeps (children served and the care cells), rebuilt in
bulk from the generated rows, as after a change of the program's period."""

from haven.core.db import analyze
from haven.core.generation import GenerationContext
from haven.programs.models import Program

from . import served


def run(ctx: GenerationContext) -> None:
    program = Program.objects.in_org(ctx.shared["national_id"]).get(pk=ctx.shared["program_id"])
    served.rebuild(program)
    analyze()
