"""Who takes what: assignment rules, and the engine that turns them into assignments (decision 0034).

A rule targets the company's active staff (everyone, a department, a team, a country or a group) with a course. The
engine :func:`assign` gives each targeted member of staff exactly one open-or-current assignment of the course's
published version, and nothing to anyone else:

- a member with an open assignment of the course keeps it (the database allows one open per staff and course);
- a member who never completed it gets a new one;
- a member whose last completion is older than the rule's ``refresh_months`` (0: never) gets a new one;
- deactivated staff get nothing new; their open assignments stay, for history, and are not overdue (selectors
  count only ``staff__is_active=True``: :func:`counts_as_overdue`).

Due dates (pure: :func:`due_date`): counted from assignment, ``assigned_on + due_days``; counted from hire, the
usual rule ``max(assigned_on, hired_on + due_days)`` for a person's first assignment of the course (a person hired
long before the rule reached them is due the day it is assigned: a rule counted from hire is for induction), and
``assigned_on + due_days`` for a refresh or without a hire date. When several rules target one person with one
course, the earliest due date wins and the shortest refresh (above 0) applies.

The engine reads the company in a handful of queries whatever its size and writes with ``bulk_create``; it is
idempotent (running it twice changes nothing). It runs daily (``manage.py learning_assign``), after a rule is
saved, and for the staff the directory creates or changes (:func:`assign_staff`)."""

import calendar
import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Organization

from . import version
from .models import (
    Assignment,
    AssignmentRule,
    Course,
    CourseVersion,
    DueFrom,
    RuleTarget,
    StaffGroup,
    StaffMember,
    VersionStatus,
)
from .services import check_company

BATCH = 2000


# --- Pure parts -------------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, the month's last day when it is shorter (31 January + 1 = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(*, assigned_on: date, due_days: int, due_from: str, hired_on: date | None, first: bool) -> date:
    """When an assignment made on ``assigned_on`` by a rule falls due (see the module's doc)."""
    from_assignment = assigned_on + timedelta(days=due_days)
    if due_from == DueFrom.HIRE and first and hired_on is not None:
        return max(assigned_on, hired_on + timedelta(days=due_days))
    return from_assignment


def refresh_due(*, completed_on: date, refresh_months: int, today: date) -> bool:
    """Whether a completion on ``completed_on`` is too old for a rule that refreshes every ``refresh_months``."""
    return refresh_months > 0 and add_months(completed_on, refresh_months) <= today


@dataclasses.dataclass(frozen=True)
class StaffFacts:
    pk: int
    department: str
    team: str
    country: str
    hired_on: date | None
    groups: frozenset[int]


def targets(rule: AssignmentRule, staff: StaffFacts) -> bool:
    """Whether the rule reaches this (active) member of staff. Values compare without case or outer spaces."""
    if rule.target == RuleTarget.EVERYONE:
        return True
    if rule.target == RuleTarget.GROUP:
        return rule.group_id in staff.groups
    held = {RuleTarget.DEPARTMENT: staff.department, RuleTarget.TEAM: staff.team, RuleTarget.COUNTRY: staff.country}
    return held[RuleTarget(rule.target)].strip().casefold() == rule.value.strip().casefold()


def counts_as_overdue(assignment: Assignment, today: date) -> bool:
    """An open assignment past its due date of a member of staff still active (a deactivated member's stays as
    history, overdue for nobody). Selectors filter the same way: ``staff__is_active=True``."""
    return assignment.staff.is_active and assignment.is_overdue(today)


# --- The engine -------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class AssignCounts:
    first: int = 0  # staff given a course for the first time
    refreshed: int = 0  # a completion too old: taken again
    targeted: int = 0  # (staff, course) pairs the rules reach

    @property
    def created(self) -> int:
        return self.first + self.refreshed


def _completed_day(moment: datetime) -> date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


