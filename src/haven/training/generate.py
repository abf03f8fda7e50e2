"""Generator step: cohorts of about 20 across the program's first two and a half years, enrollments,
attendance at the calls held so far, online-course certificates and knowledge-test attempts.

Certification needs completed cases, which come from the care records: :func:`certify` is a second step, run
after care's.
"""

import math
from collections import defaultdict
from datetime import date, time, timedelta

from django.utils import timezone

from haven.care import selectors as care_selectors
from haven.core.dates import add_months
from haven.core.generation import GenerationContext
from haven.organizations.models import Organization
from haven.programs.models import Program

from . import kept, version
from .closed_days import Calendar
from .models import (
    Attendance,
    CallSchedule,
    Cohort,
    CohortEvent,
    CohortTrainer,
    ConsultationCall,
    Degree,
    Enrollment,
    LicenseStatus,
    Milestone,
    MilestoneKind,
    Modality,
    Placement,
)
from .schedule import collaborative_calendar, consultation_dates

REGIONS = {
    "Northeast": ["CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"],
    "Southeast": ["DE", "FL", "GA", "MD", "NC", "SC", "VA", "WV", "AL", "KY", "MS", "TN", "AR", "LA"],
    "Midwest": ["IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"],
    "Southwest": ["AZ", "NM", "OK", "TX"],
    "West": ["CO", "ID", "MT", "NV", "UT", "WY", "AK", "CA", "HI", "OR", "WA"],
}
REGION_OF = {state: region for region, states in REGIONS.items() for state in states}
WITHDRAWAL_REASONS = ("Left the CAC", "Caseload too heavy", "Parental leave", "Moved to another state", "Health")
COHORT_SIZE = 20
CALL_TIMES = (time(12), time(15), time(16, 30), time(13))

CALENDAR = Calendar()  # the federal holidays: a generated program closes no other day


def _open_days(day: date, days: int) -> date:
    """The first day from ``day`` on that starts ``days`` open days in a row: when a live training is planned."""
    while not all(CALENDAR.is_open(day + timedelta(days=n)) for n in range(days)):
        day += timedelta(days=1)
    return day


