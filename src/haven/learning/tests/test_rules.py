"""The assignment engine: who takes what, by when, taken again when, and nothing twice."""

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.learning import rules
from haven.learning.models import (
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
from haven.organizations.models import Organization

TODAY = date(2026, 3, 10)


def published_course(company: Organization, slug: str = "protect") -> Course:
    course = Course.objects.create(organization=company, slug=slug, title_en=f"Course {slug}")
    CourseVersion.objects.create(organization=company, course=course, number=1, status=VersionStatus.PUBLISHED)
    return course


def open_of(company: Organization, course: Course) -> dict[int, Assignment]:
    return {
        a.staff_id: a
        for a in Assignment.objects.in_org(company).filter(
            course=course, completed_at__isnull=True, superseded_at__isnull=True
        )
    }


# --- Pure parts -------------------------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    assert rules.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.add_months(date(2025, 11, 15), 14) == date(2027, 1, 15)


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), months=st.integers(0, 120))
def test_add_months_is_never_early_and_lands_in_the_right_month(day: date, months: int) -> None:
    later = rules.add_months(day, months)
    assert later >= day
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months


def test_due_from_hire_is_the_later_of_assignment_and_hire_plus_days() -> None:
    def due(hired_on: date | None, first: bool = True) -> date:
        return rules.due_date(assigned_on=TODAY, due_days=30, due_from=DueFrom.HIRE, hired_on=hired_on, first=first)

    assert due(TODAY - timedelta(days=10)) == TODAY + timedelta(days=20)
    assert due(date(2015, 1, 1)) == TODAY  # hired long ago: due the day it reaches them
    assert due(None) == TODAY + timedelta(days=30)
    assert due(TODAY - timedelta(days=10), first=False) == TODAY + timedelta(days=30)  # a refresh


# --- The engine -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rule_reaches_its_target_only_once_and_a_second_run_changes_nothing(
    company: Organization, make_staff: Callable[..., StaffMember]
) -> None:
    course = published_course(company)
    sales = [make_staff(department="Sales"), make_staff(department=" sales ")]
    other = make_staff(department="Finance")
    AssignmentRule.objects.create(organization=company, course=course, target=RuleTarget.DEPARTMENT, value="Sales")

    counts = rules.assign(company, TODAY)

    assert counts.first == 2
    assigned = open_of(company, course)
    assert set(assigned) == {s.pk for s in sales}
    assert other.pk not in assigned
    assert all(a.due_on == TODAY + timedelta(days=30) and a.assigned_on == TODAY for a in assigned.values())
    assert rules.assign(company, TODAY).created == 0
    assert Assignment.objects.in_org(company).count() == 2
    assert AuditEntry.objects.in_org(company).filter(action="learning.assign").count() == 1


@pytest.mark.django_db
def test_a_course_without_a_published_version_is_not_assigned(
    company: Organization, make_staff: Callable[..., StaffMember]
) -> None:
    course = Course.objects.create(organization=company, slug="draft", title_en="Draft")
    CourseVersion.objects.create(organization=company, course=course, number=1)
    make_staff()
    AssignmentRule.objects.create(organization=company, course=course)
    assert rules.assign(company, TODAY).created == 0


@pytest.mark.django_db
def test_deactivated_staff_get_nothing_new_and_keep_what_they_had(
    company: Organization, make_staff: Callable[..., StaffMember]
) -> None:
    first, second = published_course(company, "one"), published_course(company, "two")
    leaver = make_staff()
    AssignmentRule.objects.create(organization=company, course=first)
    rules.assign(company, TODAY)
    leaver.is_active, leaver.deactivated_at = False, datetime(2026, 3, 11, tzinfo=UTC)
    leaver.save()
    AssignmentRule.objects.create(organization=company, course=second)

    assert rules.assign(company, TODAY + timedelta(days=60)).created == 0
    kept = Assignment.objects.in_org(company).select_related("staff").get(staff=leaver)
    assert kept.course == first and kept.is_overdue(TODAY + timedelta(days=60))
    assert not rules.counts_as_overdue(kept, TODAY + timedelta(days=60))


