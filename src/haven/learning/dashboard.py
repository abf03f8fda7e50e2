"""The company's staff-education figures, aggregated in the database (a few queries at any number of staff).

One definition serves the learning admin's dashboard and the program's count (``reporting`` through
``learning.selectors``): for one course, an **active** member of staff is

- *assigned* when they have an assignment of the course that no new version replaced (open or completed);
- *overdue* when their open assignment is past its due date;
- *completed* (educated, for the base course) when they are assigned and have no open assignment: the refresh
  opens a new assignment when a cycle ends, so a completion counts only within its cycle.

A deactivated member is never counted as assigned or overdue; their history stays. *Attested* counts the active
staff who attested the current (latest published) version of the company's policy.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from haven.core.dates import add_months
from haven.organizations.models import Organization

from . import version
from .models import Assignment, Attestation, Course, Policy, PolicyVersion, StaffMember

BASE_COURSE = "child-protection"
POLICY = "child-safeguarding-policy"
MONTHS_SHOWN = 12


@dataclass
class Figures:
    """The counts of one group of staff (a department, a country, or the whole company)."""

    label: str
    staff: int = 0
    assigned: int = 0
    completed: int = 0
    overdue: int = 0
    attested: int = 0

    def add(self, other: "Figures") -> None:
        self.staff += other.staff
        self.assigned += other.assigned
        self.completed += other.completed
        self.overdue += other.overdue
        self.attested += other.attested

    @property
    def completed_rate(self) -> float | None:
        return self.completed / self.assigned if self.assigned else None

    @property
    def overdue_rate(self) -> float | None:
        return self.overdue / self.assigned if self.assigned else None

    @property
    def attested_rate(self) -> float | None:
        return self.attested / self.staff if self.staff else None


@dataclass
class Dashboard:
    course: Course | None
    policy_version: PolicyVersion | None
    total: Figures
    by_department: list[Figures] = field(default_factory=list)
    by_country: list[Figures] = field(default_factory=list)
    by_month: list[tuple[date, int]] = field(default_factory=list)
    # The counts of each (department, country): the overdue list's count under any filter, with no query.
    cells: dict[tuple[str, str], Figures] = field(default_factory=dict)

    def overdue_count(self, *, department: str = "", country: str = "") -> int:
        return sum(
            cell.overdue
            for (d, c), cell in self.cells.items()
            if (not department or d == department) and (not country or c == country)
        )


def base_course(company: Organization) -> Course | None:
    return Course.objects.in_org(company).filter(slug=BASE_COURSE).first()


def current_policy_version(company: Organization) -> PolicyVersion | None:
    """The latest published version of the company's safeguarding policy (or of its first policy)."""
    versions = PolicyVersion.objects.in_org(company).filter(published_at__isnull=False)
    policy = Policy.objects.in_org(company).filter(slug=POLICY).first() or Policy.objects.in_org(company).first()
    if policy is None:
        return None
    return versions.filter(policy=policy).order_by("-number").first()


def _current_assignments(company: Organization, course: Course) -> QuerySet[Assignment]:
    return Assignment.objects.in_org(company).filter(course=course, superseded_at__isnull=True, staff__is_active=True)


def educated_on(staff: QuerySet[StaffMember], on: date) -> int:
    """How many of ``staff`` were educated at the end of ``on``: active then, with the base course completed by
    then (an assignment no new version had replaced by then) and no assignment of it open then. On today this is
    the dashboard's *completed* of the base course; on a quarter's end, what the quarter's release counts.

    Read as two narrow lists and decided here: the same rule as correlated subqueries took seconds a quarter on
    SQLite (a date cast per row of every subquery), and a release asks it for every quarter."""
    active: set[int] = set()
    companies: set[int] = set()
    for pk, company_id, is_active, left in staff.values_list("pk", "organization_id", "is_active", "deactivated_at"):
        companies.add(company_id)
        if is_active or (left is not None and timezone.localdate(left) > on):
            active.add(pk)
    if not active:
        return 0
    done: set[int] = set()
    open_then: set[int] = set()
    rows = (
        Assignment.objects.in_orgs(companies)
        .filter(course__slug=BASE_COURSE, assigned_on__lte=on)
        .values_list("staff_id", "completed_at", "superseded_at")
    )
    for staff_id, completed_at, superseded_at in rows.iterator(chunk_size=5000):
        if staff_id not in active or (superseded_at is not None and timezone.localdate(superseded_at) <= on):
            continue  # not counted, or replaced by a new version by then
        if completed_at is not None and timezone.localdate(completed_at) <= on:
            done.add(staff_id)
        else:
            open_then.add(staff_id)
    return len(done - open_then)


