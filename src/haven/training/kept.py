"""The workforce paths kept up to date as records are written (decision 50), as ``reporting.kept`` keeps the care
cells.

Deriving every enrollment's certification path (``selectors.paths_for``) reads every milestone, attendance mark,
call and completed case of the program: 0.3-0.6 s at program scale, 10-13 s at national. So each enrollment's path
is kept in a :class:`~haven.training.models.KeptPath` row, and the figures (``funnel.program_clinicians``, the
workforce page, the state's page) read those rows in one query.

Training's keeper (:func:`register`, at start-up) rewrites, inside the transaction of the write that announced it,
only the rows that write can change: the enrollments a ``WorkforceChanged`` names and those of the cohorts it names
(a cohort's dates, calls or attendance), or, when it names neither, every enrollment of the program; on a
``CareChanged`` with ``cases_changed``, the enrollments of that CAC (a clinician's completed cases are counted
within their CAC). Each row is :func:`compute`'s, the function a full recomputation uses too, so the kept rows
always equal :func:`differences`' recomputation (``manage.py training_verify`` checks a live database).

A row holds the path's dates (``path.Dated``), never a status read on one day: the status on a day is
``path.on(row, today)`` at read time, so a row never goes stale overnight.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from haven.core.changes import CareChanged, WorkforceChanged, keep
from haven.core.db import insert_rows
from haven.programs.models import Program
from haven.programs.selectors import program_of

from . import path, selectors, version
from .models import Enrollment, KeptPath

# The columns of a kept row after its CAC, in the order ``compute`` gives them.
FIELDS = selectors.KEPT_FIELDS

type Row = tuple[Any, ...]  # (CAC, *FIELDS)


def compute(program: Program, enrollments: QuerySet[Enrollment]) -> dict[int, Row]:
    """Each enrollment's kept row, by enrollment id, derived from scratch (the enrollments of ``program``)."""
    rules = selectors.path_rules(program)
    result = {}
    for enrollment, facts, held, attended in selectors.facts_for(selectors.slim_enrollments(enrollments)):
        d = path.dated(rules, facts)
        result[enrollment.pk] = (
            enrollment.organization_id,
            str(d.base),
            d.trained_from,
            d.trained_on,
            d.certified_on,
            d.certified_until,
            d.consultation_due,
            held,
            attended,
        )
    return result


def stored(program: Program, enrollment_ids: Iterable[int] | None = None) -> dict[int, Row]:
    """The kept rows, by enrollment id: the program's, or those of some enrollments."""
    rows = KeptPath.objects.of_program(program)
    if enrollment_ids is not None:
        rows = rows.filter(enrollment_id__in=list(enrollment_ids))
    return {pk: tuple(rest) for pk, *rest in rows.values_list("enrollment_id", "organization_id", *FIELDS)}


@transaction.atomic
def refresh(
    program: Program,
    *,
    enrollment_ids: Iterable[int] = (),
    cohort_ids: Iterable[int] = (),
    cac_ids: Iterable[int] = (),
) -> int:
    """Bring the kept paths of some enrollments (named, in some cohorts, or of some CACs) in line with their records
    (call inside the writing transaction). Returns how many rows were written.

    Every path named is stamped with the workforce version's next count, changed or not: what the figures read
    beside the path (the cohort's name, the placement, the CAC's state) may have changed with it."""
    _lock(program)
    enrollment_ids = list(enrollment_ids)
    which = Q(pk__in=enrollment_ids) | Q(cohort_id__in=list(cohort_ids)) | Q(organization_id__in=list(cac_ids))
    fresh = compute(program, Enrollment.objects.of_program(program).filter(which))
    if not fresh.keys() >= set(enrollment_ids):
        # An enrollment named is gone: a count cannot say what to forget.
        version.renew(program)
    if not fresh:
        return 0
    stamp = version.bump(program)
    kept = stored(program, fresh)
    changed = [pk for pk, row in fresh.items() if kept.get(pk) != row]
    paths = KeptPath.objects.of_program(program)
    if same := fresh.keys() - set(changed):
        paths.filter(enrollment_id__in=list(same)).update(stamp=stamp)
    if not changed:
        return 0
    # Rewritten, not updated in place: a handful of rows (one clinician, one cohort, one CAC's clinicians).
    paths.filter(enrollment_id__in=changed).delete()
    KeptPath.objects.bulk_create(
        KeptPath(
            program=program,
            enrollment_id=pk,
            stamp=stamp,
            **dict(zip(("organization_id", *FIELDS), fresh[pk], strict=True)),
        )
        for pk in changed
    )
    return len(changed)


def _lock(program: Program) -> None:
    """One keeper of a program's paths at a time, holding on until its write commits (PostgreSQL; SQLite writes
    are serial anyway): the second derives its paths after the first write committed, so it sees both writes, and
    two keepers never replace the same row at once."""
    Program.objects.in_org(program.organization_id).select_for_update().filter(pk=program.pk).values_list(
        "pk", flat=True
    ).first()


def rebuild(program: Program) -> int:
    """Every kept path of the program again, from scratch (the generator, ``training_verify --repair``, and a
    write that does not say what it changed). Written as plain rows: tens of thousands at national scale."""
    with transaction.atomic():
        _lock(program)
        fresh = compute(program, Enrollment.objects.of_program(program))
        KeptPath.objects.of_program(program).delete()
        stamp = version.renew(program)
        return insert_rows(
            KeptPath,
            ["enrollment_id", "program_id", "stamp", "organization_id", *FIELDS],
            ((pk, program.pk, stamp, *row) for pk, row in fresh.items()),
        )


def differences(program: Program) -> list[str]:
    """Where the kept paths differ from a full recomputation from the records (empty when they agree)."""
    fresh = compute(program, Enrollment.objects.of_program(program))
    kept = stored(program)
    problems = []
    for pk in sorted(fresh.keys() | kept.keys()):
        if fresh.get(pk) != kept.get(pk):
            problems.append(f"enrollment {pk}: kept {_show(kept.get(pk))}, records {_show(fresh.get(pk))}")
    return problems


def _show(row: Row | None) -> str:
    if row is None:
        return "nothing"
    return ", ".join(
        f"{name}={value.isoformat() if isinstance(value, date) else value}"
        for name, value in zip(("cac", *FIELDS), row, strict=True)
    )


def workforce_changed(change: WorkforceChanged) -> None:
    """A training write: the paths it names, or every path of the program when it names none."""
    program = program_of(change)
    if change.enrollments or change.cohorts:
        refresh(program, enrollment_ids=change.enrollments, cohort_ids=change.cohorts)
    else:
        rebuild(program)


def care_changed(change: CareChanged) -> None:
    """A case counting for certification may have started or stopped counting: the paths of the CAC's clinicians,
    in every program they are enrolled in (a clinician's completed cases are counted at their CAC, whichever
    program the episode belongs to)."""
    if not change.cases_changed:
        return
    program_ids = set(
        Enrollment.objects.in_org(change.organization_id).values_list("program_id", flat=True).distinct().order_by()
    )
    for program in Program.objects.dangerously_unscoped().filter(pk__in=program_ids | {change.program_id}):
        # A lookup by id for the keeper, as ``program_of``: the writer named the CAC.
        # Each program's version moves with the paths written (``refresh``).
        refresh(program, cac_ids=[change.organization_id])


def register() -> None:
    keep(WorkforceChanged, workforce_changed)
    keep(CareChanged, care_changed)