@pytest.mark.django_db
def test_a_completion_older_than_the_refresh_opens_a_new_assignment(
    company: Organization, make_staff: Callable[..., StaffMember]
) -> None:
    course = published_course(company)
    person = make_staff()
    AssignmentRule.objects.create(organization=company, course=course, refresh_months=12, due_days=20)
    rules.assign(company, TODAY)
    Assignment.objects.in_org(company).update(completed_at=datetime(2026, 3, 20, 12, tzinfo=UTC))

    assert rules.assign(company, date(2027, 3, 19)).created == 0
    counts = rules.assign(company, date(2027, 3, 20))
    assert (counts.first, counts.refreshed) == (0, 1)
    again = open_of(company, course)[person.pk]
    assert (again.assigned_on, again.due_on) == (date(2027, 3, 20), date(2027, 4, 9))
    assert rules.assign(company, date(2027, 3, 21)).created == 0


@pytest.mark.django_db
def test_a_rule_that_never_refreshes_leaves_a_completion_alone(
    company: Organization, make_staff: Callable[..., StaffMember]
) -> None:
    course = published_course(company)
    make_staff()
    AssignmentRule.objects.create(organization=company, course=course, refresh_months=0)
    rules.assign(company, TODAY)
    Assignment.objects.in_org(company).update(completed_at=datetime(2026, 3, 20, 12, tzinfo=UTC))
    assert rules.assign(company, date(2040, 1, 1)).created == 0


@pytest.mark.django_db
def test_groups_and_countries_and_assign_staff_for_the_directorys_changes(
    company: Organization, make_staff: Callable[..., StaffMember], partner: Organization
) -> None:
    course = published_course(company)
    in_group, french, neither = make_staff(), make_staff(country="fr"), make_staff(country="US")
    group = StaffGroup.objects.create(organization=company, display_name="Studio")
    group.members.add(in_group)
    AssignmentRule.objects.create(organization=company, course=course, target=RuleTarget.GROUP, group=group)
    AssignmentRule.objects.create(organization=company, course=course, target=RuleTarget.COUNTRY, value="FR")

    counts = rules.assign_staff([in_group.pk, neither.pk], today=TODAY)
    assert counts.first == 1
    assert set(open_of(company, course)) == {in_group.pk}
    rules.assign_staff([french.pk], today=TODAY)
    assert set(open_of(company, course)) == {in_group.pk, french.pk}


@pytest.mark.django_db
def test_the_earliest_due_date_wins_when_rules_overlap(
    company: Organization, make_staff: Callable[..., StaffMember]
) -> None:
    course = published_course(company)
    person = make_staff(team="Props", hired_on=TODAY - timedelta(days=5))
    AssignmentRule.objects.create(organization=company, course=course, due_days=60)
    strict = AssignmentRule.objects.create(
        organization=company, course=course, target=RuleTarget.TEAM, value="props", due_days=10, due_from="hire"
    )
    rules.assign(company, TODAY)
    made = open_of(company, course)[person.pk]
    assert (made.due_on, made.rule_id) == (TODAY + timedelta(days=5), strict.pk)


# --- Properties ---------------------------------------------------------------------------------------------------

DEPARTMENTS, TEAMS, COUNTRIES = ["Sales", "Studio"], ["A", "B"], ["FR", "US"]

staff_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "department": st.sampled_from(DEPARTMENTS + [""]),
            "team": st.sampled_from(TEAMS + [""]),
            "country": st.sampled_from(COUNTRIES + [""]),
            "hired_on": st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 6, 1)),
            "in_group": st.booleans(),
            "active": st.booleans(),
        }
    ),
    min_size=0,
    max_size=8,
)
rule_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "course": st.integers(0, 1),
            "target": st.sampled_from(list(RuleTarget)),
            "value": st.sampled_from(DEPARTMENTS + TEAMS + COUNTRIES),
            "due_days": st.integers(0, 90),
            "due_from": st.sampled_from(list(DueFrom)),
            "refresh_months": st.integers(0, 24),
            "active": st.booleans(),
        }
    ),
    min_size=0,
    max_size=4,
)


