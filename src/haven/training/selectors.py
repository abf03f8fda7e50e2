"""Reads of the workforce pillar. Path states are computed in bulk: a fixed number of queries per page."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from haven.care import selectors as care_selectors
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.selectors import organizations_visible_to
from haven.programs.models import Program

from .closed_days import Calendar
from .models import (
    Attendance,
    CertificationPath,
    ClosedDay,
    Cohort,
    CohortTrainer,
    ConsultationCall,
    Degree,
    Enrollment,
    KeptPath,
    LicenseStatus,
    Milestone,
    MilestoneKind,
    Placement,
)
from .path import TWICE_MONTHLY, Dated, PathFacts, PathRules, PathState, Requirement, Status, Step, evaluate, on


def path_rules(program: Program) -> PathRules:
    row = CertificationPath.objects.filter(organization_id=program.organization_id, program=program).first()
    if row is None:
        return PathRules()
    return PathRules(
        live_training_min_days=row.live_training_min_days,
        collaborative_min_months=row.collaborative_min_months,
        calls_required=row.calls_required,
        calls_counted=row.calls_counted,
        consultation_window_months=row.consultation_window_months,
        consultation_months_twice_monthly=row.consultation_months_twice_monthly,
        consultation_months_monthly=row.consultation_months_monthly,
        cases_required=row.cases_required,
        cases_with_caregiver_required=row.cases_with_caregiver_required,
        retake_wait_months=row.retake_wait_months,
        valid_years=row.valid_years,
    )


def calendar_of(program: Program) -> Calendar:
    """The program's closed days: the federal holidays, with the days its admins closed or opened."""
    rows = (
        ClosedDay.objects.in_org(program.organization_id).filter(program=program).values_list("day", "closed", "name")
    )
    return Calendar(
        added={day: name for day, closed, name in rows if closed},
        opened=frozenset(day for day, closed, _name in rows if not closed),
    )


@dataclass(frozen=True)
class ClosedDayRow:
    day: date
    name: str
    added: bool  # a day the program closed, not a holiday of the rules


def closed_days_listing(program: Program) -> tuple[list[ClosedDayRow], list[ClosedDayRow]]:
    """The weekdays closed during the program, and the holidays it opened."""
    calendar = calendar_of(program)
    closed = [
        ClosedDayRow(day, str(name), day in calendar.added)
        for day, name in calendar.closed_between(program.starts_on, program.ends_on)
    ]
    opened = [
        ClosedDayRow(day, str(rule.name), False)
        for day in sorted(calendar.opened)
        if (rule := calendar.holiday(day)) is not None
    ]
    return closed, opened


@dataclass(frozen=True)
class EnrollmentPath:
    enrollment: Enrollment
    state: PathState
    calls_held: int
    calls_attended: int
    rules: PathRules

    @property
    def calls_progress(self) -> tuple[int, int] | None:
        return self.state.step(Requirement.CONSULTATION).progress

    @property
    def cases_progress(self) -> tuple[int, int] | None:
        return self.state.step(Requirement.CASES).progress


def paths_for(enrollments: Iterable[Enrollment], rules: PathRules) -> list[EnrollmentPath]:
    """Each enrollment with its derived path state, in three queries whatever the number of enrollments.

    The enrollments must come from a scoped query with ``cohort`` selected.
    """
    return [
        EnrollmentPath(enrollment, evaluate(rules, facts), held, attended, rules)
        for enrollment, facts, held, attended in facts_for(enrollments)
    ]