def run(ctx: GenerationContext) -> None:
    rng = ctx.rng
    today = timezone.now().date()
    national_id, program_id = ctx.shared["national_id"], ctx.shared["program_id"]
    states = dict(
        Organization.objects.filter(pk__in={org for _u, org in ctx.shared["clinicians"]}).values_list("pk", "state")
    )
    by_region: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for user_id, cac_id in ctx.shared["clinicians"]:
        by_region[REGION_OF[states[cac_id]]].append((user_id, cac_id))

    # Cohorts by region, starting across the first 30 months, each 9 to 12 months long.
    plans: list[tuple[str, list[tuple[int, int]]]] = []
    for region, people in sorted(by_region.items()):
        rng.shuffle(people)
        n = max(1, math.ceil(len(people) / COHORT_SIZE))
        plans.extend((region, people[i::n]) for i in range(n))
    rng.shuffle(plans)
    cohorts: list[Cohort] = []
    for index, (region, people) in enumerate(plans):
        starts_on = ctx.start + timedelta(days=round(index * 30.4 * 30 / max(1, len(plans))))
        months = rng.choice((9, 12, 12, 15))
        days = rng.choice((2, 2, 3))
        cohorts.append(
            Cohort(
                organization_id=national_id,
                program_id=program_id,
                name=f"{region} Collaborative {index + 1}",
                region=region,
                states=sorted({states[c] for _u, c in people}),
                capacity=len(people) + rng.choice((0, 2, 4)),
                modality=rng.choice(Modality.values),
                call_schedule=rng.choice(CallSchedule.values),
                starts_on=starts_on,
                ends_on=add_months(starts_on, months),
                live_training_on=_open_days(starts_on + timedelta(days=rng.randint(0, 10)), days),
                live_training_days=days,
                # Not drawn from rng, so that the rest of the generated data stays as it was.
                call_time=CALL_TIMES[index % len(CALL_TIMES)],
            )
        )
    cohorts = Cohort.objects.bulk_create(cohorts)
    trainer_ids = ctx.shared["trainer_ids"]
    demo_trainer = ctx.shared["demo_user_ids"].get("trainer@haven.example")
    links: list[CohortTrainer] = []
    for index, cohort in enumerate(cohorts):
        leads = {trainer_ids[(2 * index) % len(trainer_ids)], trainer_ids[(2 * index + 1) % len(trainer_ids)]}
        if demo_trainer and index < 3:
            leads.add(demo_trainer)
        links.extend(CohortTrainer(organization_id=national_id, cohort=cohort, trainer_id=t) for t in leads)
    CohortTrainer.objects.bulk_create(links)
    events: list[CohortEvent] = []
    calls: list[ConsultationCall] = []
    for cohort in cohorts:
        events.extend(
            CohortEvent(
                organization_id=national_id, cohort=cohort, kind=e.kind, starts_on=e.starts_on, ends_on=e.ends_on
            )
            for e in collaborative_calendar(
                starts_on=cohort.starts_on,
                ends_on=cohort.ends_on,
                live_training_on=cohort.live_training_on,
                live_training_days=cohort.live_training_days,
                calendar=CALENDAR,
            )
        )
        for number, held_on in enumerate(
            consultation_dates(
                live_training_on=cohort.live_training_on, schedule=cohort.call_schedule, calendar=CALENDAR
            ),
            start=1,
        ):
            recorded = timezone.now() if held_on <= today else None
            calls.append(
                ConsultationCall(
                    organization_id=national_id,
                    cohort=cohort,
                    number=number,
                    held_on=held_on,
                    attendance_recorded_at=recorded,
                )
            )
    CohortEvent.objects.bulk_create(events, batch_size=5000)
    calls = ConsultationCall.objects.bulk_create(calls, batch_size=5000)
    calls_by_cohort: dict[int, list[ConsultationCall]] = defaultdict(list)
    for call in calls:
        calls_by_cohort[call.cohort_id].append(call)

    # The demo clinician sits in the cohort whose calls are half done, so their path shows progress.
    demo_clinician = ctx.shared["demo_user_ids"].get("clinician@haven.example")
    enrollments: list[Enrollment] = []
    fates: list[tuple[Cohort, float]] = []
    for cohort, (_region, people) in zip(cohorts, plans, strict=True):
        for user_id, cac_id in people:
            started = cohort.starts_on <= today
            roll = rng.random()
            if user_id == demo_clinician:
                roll = 0.5
            placement = Placement.ENROLLED
            if not started and roll < 0.05:
                placement = Placement.NOMINATED
            elif started and roll < 0.08:
                placement = Placement.WITHDRAWN
            enrollments.append(
                Enrollment(
                    organization_id=cac_id,
                    program_id=program_id,
                    clinician_id=user_id,
                    cohort=None if placement == Placement.NOMINATED else cohort,
                    placement=placement,
                    placed_at=None if placement == Placement.NOMINATED else timezone.now(),
                    live_training_on=None if placement == Placement.NOMINATED else cohort.live_training_on,
                    live_training_days=0 if placement == Placement.NOMINATED else cohort.live_training_days,
                    degree=rng.choices(Degree.values, weights=(85, 12, 3))[0],
                    license_state=states[cac_id],
                    license_status=rng.choices(LicenseStatus.values, weights=(80, 20))[0],
                    nominated_by_id=user_id,
                    withdrawn_at=timezone.now() if placement == Placement.WITHDRAWN else None,
                    withdrawal_reason=rng.choice(WITHDRAWAL_REASONS) if placement == Placement.WITHDRAWN else "",
                )
            )
            # Each trainee's habit: most attend nearly every call, some drift away.
            fates.append((cohort, rng.choice((0.97, 0.95, 0.9, 0.9, 0.85, 0.8, 0.6, 0.4))))
    enrollments = Enrollment.objects.bulk_create(enrollments, batch_size=5000)

    attendance: list[Attendance] = []
    milestones: list[Milestone] = []
    for enrollment, (cohort, habit) in zip(enrollments, fates, strict=True):
        if enrollment.placement == Placement.NOMINATED:
            continue
        course_on = cohort.live_training_on - timedelta(days=rng.randint(5, 60))
        if rng.random() < 0.1:
            course_on = cohort.live_training_on + timedelta(days=rng.randint(20, 200))
        if course_on <= today:
            milestones.append(_milestone(enrollment, MilestoneKind.ONLINE_COURSE, course_on))
        stop = len(calls_by_cohort[cohort.pk]) if enrollment.placement == Placement.ENROLLED else rng.randint(0, 6)
        attended = 0
        for call in calls_by_cohort[cohort.pk][:stop]:
            if call.held_on > today:
                break
            present = rng.random() < habit
            attended += present
            attendance.append(
                Attendance(
                    organization_id=enrollment.organization_id, call=call, enrollment=enrollment, attended=present
                )
            )
        last_call = calls_by_cohort[cohort.pk][-1].held_on
        if enrollment.placement == Placement.ENROLLED and attended >= 9 and last_call < today and rng.random() < 0.7:
            taken = last_call + timedelta(days=rng.randint(14, 120))
            while taken <= today:
                passed = rng.random() < 0.8
                milestones.append(_milestone(enrollment, MilestoneKind.KNOWLEDGE_TEST, taken, passed))
                if passed:
                    break
                taken = add_months(taken, 6) + timedelta(days=rng.randint(0, 60))
    Attendance.objects.bulk_create(attendance, batch_size=5000)
    Milestone.objects.bulk_create(milestones, batch_size=5000)
    version.bump(Program.objects.in_org(national_id).get(pk=program_id))
    ctx.count("cohorts", len(cohorts))
    ctx.count("enrollments", len(enrollments))
    ctx.count("attendance marks", len(attendance))