@transaction.atomic
def assign(company: Organization, today: date, *, staff_ids: Iterable[int] | None = None) -> AssignCounts:
    """Create the assignments the company's active rules call for and nobody has yet (``staff_ids``: only theirs).

    Queries: the rules, the published versions, the staff, their groups, the open assignments, the last
    completions, then one insert per 2,000 rows, whatever the number of staff."""
    check_company(company)
    counts = AssignCounts()
    rules = list(AssignmentRule.objects.in_org(company).filter(is_active=True).order_by("pk"))
    if not rules:
        return counts
    published = dict(
        CourseVersion.objects.in_org(company)
        .filter(course_id__in={rule.course_id for rule in rules}, status=VersionStatus.PUBLISHED)
        .values_list("course_id", "pk")
    )
    rules = [rule for rule in rules if rule.course_id in published]
    if not rules:
        return counts
    only = None if staff_ids is None else set(staff_ids)
    staff_rows = StaffMember.objects.in_org(company).filter(is_active=True)
    if only is not None:
        staff_rows = staff_rows.filter(pk__in=only)
    groups: dict[int, set[int]] = defaultdict(set)
    group_ids = {rule.group_id for rule in rules if rule.group_id}
    if group_ids:
        through = StaffGroup.members.through.objects.filter(
            staffgroup_id__in=group_ids, staffgroup__organization=company
        )
        if only is not None:
            through = through.filter(staffmember_id__in=only)
        for group_id, member_id in through.values_list("staffgroup_id", "staffmember_id"):
            groups[member_id].add(group_id)
    staff = [
        StaffFacts(pk, department, team, country, hired_on, frozenset(groups.get(pk, ())))
        for pk, department, team, country, hired_on in staff_rows.values_list(
            "pk", "department", "team", "country", "hired_on"
        ).iterator(chunk_size=BATCH)
    ]
    courses = {rule.course_id for rule in rules}
    existing = Assignment.objects.in_org(company).filter(course_id__in=courses)
    if only is not None:
        existing = existing.filter(staff_id__in=only)
    open_pairs = set(
        existing.filter(completed_at__isnull=True, superseded_at__isnull=True).values_list("staff_id", "course_id")
    )
    last_completed = {
        (staff_id, course_id): _completed_day(moment)
        for staff_id, course_id, moment in existing.filter(completed_at__isnull=False)
        .values("staff_id", "course_id")
        .annotate(last=Max("completed_at"))
        .values_list("staff_id", "course_id", "last")
    }
    new: list[tuple[int, int, int, int, date]] = []
    for person in staff:
        reaching: dict[int, list[AssignmentRule]] = defaultdict(list)
        for rule in rules:
            if targets(rule, person):
                reaching[rule.course_id].append(rule)
        for course_id, course_rules in reaching.items():
            counts.targeted += 1
            if (person.pk, course_id) in open_pairs:
                continue
            completed_on = last_completed.get((person.pk, course_id))
            first = completed_on is None
            if completed_on is not None:
                refresh = min((rule.refresh_months for rule in course_rules if rule.refresh_months), default=0)
                if not refresh_due(completed_on=completed_on, refresh_months=refresh, today=today):
                    continue
            due, rule = min(
                (
                    (
                        due_date(
                            assigned_on=today,
                            due_days=rule.due_days,
                            due_from=rule.due_from,
                            hired_on=person.hired_on,
                            first=first,
                        ),
                        rule.pk,
                    )
                    for rule in course_rules
                ),
            )
            new.append((person.pk, course_id, published[course_id], rule, due))
            if first:
                counts.first += 1
            else:
                counts.refreshed += 1
    _insert(company, today, new)
    if counts.created:
        version.bump(company)
        audit.record(
            actor=None,
            action="learning.assign",
            organization=company,
            detail={"first": counts.first, "refreshed": counts.refreshed, "on": today.isoformat()},
        )
    return counts


def _insert(company: Organization, today: date, rows: list[tuple[int, int, int, int, date]]) -> None:
    """Insert the new assignments in batches, straight through the database's driver: building 45,000 model
    instances costs more than the rest of the run. A run at the same time as another leaves the other's rows
    (``ON CONFLICT DO NOTHING``: the one-open constraint refuses a second)."""
    meta = Assignment._meta
    names = ("organization_id", "staff_id", "course_id", "version_id", "rule_id", "assigned_on", "due_on", "created_at")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    values = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"  # noqa: S608
    assigned_on = connection.ops.adapt_datefield_value(today)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(
                sql,
                [
                    (
                        company.pk,
                        staff_id,
                        course_id,
                        version_id,
                        rule_id,
                        assigned_on,
                        connection.ops.adapt_datefield_value(due),
                        now,
                    )
                    for staff_id, course_id, version_id, rule_id, due in rows[start : start + BATCH]
                ],
            )