def facts_for(enrollments: Iterable[Enrollment]) -> list[tuple[Enrollment, PathFacts, int, int]]:
    """Each enrollment with its path's facts read today, and the calls its cohort held and it attended, in three
    queries whatever the number of enrollments (``paths_for``; ``kept`` stores their dates)."""
    enrollments = list(enrollments)
    ids = [e.pk for e in enrollments]
    org_ids = {e.organization_id for e in enrollments}
    milestones: dict[int, list[tuple[str, date, bool]]] = defaultdict(list)
    for enrollment_id, kind, achieved_on, passed in (
        Milestone.objects.in_orgs(org_ids)
        .filter(enrollment_id__in=ids)
        .values_list("enrollment_id", "kind", "achieved_on", "passed")
    ):
        milestones[enrollment_id].append((kind, achieved_on, passed))
    attended: dict[int, list[date]] = defaultdict(list)
    for enrollment_id, held_on in (
        Attendance.objects.in_orgs(org_ids)
        .filter(enrollment_id__in=ids, attended=True)
        .values_list("enrollment_id", "call__held_on")
    ):
        attended[enrollment_id].append(held_on)
    cohort_ids = {e.cohort_id for e in enrollments if e.cohort_id}
    cohort_orgs = {e.cohort.organization_id for e in enrollments if e.cohort is not None}
    held: dict[int, list[date]] = defaultdict(list)
    for cohort_id, held_on in (
        ConsultationCall.objects.in_orgs(cohort_orgs)
        .filter(cohort_id__in=cohort_ids, attendance_recorded_at__isnull=False)
        .values_list("cohort_id", "held_on")
    ):
        held[cohort_id].append(held_on)
    case_counts = (
        care_selectors.completed_cases(organization_ids=org_ids, clinician_ids={e.clinician_id for e in enrollments})
        if enrollments
        else {}
    )
    today = timezone.now().date()
    result: list[tuple[Enrollment, PathFacts, int, int]] = []
    for enrollment in enrollments:
        marks = milestones[enrollment.pk]
        cohort = enrollment.cohort
        placed = enrollment.placement == Placement.ENROLLED
        count = case_counts.get(enrollment.clinician_id, care_selectors.CaseCount())
        facts = PathFacts(
            online_course_on=next((d for k, d, _p in marks if k == MilestoneKind.ONLINE_COURSE), None),
            live_training_on=enrollment.live_training_on if placed else None,
            live_training_days=enrollment.live_training_days if placed else 0,
            collaborative_months=cohort.collaborative_months if cohort and placed else 0,
            calls_attended=tuple(attended[enrollment.pk]),
            calls_held=tuple(held[cohort.pk]) if cohort else (),
            call_schedule=cohort.call_schedule if cohort else TWICE_MONTHLY,
            completed_cases=count.completed,
            completed_cases_with_caregiver=count.with_caregiver,
            test_attempts=tuple((d, p) for k, d, p in marks if k == MilestoneKind.KNOWLEDGE_TEST),
            certified_on=max((d for k, d, _p in marks if k == MilestoneKind.CERTIFICATION), default=None),
            withdrawn=enrollment.placement == Placement.WITHDRAWN,
            placed=placed,
            waitlisted=enrollment.placement == Placement.WAITLISTED,
            degree_qualifies=enrollment.degree in (Degree.MASTERS, Degree.DOCTORATE),
            license_permanent=enrollment.license_status == LicenseStatus.PERMANENT,
            as_of=today,
        )
        result.append((enrollment, facts, len(held[cohort.pk]) if cohort else 0, len(attended[enrollment.pk])))
    return result


def program_paths(enrollments: QuerySet[Enrollment], program: Program) -> list[EnrollmentPath]:
    """The paths of many enrollments of one program, derived from scratch: only the columns the rules read are
    loaded (whole rows for thousands of clinicians cost more than the rules). Figures read the kept paths
    (``kept_program_paths``); this is what ``kept`` writes them from."""
    return paths_for(slim_enrollments(enrollments), path_rules(program))


def kept_program_paths(enrollments: QuerySet[Enrollment], program: Program) -> list[EnrollmentPath]:
    """The paths of many enrollments of one program as the figures read them, from the kept paths (``kept``), read
    on today: five queries whatever the number of enrollments.

    A kept path is a summary: its state has the status, the dates trained and certified, and of the steps only
    consultation, with its deadline (done once trained: its own date is not kept); a page that shows a
    clinician's steps derives the path (``paths_for``). An enrollment whose path is not kept (none should be:
    ``training_verify`` says) is derived.
    """
    rules = path_rules(program)
    today = timezone.now().date()
    # Slim rows, and the few cohorts and CACs they share read once each: thousands of enrollments each joined to
    # its cohort, CAC and kept row cost more in model instances than everything else the first view does.
    rows = list(enrollments.select_related(None).order_by().only(*(f for f in SLIM_FIELDS if "__" not in f)))
    cohort_fields = [f.removeprefix("cohort__") for f in SLIM_FIELDS if f.startswith("cohort__")]
    cohorts = {
        c.pk: c
        for c in Cohort.objects.in_org(program.organization_id).filter(program=program).only("pk", *cohort_fields)
    }
    cacs = {o.pk: o for o in Organization.objects.filter(pk__in={e.organization_id for e in rows}).only("state")}
    kept = {
        pk: rest
        for pk, *rest in KeptPath.objects.of_program(program)
        .filter(enrollment__in=enrollments.values("pk"))
        .values_list("enrollment_id", *KEPT_FIELDS)
    }
    result, missing = [], []
    for enrollment in rows:
        # As select_related would have cached them (the descriptors' checks cost more than the rest of the row).
        enrollment._state.fields_cache["organization"] = cacs[enrollment.organization_id]
        enrollment._state.fields_cache["cohort"] = cohorts.get(enrollment.cohort_id) if enrollment.cohort_id else None
        row = kept.get(enrollment.pk)
        if row is None:
            missing.append(enrollment)
            continue
        base, trained_from, trained_on, certified_on, until, due, held, attended = row
        read = on(Dated(Status(base), trained_from, trained_on, certified_on, until, due), today)
        state = PathState(
            read.status,
            (Step(Requirement.CONSULTATION, read.trained_on is not None, due_by=due),),
            read.trained_on,
            read.certified_on,
            until if read.certified_on else None,
        )
        result.append(EnrollmentPath(enrollment, state, held, attended, rules))
    if missing:
        result.extend(paths_for(missing, rules))
    return result


