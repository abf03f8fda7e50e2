"""Bulk import of cohort rosters and online-course completions: a dry run that says what each row would do,
then the same plan applied in one transaction. Importing the same file twice changes nothing the second time.

Rows are matched in bulk (a handful of queries whatever the file's size), never one query per row.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.emails import normalize_email
from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.changes import WorkforceChanged, announce
from haven.core.db import insert_rows
from haven.core.tabular import Table, excerpt
from haven.core.tabular_dates import DateColumn, DateError, DateOrder, describe, parse_date
from haven.organizations.models import US_STATES, Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.selectors import organizations_visible_to, tree_below
from haven.programs.models import Program

from .models import Cohort, Degree, Enrollment, LicenseStatus, Milestone, MilestoneKind, Placement

KINDS = {
    "roster": ("email", "cohort", "degree", "license_state", "license_status"),
    "course": ("email", "completed_on"),
}
CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
MAX_EMAIL = 254  # characters in an e-mail address (RFC 5321), as Django's EmailField


@dataclass
class RowOutcome:
    line: int
    email: str
    outcome: str
    message: str = ""


@dataclass
class ImportPlan:
    kind: str
    outcomes: list[RowOutcome] = field(default_factory=list)
    new_enrollments: list[Enrollment] = field(default_factory=list)
    changed_enrollments: list[Enrollment] = field(default_factory=list)
    # (CAC, enrollment, completed on, clinician)
    new_courses: list[tuple[int, int, date, int]] = field(default_factory=list)
    # The order month/day dates were read in ("" when none was needed or known), and the lines whose date reads
    # two ways when no date of the file says which (the review page then asks).
    date_order: str = ""
    ambiguous_lines: tuple[int, ...] = ()

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.outcomes if row.outcome == outcome)

    @property
    def to_create(self) -> int:
        return len(self.new_enrollments) + len(self.new_courses)

    @property
    def has_errors(self) -> bool:
        return any(row.outcome == ERROR for row in self.outcomes)


def _clinicians_by_email(membership: Membership | None, program: Program) -> dict[str, tuple[int, int]]:
    """E-mail -> (user id, CAC id) of the active clinicians in the organizations the admin oversees, or, for a
    system sending through the API (no membership), in the program's own CACs (its national office's tree)."""
    visible = (
        organizations_visible_to(membership)
        if membership is not None
        else Organization.objects.filter(tree_below(program.organization))
    )
    cacs = visible.filter(kind=OrganizationKind.CAC).values("pk")
    rows = (
        Membership.objects.in_orgs(cacs)
        .filter(role=Role.CLINICIAN, is_active=True, user__is_active=True)
        .values_list("user__email", "user_id", "organization_id")
    )
    found: dict[str, tuple[int, int]] = {}
    ambiguous: set[str] = set()
    for email, user_id, org_id in rows:
        key = normalize_email(email)
        if key in found and found[key][1] != org_id:
            ambiguous.add(key)
        found[key] = (user_id, org_id)
    # A clinician of two CACs cannot be placed by e-mail alone: they are nominated from one CAC's page.
    return {key: value for key, value in found.items() if key not in ambiguous}


def rows_of(table: Table, kind: str) -> list[dict[str, Any]]:
    """The rows as the plan and the confirmation read them: each row's ``line`` and the kind's columns the file
    has (the other columns are left behind)."""
    columns = [(name, index) for name in KINDS[kind] if (index := table.column(name)) is not None]
    return [
        {"line": line, **{name: values[index] if index < len(values) else "" for name, index in columns}}
        for line, values in table.rows
    ]


def plan(
    *,
    membership: Membership | None,
    program: Program,
    kind: str,
    rows: list[dict[str, Any]],
    actor: User | None,
    date_order: str | None = None,
) -> ImportPlan:
    """What applying ``rows`` (from ``rows_of``) would do, row by row. Nothing is written. ``date_order`` is the
    person's answer when the file's dates could be read month first or day first. ``membership`` and ``actor``
    are None for course completions a system sends through the API (``haven.api.ingest_training``)."""
    plan = ImportPlan(kind)
    missing = [column for column in KINDS[kind] if rows and column not in rows[0]]
    if missing:
        plan.outcomes.append(RowOutcome(1, "", ERROR, _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)}))
        return plan
    clinicians = _clinicians_by_email(membership, program)
    enrollments = Enrollment.objects.in_orgs({org for _u, org in clinicians.values()}).filter(program=program)
    seen: set[str] = set()
    builder = _plan_roster if kind == "roster" else _plan_course
    context = _Context(membership, program, actor, clinicians)
    if kind == "course":
        column = DateColumn.of((row["line"], row.get("completed_on", "")) for row in rows)
        context.date_order = column.order_with(date_order)
        plan.date_order, plan.ambiguous_lines = context.date_order or "", column.ambiguous
    if kind == "roster":
        context.enrollments = {e.clinician_id: e for e in enrollments}
    else:  # a course only reads where each clinician stands: plain rows, light for thousands
        fields = ("pk", "organization_id", "placement")
        context.placed = {user_id: _Placed(*row) for user_id, *row in enrollments.values_list("clinician_id", *fields)}
    for row in rows:
        line, email = row["line"], normalize_email(row.get("email", ""))
        if email in seen:
            plan.outcomes.append(RowOutcome(line, email, ERROR, _("This e-mail appears twice in the file.")))
            continue
        if len(email) <= MAX_EMAIL:  # a longer one is no one's: not kept
            seen.add(email)
        if email not in clinicians:
            plan.outcomes.append(
                RowOutcome(
                    line,
                    excerpt(email, MAX_EMAIL),
                    ERROR,
                    _("No active clinician with this e-mail in your organizations."),
                )
            )
            continue
        plan.outcomes.append(builder(context, plan, line, email, row))
    return plan


@dataclass
class _Context:
    membership: Membership | None
    program: Program
    actor: User | None
    clinicians: dict[str, tuple[int, int]]
    enrollments: dict[int, Enrollment] = field(default_factory=dict)  # for a roster
    placed: dict[int, "_Placed"] = field(default_factory=dict)  # for a course
    cohorts: dict[str, Cohort] = field(default_factory=dict)
    seats: dict[int, int] = field(default_factory=dict)
    courses: set[int] = field(default_factory=set)
    loaded: bool = False
    date_order: DateOrder | None = None  # for a course's completion dates


@dataclass(frozen=True)
class _Placed:
    pk: int
    organization_id: int
    placement: str


def _load_roster(context: _Context) -> None:
    cohorts = list(Cohort.objects.in_org(context.program.organization_id).filter(program=context.program))
    context.cohorts = {c.name.strip().lower(): c for c in cohorts}
    taken = (
        Enrollment.objects.in_cohorts(cohorts)
        .filter(placement=Placement.ENROLLED)
        .values("cohort_id")
        .annotate(n=Count("id"))
    )
    context.seats = {row["cohort_id"]: row["n"] for row in taken}
    context.loaded = True


def _plan_roster(context: _Context, plan: ImportPlan, line: int, email: str, row: dict[str, str]) -> RowOutcome:
    if not context.loaded:
        _load_roster(context)
    cohort = context.cohorts.get(row.get("cohort", "").strip().lower())
    if cohort is None:
        return RowOutcome(line, email, ERROR, _("No cohort of this program has that name."))
    degree, state, status = (row.get(k, "").strip().lower() for k in ("degree", "license_state", "license_status"))
    state = state.upper()
    if degree not in Degree.values:
        return RowOutcome(line, email, ERROR, _("Degree must be one of: %(v)s.") % {"v": ", ".join(Degree.values)})
    if state not in US_STATES:
        return RowOutcome(line, email, ERROR, _("License state must be a two-letter state code."))
    if status not in LicenseStatus.values:
        return RowOutcome(
            line, email, ERROR, _("License must be one of: %(v)s.") % {"v": ", ".join(LicenseStatus.values)}
        )
    user_id, cac_id = context.clinicians[email]
    existing = context.enrollments.get(user_id)
    if existing is not None and existing.placement == Placement.WITHDRAWN:
        return RowOutcome(line, email, ERROR, _("This clinician withdrew; they cannot be placed again by import."))
    if existing is not None and existing.placement == Placement.ENROLLED and existing.cohort_id != cohort.pk:
        return RowOutcome(line, email, ERROR, _("Already enrolled in another cohort: move them from their page."))
    details = {"degree": degree, "license_state": state, "license_status": status}
    if existing is not None and existing.cohort_id == cohort.pk and existing.placement != Placement.NOMINATED:
        changed = {k: v for k, v in details.items() if getattr(existing, k) != v}
        if not changed:
            return RowOutcome(line, email, UNCHANGED)
        for name, value in changed.items():
            setattr(existing, name, value)
        plan.changed_enrollments.append(existing)
        return RowOutcome(line, email, UPDATE, _("License or degree updated."))
    full = context.seats.get(cohort.pk, 0) >= cohort.capacity
    placement = Placement.WAITLISTED if full else Placement.ENROLLED
    if not full:
        context.seats[cohort.pk] = context.seats.get(cohort.pk, 0) + 1
    message = _("Waitlisted: the cohort is full.") if full else ""
    if existing is not None:
        existing.cohort, existing.placement, existing.placed_at = cohort, placement, timezone.now()
        if placement == Placement.ENROLLED:
            existing.take_live_training_of(cohort, timezone.now().date())
        for name, value in details.items():
            setattr(existing, name, value)
        plan.changed_enrollments.append(existing)
        return RowOutcome(line, email, UPDATE, message or _("Placed in the cohort."))
    plan.new_enrollments.append(
        Enrollment(
            organization_id=cac_id,
            program=context.program,
            clinician_id=user_id,
            cohort=cohort,
            placement=placement,
            placed_at=timezone.now(),
            live_training_on=cohort.live_training_on if placement == Placement.ENROLLED else None,
            live_training_days=cohort.live_training_days if placement == Placement.ENROLLED else 0,
            nominated_by=context.actor,
            **details,
        )
    )
    return RowOutcome(line, email, CREATE, message)


def _plan_course(context: _Context, plan: ImportPlan, line: int, email: str, row: dict[str, str]) -> RowOutcome:
    if not context.loaded:
        context.courses = set(
            Milestone.objects.in_orgs({e.organization_id for e in context.placed.values()})
            .filter(enrollment__program=context.program, kind=MilestoneKind.ONLINE_COURSE)
            .values_list("enrollment_id", flat=True)
        )
        context.loaded = True
    try:
        completed_on = parse_date(row.get("completed_on", ""), context.date_order)
    except DateError as error:
        return RowOutcome(line, email, ERROR, describe(error))
    if completed_on > timezone.now().date():
        return RowOutcome(line, email, ERROR, _("The completion date is in the future."))
    user_id, _cac_id = context.clinicians[email]
    enrollment = context.placed.get(user_id)
    if enrollment is None:
        return RowOutcome(line, email, ERROR, _("This clinician is not in the program yet."))
    if enrollment.placement == Placement.WITHDRAWN:
        return RowOutcome(line, email, ERROR, _("This clinician withdrew from the program."))
    if enrollment.pk in context.courses:
        return RowOutcome(line, email, UNCHANGED)
    plan.new_courses.append((enrollment.organization_id, enrollment.pk, completed_on, user_id))
    return RowOutcome(line, email, CREATE)


@transaction.atomic
def apply(
    *,
    actor: User | None,
    membership: Membership | None,
    program: Program,
    kind: str,
    rows: list[dict[str, Any]],
    file_name: str,
    date_order: str | None = None,
) -> ImportPlan:
    """Plan again inside the transaction (the data may have changed since the dry run), refuse if any row is
    in error, then write everything at once. One audit event for the whole import. Without an ``actor`` (course
    completions sent through the API), each course is recorded by its clinician, as the certificate names them."""
    # Hold the program's cohorts while seats are counted and filled, as placements do.
    list(Cohort.objects.in_org(program.organization_id).filter(program=program).select_for_update())
    result = plan(membership=membership, program=program, kind=kind, rows=rows, actor=actor, date_order=date_order)
    if result.has_errors:
        transaction.set_rollback(True)
        return result
    Enrollment.objects.bulk_create(result.new_enrollments, batch_size=2000)
    Enrollment.objects.bulk_update(
        result.changed_enrollments,
        [
            "cohort",
            "placement",
            "placed_at",
            "live_training_on",
            "live_training_days",
            "degree",
            "license_state",
            "license_status",
        ],
        batch_size=2000,
    )
    # Course completions come by the thousand: written as plain rows (a Milestone per row, and bulk_create's SQL
    # for it, cost more than planning the whole file).
    now = timezone.now()
    insert_rows(
        Milestone,
        ["organization_id", "enrollment_id", "kind", "achieved_on", "passed", "recorded_by_id", "recorded_at"],
        (
            (org_id, enrollment_id, MilestoneKind.ONLINE_COURSE, on, True, actor.pk if actor else clinician_id, now)
            for org_id, enrollment_id, on, clinician_id in result.new_courses
        ),
    )
    placed = frozenset(
        (e.organization_id, e.clinician_id)
        for e in (*result.new_enrollments, *result.changed_enrollments)
        if e.placement == Placement.ENROLLED
    )
    # bulk_create gave the new enrollments their ids (SQLite and PostgreSQL return them); without them, naming no
    # enrollment has every path of the program derived again.
    written = [e.pk for e in (*result.new_enrollments, *result.changed_enrollments)]
    touched: frozenset[int] = frozenset()
    if None not in written:
        touched = frozenset(written) | {enrollment_id for _org, enrollment_id, _on, _user in result.new_courses}
    announce(WorkforceChanged(program_id=program.pk, clinicians=placed, enrollments=touched))
    audit.record(
        actor=actor,
        action="import.apply",
        organization=program.organization_id,
        target=program,
        detail={
            "kind": kind,
            "rows": len(rows),
            CREATE: result.count(CREATE),
            UPDATE: result.count(UPDATE),
            UNCHANGED: result.count(UNCHANGED),
        },
    )
    return result
