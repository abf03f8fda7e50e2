"""Generator step, after every pillar's: what reporting keeps (children served and the care cells), rebuilt in
bulk from the generated rows, as after a change of the program's period."""

from haven.core.db import analyze, indexes_deferred
from haven.core.generation import GenerationContext
from haven.programs.models import Program

from . import served
from .models import CacCell, ChildServed, ProgramCell, StateCell


def run(ctx: GenerationContext) -> None:
    program = Program.objects.in_org(ctx.shared["national_id"]).get(pk=ctx.shared["program_id"])
    # The kept rows are written once, read whole meanwhile: their indexes are made after them.
    with indexes_deferred(ChildServed, CacCell, StateCell, ProgramCell):
        served.rebuild(program)
    analyze(ChildServed, CacCell, StateCell, ProgramCell)  # the tables before were analyzed after care
