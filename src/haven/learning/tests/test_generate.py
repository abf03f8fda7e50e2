"""The generator's learning step: the company's staff, their courses and progress, the demo learner."""

import random
from datetime import date

import pytest
from django.utils import timezone

from haven.core.generation import SCALES, GenerationContext, Scale
from haven.learning import dashboard, generate, selectors
from haven.learning.models import (
    Assignment,
    Certificate,
    LearningSettings,
    ModuleCompletion,
    QuizAttempt,
    StaffMember,
)
from haven.organizations import generate as organizations
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.programs import generate as programs
from haven.programs.models import Program

SMALL = Scale("small", cacs=3, clinicians=10, children=10, trainers=1, learners=12, staff=400)


def _generate(seed: int = 3) -> GenerationContext:
    ctx = GenerationContext(scale=SMALL, seed=seed, start=date(2025, 1, 1), rng=random.Random(seed))
    organizations.run(ctx)
    programs.run(ctx)
    generate.run(ctx)
    return ctx


@pytest.fixture
def generated(db: None) -> GenerationContext:
    return _generate()


def _company() -> Organization:
    return Organization.objects.get(kind=OrganizationKind.CORPORATE_PARTNER)


def test_every_scale_has_staff_and_the_corporate_scale_has_45000() -> None:
    assert all(scale.staff > 0 for scale in SCALES.values())
    assert SCALES["corporate"].staff == 45_000
    assert 100 <= SCALES["demo"].staff < 1_000 <= SCALES["program"].staff < 10_000


def test_the_staff_and_their_courses(generated: GenerationContext) -> None:
    company = _company()
    staff = StaffMember.objects.in_org(company)
    assert staff.count() == SMALL.staff + 1  # and the demo learner
    assert generated.counts["staff"] == SMALL.staff + 1
    # Every member of staff signs in as a learner; those who left have lost the role.
    learners = set(
        Membership.objects.in_org(company).filter(role=Role.LEARNER, is_active=True).values_list("user_id", flat=True)
    )
    assert learners == set(staff.filter(is_active=True).values_list("user_id", flat=True))
    assert staff.filter(is_active=False).exists()
    assert staff.values("country").distinct().count() >= 15
    assert not staff.filter(country="FR").exclude(language="fr").exists()
    assert not staff.filter(country="US").exclude(language="en").exists()
    # Everyone has a manager in their own department and country but the heads, who have none.
    for member in staff.filter(manager__isnull=False).select_related("manager")[:100]:
        assert (member.manager.department, member.manager.country) == (member.department, member.country)
    assert staff.filter(manager__isnull=True).count() == staff.values("department", "country").distinct().count()
    # The base course for everyone, the creative course for Creative and Marketing only.
    current = Assignment.objects.in_org(company).filter(superseded_at__isnull=True)
    assert set(current.filter(course__slug=dashboard.BASE_COURSE).values_list("staff_id", flat=True)) == set(
        staff.values_list("pk", flat=True)
    )
    creative = set(current.exclude(course__slug=dashboard.BASE_COURSE).values_list("staff__department", flat=True))
    assert creative == {"Creative", "Marketing"}
    # Every completed assignment has its certificate and a passed attempt.
    completed = current.filter(completed_at__isnull=False)
    assert Certificate.objects.in_org(company).count() == completed.count()
    assert QuizAttempt.objects.in_org(company).filter(passed=True).count() == completed.count()
    assert (
        LearningSettings.objects.in_org(company).get().program
        == Program.objects.in_org(generated.shared["national_id"]).get()
    )


def test_most_completed_some_overdue(generated: GenerationContext) -> None:
    company = _company()
    figures = dashboard.figures(company, dashboard.base_course(company))
    total = figures.total
    assert 0.7 < total.completed / total.assigned < 0.97
    assert 0.02 < total.overdue / total.assigned < 0.2
    assert 0.7 < total.attested / total.staff < 0.97
    assert sum(n for _month, n in figures.by_month) > 0
    program = LearningSettings.objects.in_org(company).get().program
    assert program is not None
    assert selectors.staff_educated(program) == total.completed


def test_the_demo_learner_has_the_base_course_open(generated: GenerationContext) -> None:
    company = _company()
    learner = StaffMember.objects.in_org(company).get(user__email=generate.DEMO_LEARNER)
    assert learner.is_active
    (assignment,) = Assignment.objects.in_org(company).filter(staff=learner)
    assert assignment.course.slug == dashboard.BASE_COURSE
    assert assignment.is_open and assignment.due_on > timezone.localdate()
    assert not ModuleCompletion.objects.in_org(company).filter(assignment=assignment).exists()
