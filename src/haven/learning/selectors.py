"""The staff-education pillar's reads, the only way other apps read it (core/tests/test_layers.py)."""

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from haven.audit import services as audit
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind
from haven.programs.models import Program

from . import dashboard, quiz
from .models import (
    Assignment,
    Attestation,
    Certificate,
    Choice,
    Course,
    LearningSettings,
    Module,
    ModuleCompletion,
    Policy,
    PolicyVersion,
    Question,
    QuizAttempt,
    ScimToken,
    StaffGroup,
    StaffMember,
)


def staff_of(membership: Membership) -> StaffMember | None:
    """The signed-in learner's own staff record, or None (a member of another organization)."""
    return (
        StaffMember.objects.in_org(membership.organization_id)
        .filter(user_id=membership.user_id, is_active=True)
        .first()
    )


# --- The learner's side: their courses, modules, quiz and certificates (helper D) ------------------------------


@dataclasses.dataclass(frozen=True)
class LearnerHome:
    """What a learner has to do and has done: open assignments (overdue first) and completed ones with their
    certificate."""

    staff: StaffMember | None
    to_do: list[Assignment]
    done: list[Assignment]
    today: date


def learner_home(membership: Membership, today: date | None = None) -> LearnerHome:
    """The signed-in learner's assignments, in two queries; an empty home for a learner with no staff record."""
    today = today or timezone.localdate()
    staff = staff_of(membership)
    if staff is None:
        return LearnerHome(staff=None, to_do=[], done=[], today=today)
    assignments = (
        Assignment.objects.in_org(membership.organization_id)
        .filter(staff=staff, superseded_at__isnull=True)
        .select_related("course", "version", "certificate")
        .annotate(
            modules_total=Count("version__modules", distinct=True),
            modules_done=Count("module_completions", distinct=True),
        )
    )
    to_do = sorted(
        (a for a in assignments if a.completed_at is None), key=lambda a: (not a.is_overdue(today), a.due_on, a.pk)
    )
    done = sorted((a for a in assignments if a.completed_at is not None), key=lambda a: a.completed_at, reverse=True)
    return LearnerHome(staff=staff, to_do=to_do, done=done, today=today)


def access_assignment(*, membership: Membership, assignment_id: int) -> Assignment:
    """The learner's own assignment (open or completed, not replaced); 404 for anyone else's, as for none."""
    staff = staff_of(membership)
    if staff is None:
        raise Http404
    return get_object_or_404(
        Assignment.objects.in_org(membership.organization_id).select_related("course", "version", "staff__user"),
        pk=assignment_id,
        staff=staff,
        superseded_at__isnull=True,
    )


def modules_read(assignment: Assignment) -> set[int]:
    """The ids of the assignment's modules read so far."""
    return set(
        ModuleCompletion.objects.in_org(assignment.organization_id)
        .filter(assignment=assignment)
        .values_list("module_id", flat=True)
    )


def attempts_used(assignment: Assignment) -> int:
    return QuizAttempt.objects.in_org(assignment.organization_id).filter(assignment=assignment).count()


def attempt_open(assignment: Assignment) -> QuizAttempt | None:
    """The attempt started and not yet submitted, if any."""
    return (
        QuizAttempt.objects.in_org(assignment.organization_id)
        .filter(assignment=assignment, submitted_at__isnull=True)
        .order_by("-number")
        .first()
    )


@dataclasses.dataclass(frozen=True)
class ModuleStep:
    module: Module
    read: bool
    available: bool  # every module before it is read


@dataclasses.dataclass(frozen=True)
class Outline:
    """A course as its learner sees it: the modules in order with what is read, and where the quiz stands."""

    assignment: Assignment
    steps: list[ModuleStep]
    attempts_used: int
    attempts_allowed: int
    attempt_open: QuizAttempt | None
    last_attempt: QuizAttempt | None
    certificate: Certificate | None

    @property
    def modules_done(self) -> int:
        return sum(step.read for step in self.steps)

    @property
    def quiz_available(self) -> bool:
        return all(step.read for step in self.steps)

    @property
    def attempts_left(self) -> int:
        return max(self.attempts_allowed - self.attempts_used, 0)

    @property
    def next_step(self) -> ModuleStep | None:
        return next((step for step in self.steps if not step.read), None)


def course_outline(assignment: Assignment) -> Outline:
    organization = assignment.organization_id
    read = modules_read(assignment)
    steps, available = [], True
    for module in Module.objects.in_org(organization).filter(version=assignment.version_id):
        steps.append(ModuleStep(module=module, read=module.pk in read, available=available))
        available = available and module.pk in read
    attempts = list(QuizAttempt.objects.in_org(organization).filter(assignment=assignment).order_by("number"))
    submitted = [attempt for attempt in attempts if attempt.submitted_at is not None]
    return Outline(
        assignment=assignment,
        steps=steps,
        attempts_used=len(attempts),
        attempts_allowed=assignment.version.attempts_allowed,
        attempt_open=next((attempt for attempt in attempts if attempt.submitted_at is None), None),
        last_attempt=submitted[-1] if submitted else None,
        certificate=Certificate.objects.in_org(organization).filter(assignment=assignment).first(),
    )


