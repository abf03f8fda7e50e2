"""The generator's workforce data obeys the same rules the pages enforce."""

from collections import Counter, defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from haven.core.dates import add_months
from haven.programs.models import Program
from haven.training.models import (
    Attendance,
    Cohort,
    ConsultationCall,
    Enrollment,
    Milestone,
    MilestoneKind,
    Placement,
)
from haven.training.path import PathFacts, Requirement, Status, retake_allowed
from haven.training.selectors import path_rules, paths_for


@pytest.mark.parametrize("months_back", [None, 36])
def test_demo_generation_makes_plausible_cohorts_and_paths(db: None, months_back: int | None) -> None:
    """The default start (18 months ago: cohorts still running), and one 3 years back, long enough for
    failed knowledge tests to be retaken."""
    today = timezone.now().date()
    if months_back is None:
        call_command("generate", "--scale=demo", "--seed=3")
    else:
        start = add_months(date(today.year, today.month, 1), -months_back)
        call_command("generate", "--scale=demo", "--seed=3", f"--start={start.isoformat()}")
    program = Program.objects.dangerously_unscoped().get()
    cohorts = list(Cohort.objects.in_org(program.organization_id))
    enrollments = list(Enrollment.objects.dangerously_unscoped().select_related("cohort"))
    assert len(enrollments) == 201  # every generated clinician, the demo clinician included

    # Cohorts of about 20, never over capacity.
    assert 10 <= len(cohorts) <= 16
    in_cohort = Counter(e.cohort_id for e in enrollments if e.cohort_id)
    enrolled = Counter(e.cohort_id for e in enrollments if e.placement == Placement.ENROLLED)
    for cohort in cohorts:
        assert 5 <= in_cohort[cohort.pk] <= 20, cohort.name
        assert enrolled[cohort.pk] <= cohort.capacity, cohort.name
        assert cohort.capacity <= 24
    assert sum(in_cohort.values()) / len(cohorts) >= 12

    placements = Counter(e.placement for e in enrollments)
    assert placements[Placement.ENROLLED] > 150
    assert placements[Placement.WITHDRAWN] > 0
    for enrollment in enrollments:
        if enrollment.placement == Placement.ENROLLED:
            assert enrollment.cohort_id is not None
        if enrollment.placement == Placement.WITHDRAWN:
            assert enrollment.withdrawal_reason.strip()
            assert enrollment.withdrawn_at is not None
        else:
            assert enrollment.withdrawal_reason == ""

    # Attendance only at calls already held, and only calls held carry a recording time.
    calls = list(ConsultationCall.objects.in_org(program.organization_id))
    if months_back is None:
        assert any(c.held_on > today for c in calls)
    assert all((c.attendance_recorded_at is not None) == (c.held_on <= today) for c in calls)
    marks = list(Attendance.objects.dangerously_unscoped().select_related("call", "enrollment"))
    assert marks
    assert all(m.call.held_on <= today for m in marks)
    assert all(m.call.cohort_id == m.enrollment.cohort_id for m in marks)
    assert all(m.enrollment.placement != Placement.NOMINATED for m in marks)

    # Knowledge tests: never retaken within 6 months of a failure, never after a pass, never in the future.
    rules = path_rules(program)
    attempts: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    milestones = Milestone.objects.dangerously_unscoped().order_by("enrollment_id", "achieved_on")
    for milestone in milestones:
        assert milestone.achieved_on <= today
        if milestone.kind == MilestoneKind.KNOWLEDGE_TEST:
            attempts[milestone.enrollment_id].append((milestone.achieved_on, milestone.passed))
    assert attempts
    if months_back:
        assert any(len(history) > 1 for history in attempts.values())
    for history in attempts.values():
        for index, (day, _passed) in enumerate(history[1:], start=1):
            assert retake_allowed(rules, PathFacts(test_attempts=tuple(history[:index])), day), history

    # Completed cases come from the generated care records: some clinicians complete three and certify.
    paths = paths_for(enrollments, rules)
    statuses = Counter(p.state.status for p in paths)
    assert statuses[Status.CERTIFIED] > 0
    assert statuses[Status.TRAINED] > 0
    assert any(p.state.step(Requirement.CASES).progress == (3, 3) for p in paths)
    # A certification is recorded only for someone whose path then reads certified (prerequisites met).
    certified = {m.enrollment_id for m in milestones.filter(kind=MilestoneKind.CERTIFICATION)}
    assert certified
    assert {p.enrollment.pk for p in paths if p.state.status == Status.CERTIFIED} == certified
