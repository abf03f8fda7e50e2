"""The workforce figures program staff see: funnel, progress over time, by cohort and state, cohorts at risk.

Every figure is computed from the derived path states, so it always agrees with each clinician's own page.
"""

import dataclasses
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.utils import timezone

from haven.core import shares
from haven.core.dates import add_months
from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.programs.models import Program, ProgramTarget, TargetMetric

from . import capacity, funnel, selectors, version
from .models import Cohort, Placement
from .path import Requirement
from .selectors import EnrollmentPath

# A trainee is behind when they attended under this share of the calls held so far ...
MIN_ATTENDANCE = 0.75
# ... or when their consultation deadline is this close and calls are still missing.
DEADLINE_WARNING_MONTHS = 3


def behind(path: EnrollmentPath, today: date | None = None) -> str:
    """Why an enrolled trainee is falling behind, or an empty string."""
    return lag(
        placement=path.enrollment.placement,
        trained=path.state.trained,
        due_by=path.state.step(Requirement.CONSULTATION).due_by,
        held=path.calls_held,
        attended=path.calls_attended,
        today=today or timezone.now().date(),
    )


def lag(*, placement: str, trained: bool, due_by: date | None, held: int, attended: int, today: date) -> str:
    """Why a trainee is falling behind (:func:`behind`, from the values a path or a kept path gives)."""
    if placement != Placement.ENROLLED or trained:
        return ""
    if due_by and today > due_by:
        return "deadline_passed"
    if due_by and _warned_from(today) >= due_by:
        return "deadline_near"
    if held >= 3 and attended < MIN_ATTENDANCE * held:
        return "low_attendance"
    return ""


@functools.lru_cache(maxsize=4)
def _warned_from(today: date) -> date:
    """The last deadline that is near on ``today`` (one per day, whatever the number of trainees)."""
    return add_months(today, DEADLINE_WARNING_MONTHS)


@functools.lru_cache(maxsize=2)
def _lagging(today: date) -> Callable[[funnel.Clinician], bool]:
    """Whether a clinician is an enrolled trainee falling behind on ``today``, as :func:`lag` says, asked once for
    each set of values it reads: tens of thousands of trainees at national scale share a few thousand."""
    said: dict[tuple[str, date | None, int, int], bool] = {}

    def lagging(c: funnel.Clinician) -> bool:
        if c.placement != Placement.ENROLLED:
            return False
        key = (c.status, c.consultation_due, c.calls_held, c.calls_attended)
        found = said.get(key)
        if found is None:
            found = said[key] = bool(
                lag(
                    placement=c.placement,
                    trained=c.trained,
                    due_by=c.consultation_due,
                    held=c.calls_held,
                    attended=c.calls_attended,
                    today=today,
                )
            )
        return found

    return lagging


@dataclass(frozen=True)
class CohortRisk:
    cohort: Cohort
    attendance_rate: float | None
    behind: int
    enrolled: int
    attended: int = 0  # marks of presence, of ...
    held: int = 0  # ... the marks the calls held so far called for

    @property
    def attendance_share(self) -> int | None:
        """Attendance as a whole percentage, to the nearest (``core.shares``)."""
        return shares.nearest(self.attended, self.held) if self.held else None


def _program_paths(membership: Membership, program: Program) -> list[EnrollmentPath]:
    """The kept paths (``kept``) of the enrollments the membership sees: a read, not a derivation."""
    return selectors.kept_program_paths(selectors.enrollments_visible_to(membership).filter(program=program), program)


def _sees_whole_program(membership: Membership, program: Program) -> bool:
    return membership.role == Role.PROGRAM_ADMIN and membership.organization_id == program.organization_id


def _clinicians(membership: Membership, program: Program) -> list[funnel.Clinician]:
    """The kept paths (``kept``) of the enrollments the membership sees, as the figures read them: for the program's
    admins, every enrollment of the program as this process holds them (``funnel.program_clinicians``)."""
    if _sees_whole_program(membership, program):
        return funnel.program_clinicians(program)
    return [funnel.clinician_of(p) for p in _program_paths(membership, program)]


def cohorts_at_risk(membership: Membership, clinicians: list[funnel.Clinician] | None = None) -> list[CohortRisk]:
    if clinicians is None:
        program = selectors.program_for(membership)
        if program is None:
            return []
        return version.cached(
            "at_risk",
            membership=membership,
            program=program,
            compute=lambda: cohorts_at_risk(membership, _clinicians(membership, program)),
        )
    lagging = _lagging(timezone.now().date())
    return _risks(
        membership, {cohort_id: _risk(members, lagging) for cohort_id, members in _by_cohort(clinicians) if cohort_id}
    )