def keys_of(attempt: QuizAttempt) -> dict[int, quiz.Key]:
    """The right answers of the questions an attempt shows."""
    shown = [question_id for question_id, _choices in attempt.question_order]
    right: dict[int, set[int]] = {question_id: set() for question_id in shown}
    for question_id, choice_id in (
        Choice.objects.in_org(attempt.organization_id)
        .filter(question_id__in=shown, is_correct=True)
        .values_list("question_id", "pk")
    ):
        right[question_id].add(choice_id)
    return {question_id: quiz.Key(question_id, frozenset(ids)) for question_id, ids in right.items()}


@dataclasses.dataclass(frozen=True)
class ShownChoice:
    choice: Choice
    picked: bool


@dataclasses.dataclass(frozen=True)
class ShownQuestion:
    """A question as an attempt shows it: its choices in the attempt's order, what was picked, whether it was
    right (once submitted)."""

    number: int
    question: Question
    choices: list[ShownChoice]
    right: bool | None


def attempt_questions(attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions and choices in the order drawn for it (the same on every reload), in two queries."""
    organization = attempt.organization_id
    ids = [question_id for question_id, _choices in attempt.question_order]
    questions = Question.objects.in_org(organization).in_bulk(ids)
    choices = Choice.objects.in_org(organization).filter(question_id__in=ids).in_bulk()
    keys = keys_of(attempt) if attempt.submitted_at is not None else {}
    shown = []
    for number, (question_id, choice_ids) in enumerate(attempt.question_order, start=1):
        picked = set(attempt.answers.get(str(question_id), ()))
        shown.append(
            ShownQuestion(
                number=number,
                question=questions[question_id],
                choices=[ShownChoice(choices[choice_id], choice_id in picked) for choice_id in choice_ids],
                right=quiz.is_right(keys[question_id], picked) if keys else None,
            )
        )
    return shown


def access_attempt(*, assignment: Assignment, number: int) -> QuizAttempt:
    return get_object_or_404(
        QuizAttempt.objects.in_org(assignment.organization_id), assignment=assignment, number=number
    )


def access_certificate(*, membership: Membership, certificate_id: int) -> Certificate:
    """The learner's own certificate; 404 for anyone else's."""
    staff = staff_of(membership)
    if staff is None:
        raise Http404
    return get_object_or_404(
        Certificate.objects.in_org(membership.organization_id).select_related(
            "assignment__course", "assignment__version", "assignment__staff__user"
        ),
        pk=certificate_id,
        assignment__staff=staff,
    )


# -- staff provisioning: the learning admin's directory and tokens -----------------------------------------------


@dataclass(frozen=True)
class StaffQuery:
    """What the staff directory is asked: words in a name, user name or e-mail; a department; a country; active
    ("yes", "no" or "" for both)."""

    text: str = ""
    department: str = ""
    country: str = ""
    active: str = ""


def staff_directory(company: Organization | int, query: StaffQuery) -> QuerySet[StaffMember]:
    found = StaffMember.objects.in_org(company).select_related("user", "manager")
    for word in query.text.split():
        found = found.filter(
            Q(user_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(user__email__icontains=word)
            | Q(employee_number__iexact=word)
        )
    if query.department:
        found = found.filter(department=query.department)
    if query.country:
        found = found.filter(country=query.country.upper())
    if query.active in ("yes", "no"):
        found = found.filter(is_active=query.active == "yes")
    return found


def staff_facets(company: Organization | int) -> dict[str, list[str]]:
    """The departments and countries the company's staff have, to filter by."""
    staff = StaffMember.objects.in_org(company)
    return {
        name: sorted(set(staff.exclude(**{name: ""}).values_list(name, flat=True).distinct()))
        for name in ("department", "country")
    }


def staff_record(company: Organization | int, staff_id: int) -> dict[str, Any]:
    """One member of staff as the learning admin reads them: their fields, assignments and attestations; 404
    outside the company."""
    staff = get_object_or_404(StaffMember.objects.in_org(company).select_related("user", "manager"), pk=staff_id)
    return {
        "staff": staff,
        "assignments": list(
            Assignment.objects.in_org(company)
            .filter(staff=staff)
            .select_related("course", "version")
            .order_by("-assigned_on")
        ),
        "attestations": list(Attestation.objects.in_org(company).filter(staff=staff).select_related("version__policy")),
        "groups": list(StaffGroup.objects.in_org(company).filter(members=staff)),
    }


def scim_tokens(company: Organization | int) -> QuerySet[ScimToken]:
    return ScimToken.objects.in_org(company).select_related("created_by")


# --- Rules, policies and the manager's team (helper F) --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ToAttest:
    version: PolicyVersion
    due_on: date

    @property
    def policy(self) -> Policy:
        return self.version.policy


def policies_to_attest(staff: StaffMember) -> list[ToAttest]:
    """The published policy versions (the latest of each policy) this learner has still to attest, with the day
    each is due, soonest first. Deactivated staff have nothing to attest."""
    from . import policies
    from .models import Attestation

    if not staff.is_active:
        return []
    versions = policies.current_versions(staff.organization_id)
    done = set(
        Attestation.objects.in_org(staff.organization_id)
        .filter(staff=staff, version__in=versions)
        .values_list("version_id", flat=True)
    )
    waiting = [
        ToAttest(version, policies.attest_by(version) or date.max) for version in versions if version.pk not in done
    ]
    return sorted(waiting, key=lambda row: (row.due_on, row.policy.title_en))


def team_of(manager: StaffMember, today: date) -> list[dict[str, object]]:
    """The manager's active direct reports, each with their assignments (done, due or overdue) and the current
    policy versions they have or have not attested. Only their own reports: nobody else's."""
    from . import policies
    from .models import Assignment, Attestation

    reports = list(StaffMember.objects.in_org(manager.organization_id).filter(manager=manager, is_active=True))
    assignments: dict[int, list[Assignment]] = {report.pk: [] for report in reports}
    for assignment in (
        Assignment.objects.in_org(manager.organization_id)
        .filter(staff__in=reports, superseded_at__isnull=True)
        .select_related("course")
        .order_by("due_on", "pk")
    ):
        assignments[assignment.staff_id].append(assignment)
    versions = policies.current_versions(manager.organization_id)
    attested = set(
        Attestation.objects.in_org(manager.organization_id)
        .filter(staff__in=reports, version__in=versions)
        .values_list("staff_id", "version_id")
    )
    return [
        {
            "staff": report,
            "rows": [
                {
                    "assignment": a,
                    "state": "done" if a.completed_at else ("overdue" if a.due_on < today else "due"),
                }
                for a in assignments[report.pk]
            ],
            "policies": [{"version": v, "attested": (report.pk, v.pk) in attested} for v in versions],
        }
        for report in reports
    ]


def has_reports(staff: StaffMember) -> bool:
    """Whether this member of staff manages someone still active (a manager sees the team page)."""
    return StaffMember.objects.in_org(staff.organization_id).filter(manager=staff, is_active=True).exists()


def is_manager(membership: Membership) -> bool:
    """Whether the signed-in learner manages someone (their menu shows "My team")."""
    staff = staff_of(membership)
    return staff is not None and has_reports(staff)


# The staff-education figures (learning/dashboard.py): the learning admin's dashboard and the program's count.


def company_of(membership: Membership) -> Organization | None:
    """The company a learning admin runs, or None (an org admin of a CAC or a chapter)."""
    organization = membership.organization
    return organization if organization.kind == OrganizationKind.CORPORATE_PARTNER else None


def dashboard_courses(company: Organization) -> QuerySet[Course]:
    return Course.objects.in_org(company).order_by("title_en")


def dashboard_course(company: Organization, course_id: str | None) -> Course | None:
    """The course the dashboard shows: the one asked for, else the base course, else the first."""
    courses = dashboard_courses(company)
    if course_id and course_id.isdigit():
        chosen = courses.filter(pk=int(course_id)).first()
        if chosen is not None:
            return chosen
    return dashboard.base_course(company) or courses.first()


def dashboard_figures(company: Organization, course: Course | None) -> dashboard.Dashboard:
    return dashboard.cached_figures(company, course)


def overdue_staff(company: Organization, course: Course, *, department: str = "", country: str = "") -> QuerySet:
    return dashboard.overdue(company, course, department=department, country=country)


def audit_overdue_export(*, membership: Membership, course: Course, rows: int) -> None:
    """A download of named people is recorded: who took it, which course, how many rows (never a name)."""
    audit.record(
        actor=membership.user,
        action="learning.overdue_export",
        organization=membership.organization_id,
        target=course,
        detail={"rows": rows},
    )


def program_companies(program: Program) -> QuerySet[LearningSettings]:
    """The companies whose learning counts toward the program (their settings name it). Spans tenants on purpose:
    the program's figure adds up its partners' counts, and nothing named leaves a company."""
    return LearningSettings.objects.dangerously_unscoped().filter(program=program)


def staff_educated(program: Program, on: date | None = None) -> int:
    """Active corporate staff who completed the base course within its cycle, over the program's companies, at the
    end of ``on`` (today by default). A count only: nothing by department or country leaves the company."""
    companies = program_companies(program).values("organization_id")
    return dashboard.educated_on(StaffMember.objects.in_orgs(companies), on or timezone.localdate())


def company_program(company: Organization) -> Program | None:
    """The program the company's learning settings name (its staff educated, its reviews and campaigns count
    toward it), or None."""
    found = LearningSettings.objects.in_org(company).select_related("program").first()
    return found.program if found is not None else None
