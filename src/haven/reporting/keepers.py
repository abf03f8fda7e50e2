"""What reporting keeps as the pillars write: children served (``served``) and the care cells (``kept``).

Registered at start-up (``ReportingConfig.ready``) with ``core.changes.keep``; each keeper runs inside the
transaction of the write that announced the change, so the kept rows are never older than the last commit.
Children served come first: the care cells count them.
"""

from haven.core.changes import CareChanged, ProgramChanged, WorkforceChanged, keep
from haven.programs.selectors import program_of

from . import kept, served


def care_changed(change: CareChanged) -> None:
    """A CAC's care records changed: its children served, then its cells and its state's (only the months the
    write and the served rows it moved name, when the write names them)."""
    program = program_of(change)
    # Held from here to the commit, so that the served rows read next are the last committed ones.
    kept.hold(program)
    moved = served.refresh(program, change.organization_id, change.child_ids)
    kept.refresh(
        program, change.organization_id, days=None if change.days is None else kept.Days(change.days, frozenset(moved))
    )


def workforce_changed(change: WorkforceChanged) -> None:
    """Clinicians were placed in a cohort: the sessions they already gave may now serve children."""
    if change.clinicians:
        served.refresh_clinicians(program_of(change), change.clinicians)


def program_changed(change: ProgramChanged) -> None:
    """Children served are counted within the program's period: a new period counts them all again."""
    if change.period_changed:
        served.rebuild(program_of(change))


def register() -> None:
    keep(CareChanged, care_changed)
    keep(WorkforceChanged, workforce_changed)
    keep(ProgramChanged, program_changed)
