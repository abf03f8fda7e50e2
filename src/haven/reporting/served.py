"""Children and caregivers served, kept up to date as sessions and placements are written.

A child is served by a program once they have at least one session delivered within the program's period by a
clinician enrolled in the program (an enrollment that has been placed in a cohort, even if later withdrawn).
Counted once per program. A caregiver is served once a session of the child's involves them (a caregiver or
conjoint session, or the caregiver present).

Every write refreshes the ``ChildServed`` rows of the children it touches from their raw rows, with the same
query a full recomputation uses, so the kept rows always equal :func:`recompute` (``manage.py served_verify``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from haven.care.models import CAREGIVER_KINDS, Child, Session, age_band
from haven.core.db import Unindexed, insert_rows
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.models import Enrollment

from . import kept as cells
from .models import ChildServed

REBUILD_SLICE = 50_000
CAREGIVER_INVOLVED = Q(caregiver_present=True) | Q(kind__in=CAREGIVER_KINDS)


@dataclass(frozen=True)
class Served:
    first_session_on: date
    caregiver_first_on: date | None


def _enrolled(program: Program, *, held: str = "held_on", clinician: str = "clinician_id") -> Q:
    """Sessions of the program's period delivered by a clinician enrolled in it (``held`` and ``clinician`` name
    the columns or aliases compared)."""
    placed = Enrollment.objects.dangerously_unscoped().filter(program=program, live_training_on__isnull=False)
    return Q(
        episode__program=program,
        **{
            f"{held}__gte": program.starts_on,
            f"{held}__lte": program.ends_on,
            f"{clinician}__in": placed.values("clinician_id"),
        },
    )


def _enrolled_each(program: Program) -> Q:
    """As :func:`_enrolled`, each session's clinician looked up in the enrollments by index: for a few children's
    sessions, where the program's list of placed clinicians (20,000 at national scale) would be read whole."""
    placed = Enrollment.objects.dangerously_unscoped().filter(
        program=program, live_training_on__isnull=False, clinician_id=OuterRef("clinician_id")
    )
    return Q(Exists(placed), episode__program=program, held_on__gte=program.starts_on, held_on__lte=program.ends_on)


def _aggregate(program: Program, sessions: QuerySet[Session], enrolled: Q | None = None) -> dict[int, Served]:
    rows = (
        sessions.filter(_enrolled(program) if enrolled is None else enrolled)
        .values("episode__child_id")
        .annotate(first=Min("held_on"), caregiver_first=Min("held_on", filter=CAREGIVER_INVOLVED))
        .values_list("episode__child_id", "first", "caregiver_first")
    )
    return {child_id: Served(first, caregiver_first) for child_id, first, caregiver_first in rows}


def recompute(program: Program) -> dict[int, Served]:
    """Children served by the program, from the raw session rows of every CAC (a whole-database check). Every
    session is read: through the program's episodes, in their order, not looked up by clinician and date
    (``Unindexed``), which read each of millions where the index pointed."""
    sessions = Session.objects.dangerously_unscoped().alias(
        unindexed_held=Unindexed("held_on"), unindexed_clinician=Unindexed("clinician_id")
    )
    return _aggregate(program, sessions, _enrolled(program, held="unindexed_held", clinician="unindexed_clinician"))


def kept(program: Program) -> dict[int, Served]:
    rows = ChildServed.objects.of_program(program).values_list("child_id", "first_session_on", "caregiver_first_on")
    return {child_id: Served(first, caregiver_first) for child_id, first, caregiver_first in rows}


