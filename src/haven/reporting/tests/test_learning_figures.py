"""Corporate staff educated: one count, defined in ``learning``, read through ``learning.selectors``, shown exactly
on the program dashboard, the funder's tables and their downloads and PDF, and (rounded) on the public page; never
by company, department or country outside the company."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.learning import dashboard, services
from haven.learning.models import Assignment, Course, CourseVersion, LearningSettings, StaffMember, VersionStatus
from haven.organizations.models import Organization
from haven.programs.models import Program, ProgramTarget, TargetMetric
from haven.reporting import figures, tables

from .builders import keep_documents, layout_texts

FUNDER = "/reporting/funder/"


def _when(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


class Company:
    """A company whose learning counts toward the program: staff, the base course, assignments."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.course = Course.objects.create(organization=organization, slug=dashboard.BASE_COURSE, title_en="Base")
        self.version = CourseVersion.objects.create(
            organization=organization, course=self.course, number=1, status=VersionStatus.PUBLISHED
        )
        self.made = 0

    def staff(self, *, completed_on: date | None, department: str = "Retail", assigned_on: date) -> StaffMember:
        self.made += 1
        member = services.staff_save(
            actor=None,
            organization=self.organization,
            fields=services.StaffFields(
                user_name=f"person{self.made}@company.example",
                email=f"person{self.made}@company.example",
                department=department,
                country="FR",
            ),
        )
        Assignment.objects.create(
            organization=self.organization,
            staff=member,
            course=self.course,
            version=self.version,
            assigned_on=assigned_on,
            due_on=assigned_on + timedelta(days=30),
            completed_at=_when(completed_on) if completed_on else None,
        )
        return member


@pytest.fixture
def quarter(funded: Program) -> date:
    found = tables.last_closed_quarter(funded, timezone.now().date())
    assert found is not None
    return found


@pytest.fixture
def company(partner: Organization, funded: Program, quarter: date) -> Company:
    """Seven staff educated by the quarter's end (one of them in Legal, alone), one more after it, two overdue, and
    one educated by then who has left since (educated then, not now)."""
    LearningSettings.objects.create(organization=partner, program=funded)
    made = Company(partner)
    end = tables.quarter_end(quarter)
    start = end - timedelta(days=60)
    for n in range(7):
        made.staff(completed_on=end - timedelta(days=5), department="Legal" if n == 0 else "Retail", assigned_on=start)
    made.staff(completed_on=timezone.localdate() - timedelta(days=1), assigned_on=start)
    for _ in range(2):
        made.staff(completed_on=None, assigned_on=start)
    gone = made.staff(completed_on=end - timedelta(days=5), assigned_on=start)
    services.staff_deactivate(actor=None, staff=gone)
    return made


def test_the_count_is_the_dashboard_s_completed_today_and_as_of_a_day_before(
    company: Company, funded: Program, quarter: date
) -> None:
    today = timezone.localdate()
    assert figures.staff_educated(funded) == dashboard.figures(company.organization, company.course).total.completed
    assert figures.staff_educated(funded) == 8
    assert figures.staff_educated(funded, tables.quarter_end(quarter)) == 8
    assert figures.staff_educated(funded, today - timedelta(days=3650)) == 0


def test_a_new_cycle_open_means_not_educated(company: Company, funded: Program) -> None:
    """The yearly refresh opens a new assignment: until it is completed, the person does not count."""
    educated = Assignment.objects.in_org(company.organization).filter(completed_at__isnull=False)
    first = educated.filter(staff__is_active=True).first()
    assert first is not None
    before = figures.staff_educated(funded)
    Assignment.objects.create(
        organization=company.organization,
        staff=first.staff,
        course=company.course,
        version=company.version,
        assigned_on=timezone.localdate(),
        due_on=timezone.localdate() + timedelta(days=30),
    )
    assert figures.staff_educated(funded) == before - 1


def test_the_program_dashboard_shows_them_against_the_target(
    company: Company, funded: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    ProgramTarget.objects.create(
        organization=funded.organization, program=funded, metric=TargetMetric.STAFF_EDUCATED, value=40
    )
    response = signed_in(program_admin).get("/reporting/")
    progress = {p.metric: p for p in response.context["progress"]}
    assert (progress["staff_educated"].actual, progress["staff_educated"].target) == (8, 40)
    assert progress["staff_educated"].share == 20
    assert "Corporate staff educated" in response.content.decode()


def test_a_program_without_companies_or_target_shows_no_staff(
    funded: Program, program_admin: User, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    progress = signed_in(program_admin).get("/reporting/").context["progress"]
    assert "staff_educated" not in {p.metric for p in progress}
    report = signed_in(funder_viewer).get(FUNDER).context["report"]
    assert "Corporate staff educated" not in {str(label) for label, _values in report.table("targets").rows}


def test_the_funder_reads_the_exact_count_as_of_the_quarter_everywhere(
    company: Company,
    funded: Program,
    funder_viewer: User,
    signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight is under the threshold of 11 and shown as it is: staff are adults counted like clinicians. The one
    educated after the quarter is not in its release; the one who left since is."""
    client = signed_in(funder_viewer)
    report: tables.FunderReport = client.get(FUNDER).context["report"]
    rows = {str(label): values for label, values in report.table("targets").rows}
    assert rows["Corporate staff educated"][1] == 8
    exported = list(csv.reader(io.StringIO(client.get("/reporting/funder/export.csv").content.decode())))
    assert ["Corporate staff educated", "", "8", ""] in exported
    documents = keep_documents(monkeypatch)
    assert client.get("/reporting/funder/export.pdf").status_code == 200
    texts = layout_texts(documents[-1])
    at = texts.index("Corporate staff educated")
    assert "8" in texts[at : at + 4]
    public: tables.PublicFigures = Client().get("/impact/").context["public"]
    assert public.staff_educated == 10  # rounded to the nearest 10, like every public figure


def test_no_department_or_country_leaves_the_company(
    company: Company, funded: Program, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    """Legal has one person: nothing the funder or the public reads names a department, a country or a company."""
    page = signed_in(funder_viewer).get(FUNDER)
    released = page.context["report"].protected.values
    staff_keys = [key for key in released if "staff" in repr(key)]
    assert staff_keys == [figures.STAFF_EDUCATED]
    for content in (page.content.decode(), Client().get("/impact/").content.decode()):
        assert "Legal" not in content
        assert company.organization.name not in content


def test_a_quarter_released_before_staff_were_counted_keeps_its_cells(
    funded: Program, partner: Organization, funder_viewer: User, signed_in: Callable[[User], Client], quarter: date
) -> None:
    client = signed_in(funder_viewer)
    before = client.get(FUNDER).context["report"]
    LearningSettings.objects.create(organization=partner, program=funded)
    after = client.get(FUNDER).context["report"]
    assert after.protected.values == before.protected.values


def test_the_dashboard_counts_staff_once_until_a_learning_write(
    company: Company, funded: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    """The count is kept under the companies' learning version: a second view reads no assignment, and a write
    through a learning service (someone educated leaves) shows on the next view."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(program_admin)

    def shown() -> int:
        progress = {p.metric: p for p in client.get("/reporting/").context["progress"]}
        return progress["staff_educated"].actual

    assert shown() == 8
    with CaptureQueriesContext(connection) as queries:
        assert shown() == 8
    assert not [q for q in queries.captured_queries if "learning_assignment" in q["sql"]]
    educated = StaffMember.objects.in_org(company.organization).filter(is_active=True, department="Legal").get()
    services.staff_deactivate(actor=None, staff=educated)
    assert shown() == 7