SLIM_FIELDS = (
    "organization_id",
    "program_id",
    "clinician_id",
    "cohort_id",
    "placement",
    "degree",
    "license_status",
    "live_training_on",
    "live_training_days",
    "organization__state",
    "cohort__name",
    "cohort__organization_id",
    "cohort__starts_on",
    "cohort__ends_on",
    "cohort__live_training_on",
    "cohort__live_training_days",
    "cohort__capacity",
    "cohort__call_schedule",
)


def slim_enrollments(enrollments: QuerySet[Enrollment], *related: str) -> QuerySet[Enrollment]:
    """Only the columns the path's rules and the figures read (and those of ``related`` rows, selected too)."""
    return (
        enrollments.select_related(None)
        .select_related("cohort", "organization", *related)
        .only(*SLIM_FIELDS, *(f"{name}__{field}" for name in related for field in KEPT_FIELDS))
    )


KEPT_FIELDS = (
    "base",
    "trained_from",
    "trained_on",
    "certified_on",
    "certified_until",
    "consultation_due",
    "calls_held",
    "calls_attended",
)


def program_for(membership: Membership) -> Program | None:
    """The program a membership works in: the national office's current program (the newest one)."""
    if membership.role == Role.PROGRAM_ADMIN:
        return Program.objects.in_org(membership.organization_id).order_by("-starts_on").first()
    national_id = _national_office_id(membership)
    if national_id is None:
        return None
    return Program.objects.in_org(national_id).order_by("-starts_on").first()


def _national_office_id(membership: Membership) -> int | None:
    org = membership.organization
    if membership.role == Role.TRAINER:
        link = (
            CohortTrainer.objects.of_trainer(membership.user_id).select_related("cohort").order_by("-cohort__starts_on")
        ).first()
        return link.organization_id if link else None
    while org.parent_id is not None:
        org = org.parent  # type: ignore[assignment]
    return org.pk if org.kind == "national_office" else None


def cohorts_visible_to(membership: Membership) -> QuerySet[Cohort]:
    if membership.role == Role.PROGRAM_ADMIN:
        return Cohort.objects.in_org(membership.organization_id)
    if membership.role == Role.TRAINER:
        return Cohort.objects.trained_by(membership.user_id)
    return Cohort.objects.none()


def access_cohort(*, membership: Membership, cohort_id: int) -> Cohort:
    try:
        return cohorts_visible_to(membership).select_related("program").get(pk=cohort_id)
    except Cohort.DoesNotExist:
        raise Http404 from None


def enrollments_visible_to(membership: Membership) -> QuerySet[Enrollment]:
    """Program admins: every CAC of their tree; an org admin: their organization's tree (a CAC's staff, a state
    chapter's CACs' staff); a trainer: their cohorts' rosters; a clinician: their own."""
    base = Enrollment.objects.select_related("cohort", "clinician", "organization")
    if membership.role in (Role.PROGRAM_ADMIN, Role.ORG_ADMIN):
        return base.in_orgs(organizations_visible_to(membership).values("pk"))
    if membership.role == Role.TRAINER:
        return base.trained_by(membership.user_id)
    if membership.role == Role.CLINICIAN:
        return base.in_org(membership.organization_id).filter(clinician_id=membership.user_id)
    return base.none()


def access_enrollment(*, membership: Membership, enrollment_id: int) -> Enrollment:
    try:
        return enrollments_visible_to(membership).select_related("program").get(pk=enrollment_id)
    except Enrollment.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class PathToDo:
    """What is next on a clinician's certification path, for their home page."""

    path: EnrollmentPath
    next_step: Step | None  # the first step not done; None once every step is
    steps_left: int
    next_call: ConsultationCall | None  # the cohort's next consultation call, today or later


def current_enrollment(membership: Membership) -> Enrollment | None:
    """A clinician's enrollment in the program, the latest if there were several (``my_path`` shows it)."""
    return enrollments_visible_to(membership).select_related("program").last()