def refresh(program: Program, organization_id: int, child_ids: Iterable[int]) -> set[date]:
    """Rebuild the served rows of some children of one CAC from their sessions (inside the writer's transaction).
    Returns the days the rows that changed held and hold (first served, caregiver first served): the months of
    the children's care cells they move."""
    child_ids = set(child_ids)
    if not child_ids:
        return set()
    sessions = Session.objects.in_org(organization_id).filter(episode__child_id__in=child_ids)
    fresh = _aggregate(program, sessions, _enrolled_each(program))
    current = {
        row.child_id: row
        for row in ChildServed.objects.in_org(organization_id).filter(program=program, child_id__in=child_ids)
    }
    days: set[date] = set()
    for child_id in child_ids:
        was, now = _days(current.get(child_id)), _days(fresh.get(child_id))
        if was != now:
            days.update(day for day in (*was, *now) if day is not None)
    gone = [child_id for child_id in current if child_id not in fresh]
    if gone:
        ChildServed.objects.in_org(organization_id).filter(program=program, child_id__in=gone).delete()
    new_ids = [child_id for child_id in fresh if child_id not in current]
    for child_id, served in fresh.items():
        row = current.get(child_id)
        if row is not None and (row.first_session_on, row.caregiver_first_on) != (
            served.first_session_on,
            served.caregiver_first_on,
        ):
            row.first_session_on, row.caregiver_first_on = served.first_session_on, served.caregiver_first_on
            row.save(update_fields=["first_session_on", "caregiver_first_on"])
    if new_ids:
        state = Organization.objects.values_list("state", flat=True).get(pk=organization_id)
        children = Child.objects.in_org(organization_id).filter(pk__in=new_ids).values_list(*CHILD_COLUMNS)
        _insert(program, fresh, {organization_id: state}, children)
    return days


def _days(row: ChildServed | Served | None) -> tuple[date | None, ...]:
    return () if row is None else (row.first_session_on, row.caregiver_first_on)


def row_for(program: Program, child: Child, state: str, served: Served) -> ChildServed:
    return ChildServed(
        organization_id=child.organization_id,
        program=program,
        child=child,
        first_session_on=served.first_session_on,
        caregiver_first_on=served.caregiver_first_on,
        state=state,
        age_band=age_band(child.age_at_referral),
        gender=child.gender,
        race_ethnicity=child.race_ethnicity,
    )


def refresh_clinicians(program: Program, enrollments: Iterable[tuple[int, int]]) -> None:
    """Clinicians (CAC id, user id) were placed in a cohort: the sessions they already gave, at any CAC they
    work for, may now count."""
    clinician_ids = {user for _org, user in enrollments}
    if not clinician_ids:
        return
    org_ids = set(
        Membership.objects.dangerously_unscoped()
        .filter(user_id__in=clinician_ids, role=Role.CLINICIAN)
        .values_list("organization_id", flat=True)
    )
    touched = (
        Session.objects.in_orgs(org_ids)
        .filter(clinician_id__in=clinician_ids, episode__program=program)
        .values_list("organization_id", "episode__child_id")
        .distinct()
    )
    by_org: dict[int, set[int]] = {}
    for org_id, child_id in touched:
        by_org.setdefault(org_id, set()).add(child_id)
    for org_id, child_ids in by_org.items():
        refresh(program, org_id, child_ids)
        cells.refresh(program, org_id)


CHILD_COLUMNS = ("pk", "organization_id", "age_at_referral", "gender", "race_ethnicity")


def _insert(
    program: Program,
    fresh: dict[int, Served],
    states: dict[int, str],
    children: Iterable[tuple[int, int, int, str, str]],
) -> None:
    """Write the served rows of ``children`` (``CHILD_COLUMNS``) as plain rows (``insert_rows``): thousands at
    once when a batch of sessions serves them or the program's period changes."""
    fields = [
        "organization_id",
        "program_id",
        "child_id",
        "first_session_on",
        "caregiver_first_on",
        "state",
        "age_band",
        "gender",
        "race_ethnicity",
    ]
    insert_rows(
        ChildServed,
        fields,
        (
            (
                org_id,
                program.pk,
                child_id,
                fresh[child_id].first_session_on,
                fresh[child_id].caregiver_first_on,
                states[org_id],
                age_band(age),
                gender,
                race,
            )
            for child_id, org_id, age, gender, race in children
        ),
    )


def rebuild(program: Program) -> None:
    """The program's period changed: every served row is recomputed from the raw rows (written as plain rows:
    at national scale there are half a million)."""
    fresh = recompute(program)
    ChildServed.objects.of_program(program).delete()
    ids = sorted(fresh)
    states = dict(Organization.objects.values_list("pk", "state"))
    # In slices: SQLite caps the variables of one statement (half a million children at national scale).
    for start in range(0, len(ids), REBUILD_SLICE):
        children = (
            Child.objects.dangerously_unscoped()
            .filter(pk__in=ids[start : start + REBUILD_SLICE])
            .values_list(*CHILD_COLUMNS)
        )
        _insert(program, fresh, states, children.iterator())
    cells.refresh_all(program)