def _milestone(enrollment: Enrollment, kind: str, on: date, passed: bool = True) -> Milestone:
    return Milestone(
        organization_id=enrollment.organization_id,
        enrollment=enrollment,
        kind=kind,
        achieved_on=on,
        passed=passed,
        recorded_by_id=enrollment.clinician_id,
    )


def certify(ctx: GenerationContext) -> None:
    """Generator step, after care's: clinicians who passed the knowledge test and completed their three cases
    (read from the care records) apply and are certified. Then every path is kept (``kept``), as written."""
    program = Program.objects.in_org(ctx.shared["national_id"]).get(pk=ctx.shared["program_id"])
    if "children" in ctx.counts:  # care generated records
        _certify(ctx, program)
    ctx.count("kept paths", kept.rebuild(program))


def _certify(ctx: GenerationContext, program: Program) -> None:
    rng = ctx.rng
    today = timezone.now().date()
    cases = care_selectors.completed_cases_by_clinician(program)
    passed = dict(
        Milestone.objects.dangerously_unscoped()
        .filter(enrollment__program=program, kind=MilestoneKind.KNOWLEDGE_TEST, passed=True)
        .values_list("enrollment_id", "achieved_on")
    )
    enrollments = Enrollment.objects.dangerously_unscoped().filter(
        pk__in=list(passed),
        placement=Placement.ENROLLED,
        degree__in=["masters", "doctorate"],
        license_status="permanent",
    )
    certifications = []
    for enrollment in enrollments:
        done = sorted(cases.get(enrollment.clinician_id, []))
        if len(done) < 3 or sum(1 for _d, caregiver in done if caregiver) < 2:
            continue
        ready = max(passed[enrollment.pk], done[2][0])
        on = ready + timedelta(days=rng.randint(14, 90))
        if on <= today and rng.random() < 0.9:
            certifications.append(
                Milestone(
                    organization_id=enrollment.organization_id,
                    enrollment=enrollment,
                    kind=MilestoneKind.CERTIFICATION,
                    achieved_on=on,
                    recorded_by_id=enrollment.clinician_id,
                )
            )
    Milestone.objects.bulk_create(certifications, batch_size=5000)
    version.bump(program)
    ctx.count("certifications", len(certifications))