def figures(company: Organization, course: Course | None, *, today: date | None = None) -> Dashboard:
    """Counts by department and by country, and completions per month: four queries, grouped in the database by
    department and country together (a few hundred rows at most) and folded here."""
    today = today or timezone.localdate()
    version = current_policy_version(company)
    cells: dict[tuple[str, str], Figures] = defaultdict(lambda: Figures(""))
    staff = StaffMember.objects.in_org(company).filter(is_active=True)
    for row in staff.values("department", "country").annotate(n=Count("pk")).order_by():
        cells[(row["department"], row["country"])].staff = row["n"]
    if course is not None:
        rows = (
            _current_assignments(company, course)
            .values("staff__department", "staff__country")
            .annotate(
                assigned=Count("staff_id", distinct=True),
                open=Count("staff_id", distinct=True, filter=Q(completed_at__isnull=True)),
                overdue=Count("staff_id", distinct=True, filter=Q(completed_at__isnull=True, due_on__lt=today)),
            )
            .order_by()
        )
        for row in rows:
            cell = cells[(row["staff__department"], row["staff__country"])]
            cell.assigned, cell.completed, cell.overdue = row["assigned"], row["assigned"] - row["open"], row["overdue"]
    if version is not None:
        attested = (
            Attestation.objects.in_org(company)
            .filter(version=version, staff__is_active=True)
            .values("staff__department", "staff__country")
            .annotate(n=Count("staff_id", distinct=True))
            .order_by()
        )
        for row in attested:
            cells[(row["staff__department"], row["staff__country"])].attested = row["n"]
    total = Figures("")
    departments: dict[str, Figures] = {}
    countries: dict[str, Figures] = {}
    for (department, country), cell in cells.items():
        total.add(cell)
        departments.setdefault(department, Figures(department)).add(cell)
        countries.setdefault(country, Figures(country)).add(cell)
    return Dashboard(
        course=course,
        policy_version=version,
        total=total,
        by_department=[departments[k] for k in sorted(departments)],
        by_country=[countries[k] for k in sorted(countries)],
        by_month=completions_by_month(company, course, today=today) if course is not None else [],
        cells=dict(cells),
    )


# -- Cached under the learning version -------------------------------------------------------------------------


def cached_figures(company: Organization, course: Course | None, *, today: date | None = None) -> Dashboard:
    """:func:`figures`, cached under the day and the company's learning version (``version``), which every write
    they read replaces in its transaction: a cached figure is never older than the last committed write, and the
    cache costs one query."""
    today = today or timezone.localdate()
    token = version.current(company)
    key = f"learning:figures:{company.pk}:{course.pk if course else 0}:{today.isoformat()}:{token}"
    found = cache.get(key)
    if not isinstance(found, Dashboard):
        found = figures(company, course, today=today)
        cache.set(key, found, version.TIMEOUT)
    return found


def completions_by_month(company: Organization, course: Course, *, today: date) -> list[tuple[date, int]]:
    """Completions of the course in each of the last twelve months, the months with none included: one query of
    twelve conditional counts over plain comparisons (no date function per row), months in the current zone."""
    months = [add_months(today.replace(day=1), -n) for n in range(MONTHS_SHOWN - 1, -1, -1)]
    edges = [_midnight(month) for month in [*months, add_months(months[-1], 1)]]
    counts = (
        Assignment.objects.in_org(company)
        .filter(course=course, completed_at__gte=edges[0], completed_at__lt=edges[-1])
        .aggregate(
            **{
                f"m{n}": Count("pk", filter=Q(completed_at__gte=edges[n], completed_at__lt=edges[n + 1]))
                for n in range(MONTHS_SHOWN)
            }
        )
    )
    return [(month, counts[f"m{n}"]) for n, month in enumerate(months)]


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def overdue(
    company: Organization,
    course: Course,
    *,
    department: str = "",
    country: str = "",
    today: date | None = None,
) -> QuerySet[Assignment]:
    """The open, past-due assignments of active staff, the longest overdue first, with who they are."""
    today = today or timezone.localdate()
    found = _current_assignments(company, course).filter(completed_at__isnull=True, due_on__lt=today)
    if department:
        found = found.filter(staff__department=department)
    if country:
        found = found.filter(staff__country=country)
    return found.select_related("staff__user", "staff__manager__user").order_by("due_on", "pk")