def path_todo(membership: Membership) -> PathToDo | None:
    """The clinician's next step and their cohort's next call, in a fixed number of queries; None when they are
    in no program."""
    enrollment = current_enrollment(membership)
    if enrollment is None:
        return None
    [path] = paths_for([enrollment], path_rules(enrollment.program))
    left = [step for step in path.state.steps if not step.done]
    next_call = None
    if enrollment.cohort is not None and enrollment.placement == Placement.ENROLLED:
        next_call = (
            ConsultationCall.objects.in_org(enrollment.cohort.organization_id)
            .filter(cohort=enrollment.cohort, held_on__gte=timezone.now().date())
            .order_by("held_on", "number")
            .first()
        )
    return PathToDo(path, left[0] if left else None, len(left), next_call)


def cohort_roster(cohort: Cohort) -> list[EnrollmentPath]:
    enrollments = (
        Enrollment.objects.in_cohort(cohort)
        .filter(placement__in=[Placement.ENROLLED, Placement.WAITLISTED])
        .select_related("cohort", "clinician", "organization")
        .order_by("placement", "clinician__full_name")
    )
    return paths_for(enrollments, path_rules(cohort.program))


def cohort_attendance_grid(cohort: Cohort) -> tuple[list[ConsultationCall], dict[tuple[int, int], bool]]:
    calls = list(ConsultationCall.objects.in_org(cohort.organization_id).filter(cohort=cohort).order_by("number"))
    marks = {
        (row["enrollment_id"], row["call_id"]): row["attended"]
        for row in Attendance.objects.in_cohort(cohort).values("enrollment_id", "call_id", "attended")
    }
    return calls, marks


def access_call(*, cohort: Cohort, call_id: int) -> ConsultationCall:
    try:
        return ConsultationCall.objects.in_org(cohort.organization_id).get(pk=call_id, cohort=cohort)
    except ConsultationCall.DoesNotExist:
        raise Http404 from None


def seats_taken(cohort: Cohort) -> int:
    return Enrollment.objects.in_cohort(cohort).filter(placement=Placement.ENROLLED).count()


def nominable_clinicians(membership: Membership, program: Program) -> QuerySet[Any]:
    """Active clinicians of the CAC who are not yet in the program."""
    already = Enrollment.objects.in_org(membership.organization_id).filter(program=program).values("clinician_id")
    return (
        Membership.objects.in_org(membership.organization_id)
        .filter(role=Role.CLINICIAN, is_active=True)
        .exclude(user_id__in=already)
        .select_related("user")
        .order_by("user__full_name")
    )


def cohort_fill(cohorts: QuerySet[Cohort]) -> QuerySet[Cohort]:
    return cohorts.annotate(
        enrolled=Count("enrollments", filter=Q(enrollments__placement=Placement.ENROLLED)),
        waitlisted=Count("enrollments", filter=Q(enrollments__placement=Placement.WAITLISTED)),
    )


@dataclass(frozen=True)
class CacProgress:
    """A CAC and how many of its clinicians stand at each step of the path (clinicians are counted exactly)."""

    organization: Organization
    by_status: dict[str, int]

    @property
    def in_program(self) -> int:
        return sum(n for status, n in self.by_status.items() if status != Status.WITHDRAWN)

    @property
    def nominated(self) -> int:  # not in a cohort yet, waiting list included
        return self.by_status.get(Status.NOMINATED, 0) + self.by_status.get(Status.WAITLISTED, 0)

    @property
    def in_training(self) -> int:
        return self.by_status.get(Status.ENROLLED, 0)

    @property
    def trained(self) -> int:
        return self.by_status.get(Status.TRAINED, 0)

    @property
    def certified(self) -> int:
        return self.by_status.get(Status.CERTIFIED, 0)


def cacs_progress(membership: Membership, paths: Iterable[EnrollmentPath]) -> list[CacProgress]:
    """Every active CAC the membership oversees (a chapter's, or a CAC itself), with its clinicians by status on
    ``paths`` (those CACs with nobody in the program too), by name."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path in paths:
        counts[path.enrollment.organization_id][path.state.status] += 1
    cacs = organizations_visible_to(membership).filter(kind=OrganizationKind.CAC, is_active=True).order_by("name")
    return [CacProgress(cac, dict(counts.get(cac.pk, {}))) for cac in cacs]


def treating_clinicians(program: Program) -> list[tuple[int, int, date | None]]:
    """(user, CAC, live training's first day) of every clinician placed in a cohort of the program, by nomination:
    a whole-program read, for the generator's care records."""
    return list(
        Enrollment.objects.of_program(program)
        .filter(live_training_on__isnull=False)
        .exclude(placement=Placement.NOMINATED)
        .values_list("clinician_id", "organization_id", "live_training_on")
    )