def _reaches(rule: dict[str, Any], person: dict[str, Any]) -> bool:
    target = rule["target"]
    if target == RuleTarget.EVERYONE:
        return True
    if target == RuleTarget.GROUP:
        return person["in_group"]
    return person[str(target)] == rule["value"]


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(people=staff_strategy, given_rules=rule_strategy)
def test_after_assign_everyone_targeted_has_one_open_assignment_of_each_course_and_nobody_else(
    company: Organization, people: list[dict[str, Any]], given_rules: list[dict[str, Any]]
) -> None:
    with transaction.atomic():
        courses = [published_course(company, f"c{n}") for n in range(2)]
        group = StaffGroup.objects.create(organization=company, display_name="G")
        users = User.objects.bulk_create(
            [User(email=f"p{n}@company.example", full_name=f"P{n}") for n in range(len(people))]
        )
        staff = StaffMember.objects.bulk_create(
            [
                StaffMember(
                    organization=company,
                    user=user,
                    user_name=user.email,
                    department=person["department"],
                    team=person["team"],
                    country=person["country"],
                    hired_on=person["hired_on"],
                    is_active=person["active"],
                    deactivated_at=None if person["active"] else datetime(2026, 1, 1, tzinfo=UTC),
                )
                for user, person in zip(users, people, strict=True)
            ]
        )
        group.members.add(*[s for s, person in zip(staff, people, strict=True) if person["in_group"]])
        for rule in given_rules:
            target = rule["target"]
            AssignmentRule.objects.create(
                organization=company,
                course=courses[rule["course"]],
                target=target,
                value="" if target in (RuleTarget.EVERYONE, RuleTarget.GROUP) else rule["value"],
                group=group if target == RuleTarget.GROUP else None,
                due_days=rule["due_days"],
                due_from=rule["due_from"],
                refresh_months=rule["refresh_months"],
                is_active=rule["active"],
            )

        rules.assign(company, TODAY)
        after_first = sorted(Assignment.objects.in_org(company).values_list("pk", "staff_id", "course_id", "due_on"))
        rules.assign(company, TODAY)
        assert sorted(Assignment.objects.in_org(company).values_list("pk", "staff_id", "course_id", "due_on")) == (
            after_first
        )

        for member, person in zip(staff, people, strict=True):
            for n, course in enumerate(courses):
                reaching = [r for r in given_rules if r["active"] and r["course"] == n and _reaches(r, person)]
                held = list(Assignment.objects.in_org(company).filter(staff=member, course=course))
                if not person["active"] or not reaching:
                    assert held == []
                    continue
                assert len(held) == 1
                expected = min(
                    rules.due_date(
                        assigned_on=TODAY,
                        due_days=r["due_days"],
                        due_from=r["due_from"],
                        hired_on=person["hired_on"],
                        first=True,
                    )
                    for r in reaching
                )
                assert held[0].due_on == expected >= TODAY
                if person["hired_on"] is None or all(r["due_from"] == DueFrom.ASSIGNMENT for r in reaching):
                    assert expected == TODAY + timedelta(days=min(r["due_days"] for r in reaching))
        transaction.set_rollback(True)


# --- Scale ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_engine_assigns_45000_staff_in_seconds_with_few_queries(company: Organization) -> None:
    size = 45_000
    course, other = published_course(company, "all"), published_course(company, "studio")
    users = User.objects.bulk_create(
        [User(email=f"s{n}@company.example", full_name=f"S{n}") for n in range(size)], batch_size=5000
    )
    StaffMember.objects.bulk_create(
        [
            StaffMember(
                organization=company,
                user=user,
                user_name=user.email,
                department="Studio" if n % 3 == 0 else "Sales",
                country="FR" if n % 2 else "US",
            )
            for n, user in enumerate(users)
        ],
        batch_size=5000,
    )
    AssignmentRule.objects.create(organization=company, course=course)
    AssignmentRule.objects.create(organization=company, course=other, target=RuleTarget.DEPARTMENT, value="Studio")

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        counts = rules.assign(company, TODAY)
    seconds = time.perf_counter() - started
    assert counts.first == size + size // 3
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if 'learning_assignment" (' not in q["sql"] and "learning_learningversion" not in q["sql"]  # the writes
    ]
    print(f"{len(queries)} queries, reads and audit: {len(reads)}")
    assert len(reads) <= 15, reads  # a handful of reads and the audit entry, whatever the number of staff
    again = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        assert rules.assign(company, TODAY).created == 0
    assert len(queries) <= 12
    print(f"45,000 staff: first run {seconds:.1f} s, second {time.perf_counter() - again:.1f} s")
    assert seconds < 30