def _risk(rows: Iterable[funnel.Clinician], lagging: Callable[[funnel.Clinician], bool]) -> tuple[int, int, int, int]:
    """A cohort's enrolled trainees: how many, the calls they were expected at and attended, how many lag."""
    enrolled = [c for c in rows if c.cohort_id and c.placement == Placement.ENROLLED]
    return (
        len(enrolled),
        sum(c.calls_held for c in enrolled),
        sum(c.calls_attended for c in enrolled),
        sum(1 for c in enrolled if lagging(c)),
    )


def _risks(membership: Membership, tally: Mapping[int, Sequence[int]]) -> list[CohortRisk]:
    """The cohorts at risk, from each cohort's enrolled trainees, calls held and attended, and trainees lagging."""
    found = []
    for cohort_id, (enrolled, held, attended, late) in tally.items():
        rate = attended / held if held else None
        if (rate is not None and rate < MIN_ATTENDANCE) or late >= max(2, enrolled // 4):
            found.append((cohort_id, rate, late, enrolled, attended, held))
    # Only the cohorts at risk are read, and of them what the pages show (at national scale, hundreds of cohorts).
    visible = selectors.cohorts_visible_to(membership).only("pk", "organization", "program", "name")
    cohorts = visible.in_bulk([cohort_id for cohort_id, *_rest in found])
    risks = [
        CohortRisk(cohorts[cohort_id], rate, late, enrolled, attended, held)
        for cohort_id, rate, late, enrolled, attended, held in found
        if cohort_id in cohorts
    ]
    return sorted(risks, key=lambda r: (r.attendance_rate if r.attendance_rate is not None else 1, -r.behind))


def _months(start: date, end: date) -> list[date]:
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def workforce_summary(*, membership: Membership, program: Program) -> dict[str, Any]:
    """The workforce page's figures: derived from every path, cached until the next write (``version``)."""
    summary = version.cached(
        "workforce",
        membership=membership,
        program=program,
        compute=lambda: _workforce_figures(membership=membership, program=program),
    )
    targets = dict(
        ProgramTarget.objects.in_org(program.organization_id).filter(program=program).values_list("metric", "value")
    )
    target_trained = targets.get(TargetMetric.CLINICIANS_TRAINED)
    total_months = max(1, len(_months(program.starts_on, program.ends_on)) - 1)
    timeline = [
        (month, trained, certified, round(target_trained * index / total_months) if target_trained else None)
        for index, (month, trained, certified) in enumerate(summary["timeline"])
    ]
    return {
        **summary,
        "program": program,
        "timeline": timeline,
        "target_trained": target_trained,
        "target_certified": targets.get(TargetMetric.CLINICIANS_CERTIFIED),
    }


def _workforce_figures(*, membership: Membership, program: Program) -> dict[str, Any]:
    """The funnel and its breakdowns, counted by ``funnel`` as every other page counts them, a cohort at a time: for
    the program's admins each cohort's counts are kept in the process until a write changes its clinicians
    (``funnel.per_cohort``), so the first view after a write counts one cohort again, not the program."""
    if not _sees_whole_program(membership, program):
        return figures_of(membership, program, _clinicians(membership, program))
    today = timezone.now().date()
    within, lagging = funnel.program_period(program), _lagging(today)
    kind = ("workforce", today, program.starts_on, program.ends_on)
    summaries = funnel.per_cohort(program, kind, lambda rows: _summary(rows, within, lagging))
    return _folded(membership, program, summaries, today)


def figures_of(membership: Membership, program: Program, rows: Iterable[funnel.Clinician]) -> dict[str, Any]:
    """The workforce page's figures counted from these clinicians, all at once (what the kept counts must equal)."""
    today = timezone.now().date()
    within, lagging = funnel.program_period(program), _lagging(today)
    summaries = {cohort_id: _summary(members, within, lagging) for cohort_id, members in _by_cohort(rows)}
    return _folded(membership, program, summaries, today)


def _by_cohort(rows: Iterable[funnel.Clinician]) -> Iterable[tuple[int | None, list[funnel.Clinician]]]:
    cohorts: dict[int | None, list[funnel.Clinician]] = defaultdict(list)
    for c in rows:
        cohorts[c.cohort_id].append(c)
    return cohorts.items()


class _Cohort(NamedTuple):
    """What the workforce page counts of one cohort's clinicians (or of those in no cohort)."""

    name: str
    funnel: tuple[int, ...]  # ``funnel.Funnel``'s steps, in its order
    by_state: dict[str, tuple[int, ...]]
    trained: Counter[date]  # by month
    certified: Counter[date]
    risk: tuple[int, int, int, int]  # enrolled trainees, calls held and attended, trainees lagging
    behind: int


def _summary(
    rows: Iterable[funnel.Clinician],
    within: Callable[[date | None], bool],
    lagging: Callable[[funnel.Clinician], bool],
) -> _Cohort:
    rows = list(rows)
    states: dict[str, list[funnel.Clinician]] = defaultdict(list)
    for c in rows:
        states[c.state].append(c)
    trained, certified = funnel.months_reached(rows)
    return _Cohort(
        name=rows[0].cohort_name if rows else "",
        funnel=dataclasses.astuple(funnel.funnel(rows, within)),
        by_state={state: dataclasses.astuple(funnel.funnel(members, within)) for state, members in states.items()},
        trained=trained,
        certified=certified,
        risk=_risk(rows, lagging),
        behind=sum(1 for c in rows if lagging(c)),
    )


def _folded(membership: Membership, program: Program, summaries: dict[Any, _Cohort], today: date) -> dict[str, Any]:
    """The page's figures: each cohort's counts added up (a funnel's steps add up over any split of clinicians)."""
    total = [0] * 7
    states: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    names: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    trained: Counter[date] = Counter()
    certified: Counter[date] = Counter()
    risk, behind = {}, 0
    for cohort_id, summary in summaries.items():
        _add(total, summary.funnel)
        if summary.name:  # clinicians in no cohort count in the funnel, under no cohort's name
            _add(names[summary.name], summary.funnel)
        for state, steps in summary.by_state.items():
            if state:
                _add(states[state], steps)
        trained.update(summary.trained)
        certified.update(summary.certified)
        behind += summary.behind
        if cohort_id and summary.risk[0]:
            risk[cohort_id] = summary.risk
    return {
        "funnel": funnel.Funnel(*total),
        "timeline": funnel.running(trained, certified, _months(program.starts_on, min(program.ends_on, today))),
        "by_state": [(name, funnel.Funnel(*steps)) for name, steps in sorted(states.items())],
        "by_cohort": [(name, funnel.Funnel(*steps)) for name, steps in sorted(names.items())],
        "at_risk": _risks(membership, risk),
        "behind": behind,
    }


def _add(into: list[int], steps: Sequence[int]) -> None:
    for step, count in enumerate(steps):
        into[step] += count


def capacity_plan(*, membership: Membership, program: Program) -> dict[str, Any]:
    """The inputs of the capacity model, read from the derived paths (cached until the next write), and the
    plan it gives against the program's current target."""
    target = (
        ProgramTarget.objects.in_org(program.organization_id)
        .filter(program=program, metric=TargetMetric.CLINICIANS_TRAINED)
        .values_list("value", flat=True)
        .first()
    )
    observed = version.cached(
        "capacity",
        membership=membership,
        program=program,
        compute=lambda: _capacity_observed(membership=membership, program=program),
    )
    observed = dataclasses.replace(observed, target=target or 0)
    today = timezone.now().date()
    plan = capacity.plan(observed, today=today, program_end=program.ends_on)
    return {
        "program": program,
        "observed": observed,
        "plan": plan,
        "has_target": target is not None,
        "what_if": _as_what_if(program, plan, today),
    }


def _as_what_if(program: Program, plan: capacity.Plan, today: date) -> str:
    """The plan's new cohorts as the forecast's what-if (its query string), starting the month of the first one
    (next month at the earliest: the forecast adds cohorts from then)."""
    if not plan.cohorts_needed or not plan.starts:
        return ""
    month = max(date(plan.starts[0].year, plan.starts[0].month, 1), add_months(date(today.year, today.month, 1), 1))
    return urlencode(
        {"program": program.pk, "cohorts": plan.cohorts_needed, "seats": plan.cohort_size, "month": month.isoformat()}
    )


def _capacity_observed(*, membership: Membership, program: Program) -> capacity.Observed:
    today = timezone.now().date()
    paths = _program_paths(membership, program)
    cohorts = list(
        selectors.cohort_fill(selectors.cohorts_visible_to(membership).filter(program=program)).order_by("starts_on")
    )
    in_progress, finished, finished_trained, training_days = [], 0, 0, []
    for p in paths:
        cohort = p.enrollment.cohort
        if cohort is None or p.enrollment.placement == Placement.NOMINATED:
            continue
        if p.state.trained and p.state.trained_on:
            training_days.append((p.state.trained_on - cohort.starts_on).days)
        if cohort.ends_on < today and p.enrollment.placement in (Placement.ENROLLED, Placement.WITHDRAWN):
            finished += 1
            finished_trained += p.state.trained
        elif p.enrollment.placement == Placement.ENROLLED and not p.state.trained:
            in_progress.append(cohort.starts_on)
    return capacity.Observed(
        target=0,
        trained=sum(1 for p in paths if p.state.trained),
        in_progress_started=tuple(in_progress),
        planned_seats=tuple(
            (c.starts_on, max(0, c.capacity - c.enrolled))  # type: ignore[attr-defined]
            for c in cohorts
            if c.starts_on > today
        ),
        finished_members=finished,
        finished_trained=finished_trained,
        training_days=tuple(training_days),
        cohort_sizes=tuple(c.capacity for c in cohorts),
    )
