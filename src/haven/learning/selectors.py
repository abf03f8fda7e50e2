"""The staff-education pillar's reads, the only way other apps read it (core/tests/test_layers.py)."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from haven.audit import services as audit
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind
from haven.programs.models import Program

from . import dashboard
from .models import Course, LearningSettings, StaffMember


def staff_of(membership: Membership) -> StaffMember | None:
    """The signed-in learner's own staff record, or None (a member of another organization)."""
    return (
        StaffMember.objects.in_org(membership.organization_id)
        .filter(user_id=membership.user_id, is_active=True)
        .first()
    )


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
