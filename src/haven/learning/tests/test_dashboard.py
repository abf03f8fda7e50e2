"""The learning admin's dashboard: counts by department, country and month, the overdue list, its CSV."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.learning import dashboard, services
from haven.learning.models import (
    Assignment,
    Attestation,
    Course,
    CourseVersion,
    Policy,
    PolicyVersion,
    StaffMember,
    VersionStatus,
)
from haven.organizations.models import Organization
from haven.organizations.roles import Role

TODAY = date(2026, 6, 15)


def make_course(company: Organization, slug: str = dashboard.BASE_COURSE) -> Course:
    course = Course.objects.create(organization=company, slug=slug, title_en=f"Course {slug}")
    CourseVersion.objects.create(organization=company, course=course, number=1, status=VersionStatus.PUBLISHED)
    return course


def assign(
    staff: StaffMember, course: Course, *, due_on: date, completed: bool = False, superseded: bool = False
) -> Assignment:
    version = CourseVersion.objects.in_org(staff.organization_id).get(course=course, number=1)
    moment = datetime(2026, 5, 20, 12, tzinfo=UTC)
    return Assignment.objects.create(
        organization_id=staff.organization_id,
        staff=staff,
        course=course,
        version=version,
        assigned_on=due_on - timedelta(days=30),
        due_on=due_on,
        completed_at=moment if completed else None,
        superseded_at=moment if superseded else None,
    )


def publish_policy(company: Organization) -> PolicyVersion:
    policy = Policy.objects.create(organization=company, slug=dashboard.POLICY, title_en="Safeguarding policy")
    return PolicyVersion.objects.create(
        organization=company, policy=policy, number=1, body_en="Text", published_at=timezone.now()
    )


@pytest.fixture
def course(company: Organization) -> Course:
    return make_course(company)


def test_counts_by_department_and_country(
    company: Organization, course: Course, make_staff: Callable[..., StaffMember]
) -> None:
    version = publish_policy(company)
    done = make_staff(department="Retail", country="FR")
    late = make_staff(department="Retail", country="BE")
    waiting = make_staff(department="IT", country="FR")
    unassigned = make_staff(department="IT", country="FR")
    gone = make_staff(department="IT", country="FR")
    assign(done, course, due_on=TODAY - timedelta(days=10), completed=True)
    assign(late, course, due_on=TODAY - timedelta(days=1))
    assign(late, course, due_on=TODAY - timedelta(days=90), superseded=True)
    assign(waiting, course, due_on=TODAY + timedelta(days=5))
    assign(gone, course, due_on=TODAY - timedelta(days=5))
    services.staff_deactivate(actor=None, staff=gone)
    Attestation.objects.create(organization=company, staff=done, version=version)
    Attestation.objects.create(organization=company, staff=gone, version=version)

    figures = dashboard.figures(company, course, today=TODAY)

    total = figures.total
    assert (total.staff, total.assigned, total.completed, total.overdue, total.attested) == (4, 3, 1, 1, 1)
    by_department = {row.label: (row.staff, row.assigned, row.completed, row.overdue) for row in figures.by_department}
    assert by_department == {"Retail": (2, 2, 1, 1), "IT": (2, 1, 0, 0)}
    by_country = {row.label: (row.staff, row.assigned, row.completed, row.overdue) for row in figures.by_country}
    assert by_country == {"FR": (3, 2, 1, 0), "BE": (1, 1, 0, 1)}
    assert unassigned.is_active
    assert figures.total.completed_rate == pytest.approx(1 / 3)


def test_completions_per_month_lists_every_month(
    company: Organization, course: Course, make_staff: Callable[..., StaffMember]
) -> None:
    assign(make_staff(), course, due_on=TODAY, completed=True)  # completed 20 May 2026
    months = dashboard.completions_by_month(company, course, today=TODAY)
    assert len(months) == dashboard.MONTHS_SHOWN
    assert months[-1] == (date(2026, 6, 1), 0)
    assert months[-2] == (date(2026, 5, 1), 1)
    assert sum(n for _month, n in months) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(
        st.tuples(
            st.sampled_from(["Retail", "IT", "Legal"]),
            st.sampled_from(["FR", "US"]),
            st.sampled_from(["none", "done", "late", "open"]),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_groups_add_up_to_the_company(
    company: Organization, course: Course, make_staff: Callable[..., StaffMember], people: list[Any]
) -> None:
    """Whatever the staff, departments and countries each add up to the company's totals, and no group counts more
    completed or overdue than assigned."""
    StaffMember.objects.in_org(company).update(is_active=False)
    for department, country, state, active in people:
        staff = make_staff(department=department, country=country)
        if state != "none":
            due = TODAY - timedelta(days=3) if state == "late" else TODAY + timedelta(days=3)
            assign(staff, course, due_on=due, completed=state == "done")
        if not active:
            services.staff_deactivate(actor=None, staff=staff)
    figures = dashboard.figures(company, course, today=TODAY)
    for groups in (figures.by_department, figures.by_country):
        for name in ("staff", "assigned", "completed", "overdue"):
            assert sum(getattr(g, name) for g in groups) == getattr(figures.total, name)
        assert all(g.completed + g.overdue <= g.assigned <= g.staff for g in groups)
    active = [p for p in people if p[3]]
    assert figures.total.overdue == sum(1 for p in active if p[2] == "late")
    assert figures.total.completed == sum(1 for p in active if p[2] == "done")


def test_the_dashboard_aggregates_in_a_few_queries(
    company: Organization,
    course: Course,
    make_staff: Callable[..., StaffMember],
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(30):
        assign(make_staff(department=f"D{n % 5}", country="FR"), course, due_on=TODAY - timedelta(days=n % 3))
    with django_assert_max_num_queries(6):
        figures = dashboard.figures(company, course, today=TODAY)
    assert figures.total.assigned == 30


def test_the_learning_admin_sees_the_page_and_pages_the_overdue(
    company: Organization,
    course: Course,
    learning_admin: User,
    make_staff: Callable[..., StaffMember],
    signed_in: Callable[[User], Client],
) -> None:
    for n in range(55):
        assign(make_staff(department="Retail" if n % 2 else "IT", country="FR"), course, due_on=date(2025, 1, 1))
    client = signed_in(learning_admin)
    url = reverse("learning:dashboard")
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 55
    assert len(page.context["page"].object_list) == 50
    retail = client.get(url, {"department": "Retail", "page": "1"})
    assert retail.context["page"].paginator.count == 27
    assert {a.staff.department for a in retail.context["page"]} == {"Retail"}


def test_the_csv_lists_the_filtered_overdue_and_is_audited(
    company: Organization,
    course: Course,
    learning_admin: User,
    make_staff: Callable[..., StaffMember],
    signed_in: Callable[[User], Client],
) -> None:
    late = make_staff(department="Retail", country="FR", given_name="=cmd", family_name="Late")
    assign(late, course, due_on=date(2025, 1, 1))
    assign(make_staff(department="IT", country="FR"), course, due_on=date(2025, 1, 1))
    assign(make_staff(department="Retail", country="FR"), course, due_on=date(2099, 1, 1))
    response = signed_in(learning_admin).get(
        reverse("learning:dashboard_csv", args=[course.pk]), {"department": "Retail"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    assert rows[1][1] == late.user_name
    assert rows[1][0].startswith("'=")  # a spreadsheet shows it as text, never runs it
    event = AuditEntry.objects.in_org(company).get(action="learning.overdue_export")
    assert event.detail == {"rows": 1}


def test_nobody_else_sees_the_dashboard(
    company: Organization,
    course: Course,
    make_member: Callable[..., User],
    cac: Organization,
    partner: Organization,
    signed_in: Callable[[User], Client],
) -> None:
    learner = make_member(Role.LEARNER, company)
    cac_admin = make_member(Role.ORG_ADMIN, cac)
    for user in (learner, cac_admin):
        client = signed_in(user)
        assert client.get(reverse("learning:dashboard")).status_code == 404
        assert client.get(reverse("learning:dashboard_csv", args=[course.pk])).status_code == 404


def test_another_company_s_course_is_not_found(
    company: Organization, learning_admin: User, signed_in: Callable[[User], Client]
) -> None:
    from haven.organizations.roles import OrganizationKind
    from haven.organizations.tests.factories import OrganizationFactory

    other = OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER)
    theirs = make_course(other)
    response = signed_in(learning_admin).get(reverse("learning:dashboard_csv", args=[theirs.pk]))
    assert response.status_code == 404


def test_the_cached_figures_cost_one_query_and_move_with_the_learning_version(
    company: Organization, course: Course, make_staff: Callable[..., StaffMember], django_assert_max_num_queries: Any
) -> None:
    """Cached, the figures cost one query (the company's learning version); a write through the services replaces
    the version and gives new figures at once (each kind of write: ``test_learning_version.py``)."""
    first = make_staff(department="IT")
    dashboard.cached_figures(company, course, today=TODAY)
    with django_assert_max_num_queries(1):
        assert dashboard.cached_figures(company, course, today=TODAY).total.staff == 1
    make_staff(department="IT")
    assert dashboard.cached_figures(company, course, today=TODAY).total.staff == 2
    services.staff_deactivate(actor=None, staff=first)
    assert dashboard.cached_figures(company, course, today=TODAY).total.staff == 1