def assign_staff(staff_ids: Iterable[int], *, today: date | None = None) -> AssignCounts:
    """Run the engine for these members of staff only (the directory created or changed them: SCIM, the staff
    table, the admin). They may belong to several companies."""
    ids = set(staff_ids)
    total = AssignCounts()
    if not ids:
        return total
    companies = set(StaffMember.objects.dangerously_unscoped().filter(pk__in=ids).values_list("organization_id"))
    for (company_id,) in sorted(companies):
        company = Organization.objects.get(pk=company_id)
        counts = assign(company, today or timezone.localdate(), staff_ids=ids)
        total.first += counts.first
        total.refreshed += counts.refreshed
        total.targeted += counts.targeted
    return total


def assign_all(today: date) -> dict[int, AssignCounts]:
    """The daily run: every company that has an active rule."""
    company_ids = sorted(
        set(
            AssignmentRule.objects.dangerously_unscoped()
            .filter(is_active=True)
            .values_list("organization_id", flat=True)
        )
    )
    return {company.pk: assign(company, today) for company in Organization.objects.filter(pk__in=company_ids)}


# --- The admin's writes -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RuleFields:
    course: Course
    target: str
    value: str = ""
    group: StaffGroup | None = None
    due_days: int = 30
    due_from: str = DueFrom.ASSIGNMENT
    refresh_months: int = 12


def _checked(company: Organization, fields: RuleFields) -> RuleFields:
    if fields.course.organization_id != company.pk:
        raise ValidationError(_("This course is not one of the company's."))
    if fields.target == RuleTarget.EVERYONE:
        return dataclasses.replace(fields, value="", group=None)
    if fields.target == RuleTarget.GROUP:
        if fields.group is None or fields.group.organization_id != company.pk:
            raise ValidationError(_("Choose one of the company's groups."))
        return dataclasses.replace(fields, value="")
    value = fields.value.strip()
    if fields.target == RuleTarget.COUNTRY:
        value = value.upper()
    if not value:
        raise ValidationError(_("Choose which department, team or country the rule is for."))
    return dataclasses.replace(fields, value=value, group=None)


@transaction.atomic
def rule_save(
    *, actor: User, company: Organization, fields: RuleFields, rule: AssignmentRule | None = None, today: date
) -> tuple[AssignmentRule, AssignCounts]:
    """Create or change a rule, then assign what it calls for at once."""
    check_company(company)
    fields = _checked(company, fields)
    created = rule is None
    if rule is None:
        rule = AssignmentRule(organization=company)
    rule.course, rule.target, rule.value, rule.group = fields.course, fields.target, fields.value, fields.group
    rule.due_days, rule.due_from, rule.refresh_months = fields.due_days, fields.due_from, fields.refresh_months
    rule.save()
    version.bump(company)
    audit.record(
        actor=actor,
        action="learning.rule_create" if created else "learning.rule_update",
        organization=company,
        target=rule,
        detail={"course": rule.course_id},
    )
    return rule, assign(company, today) if rule.is_active else AssignCounts()


@transaction.atomic
def rule_deactivate(*, actor: User, rule: AssignmentRule) -> AssignmentRule:
    """The rule assigns nothing more; the assignments it made stay open until completed."""
    if rule.is_active:
        rule.is_active = False
        rule.save(update_fields=["is_active"])
        version.bump(rule.organization_id)
        audit.record(actor=actor, action="learning.rule_deactivate", organization=rule.organization_id, target=rule)
    return rule


@transaction.atomic
def rule_reactivate(*, actor: User, rule: AssignmentRule, today: date) -> AssignmentRule:
    if not rule.is_active:
        rule.is_active = True
        rule.save(update_fields=["is_active"])
        version.bump(rule.organization_id)
        audit.record(actor=actor, action="learning.rule_reactivate", organization=rule.organization_id, target=rule)
        assign(rule.organization, today)
    return rule


def target_values(company: Organization) -> dict[str, list[str]]:
    """The departments, teams and countries the company's staff have, for the rule form's choices."""
    staff = StaffMember.objects.in_org(company).filter(is_active=True)
    found: dict[str, list[str]] = {}
    for name in ("department", "team", "country"):
        found[name] = sorted(set(staff.exclude(**{name: ""}).values_list(name, flat=True)))
    return found
