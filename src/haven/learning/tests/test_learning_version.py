"""The dashboard's figures are cached under the company's learning version: each kind of write they read replaces
it in its transaction, so the next request shows the write. Each test reads the dashboard once (cached), makes one
kind of write through its service, and reads it again: a write that forgot to bump shows the cached figures."""

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.core.tabular import read_table
from haven.learning import dashboard, imports, policies, rules, services, taking
from haven.learning.models import Assignment, Course, CourseVersion, Policy, PolicyVersion, RuleTarget, StaffMember
from haven.learning.tests.courses import assign, build_course, modules_of, right_answers
from haven.organizations.models import Organization


@pytest.fixture
def version(company: Organization) -> CourseVersion:
    return build_course(company, slug=dashboard.BASE_COURSE, questions=2)


@pytest.fixture
def read(learning_admin: User, signed_in: Callable[[User], Client], version: CourseVersion) -> Callable[[], Any]:
    """The dashboard's figures of the base course, as the next request shows them."""
    client = signed_in(learning_admin)

    def figures() -> dashboard.Dashboard:
        response = client.get(reverse("learning:dashboard") + f"?course={version.course_id}")
        assert response.status_code == 200
        return response.context["figures"]

    return figures


def _published_policy(company: Organization, learning_admin: User) -> PolicyVersion:
    policy = policies.policy_create(actor=learning_admin, company=company, slug=dashboard.POLICY, title_en="Policy")
    draft = policies.version_save(actor=learning_admin, policy=policy, body_en="Text", body_fr="Texte")
    return policies.version_publish(actor=learning_admin, version=draft)


def test_a_cached_read_counts_nothing_again(read, make_staff) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_staff()
    read()
    with CaptureQueriesContext(connection) as queries:
        read()
    assert not any("learning_assignment" in q["sql"] and "COUNT" in q["sql"] for q in queries.captured_queries)


def test_a_new_member_of_staff_shows(read, make_staff) -> None:
    make_staff()
    assert read().total.staff == 1
    make_staff()
    assert read().total.staff == 2


def test_a_change_of_department_shows(read, company, make_staff) -> None:
    member = make_staff(department="Sales")
    assert [row.label for row in read().by_department] == ["Sales"]
    fields = services.StaffFields(user_name=member.user_name, email=member.user.email, department="Legal")
    services.staff_save(actor=None, organization=company, fields=fields, staff=member)
    assert [row.label for row in read().by_department] == ["Legal"]


def test_someone_leaving_and_coming_back_shows(read, make_staff) -> None:
    member = make_staff()
    assert read().total.staff == 1
    services.staff_deactivate(actor=None, staff=member)
    assert read().total.staff == 0
    services.staff_reactivate(actor=None, staff=member)
    assert read().total.staff == 1


def test_the_staff_table_import_shows(read, company, learning_admin) -> None:
    assert read().total.staff == 0
    text = ",".join(imports.COLUMNS) + "\nnew@c.example,,New,Person,,Sales,,FR,fr,,,yes\n"
    rows = imports.rows_of(read_table(io.BytesIO(text.encode())))
    imports.apply(actor=learning_admin, company=company, rows=rows, file_name="staff.csv")
    assert read().total.staff == 1


def test_a_rule_and_the_assignments_it_makes_show(read, company, learning_admin, version, make_staff) -> None:
    make_staff()
    assert read().total.assigned == 0
    fields = rules.RuleFields(course=version.course, target=RuleTarget.EVERYONE, due_days=30)
    rule, _counts = rules.rule_save(actor=learning_admin, company=company, fields=fields, today=timezone.localdate())
    assert read().total.assigned == 1
    make_staff()  # a new member: the daily run assigns the course to them
    assert read().total.assigned == 1
    rules.assign(company, timezone.localdate())
    assert read().total.assigned == 2


def test_an_attempt_that_passes_shows_as_a_completion(read, version, make_staff) -> None:
    member = make_staff()
    assignment = assign(member, version)
    assert (read().total.assigned, read().total.completed) == (1, 0)
    for module in modules_of(version):
        taking.module_complete(actor=member.user, assignment=assignment, module=module)
    attempt = taking.attempt_start(actor=member.user, assignment=assignment)
    taking.attempt_submit(actor=member.user, attempt=attempt, answers=right_answers(version))
    assert read().total.completed == 1


def test_an_attestation_and_a_new_policy_version_show(read, company, learning_admin, make_staff) -> None:
    member = make_staff()
    first = _published_policy(company, learning_admin)
    assert read().total.attested == 0
    policies.attest(staff=member, version=first)
    assert read().total.attested == 1
    draft = policies.version_save(actor=learning_admin, policy=first.policy, body_en="New", body_fr="Nouveau")
    policies.version_publish(actor=learning_admin, version=draft)
    assert read().total.attested == 0  # the new version is to be attested again


def test_a_new_course_version_asking_everyone_again_shows(read, company, learning_admin, version, make_staff) -> None:
    from haven.learning import authoring

    member = make_staff()
    done = assign(member, version, due_in_days=-1)
    Assignment.objects.in_org(company).filter(pk=done.pk).update(completed_at=timezone.now() - timedelta(days=1))
    services.staff_save(  # any write: the test's own completion above went straight to the database
        actor=None,
        organization=company,
        fields=services.StaffFields(user_name=member.user_name, email=member.user.email),
        staff=member,
    )
    assert read().total.completed == 1
    draft = authoring.version_new(actor=learning_admin, course=version.course)
    draft.reassign = True
    draft.save(update_fields=["reassign"])
    authoring.version_publish(actor=learning_admin, version=draft)
    assert read().total.completed == 0


def test_another_company_s_write_leaves_the_figures_cached(read, company, make_staff) -> None:
    """The version is the company's: another company's writes do not move it."""
    from haven.learning.version import current
    from haven.organizations.roles import OrganizationKind

    make_staff()
    read()
    before = current(company)
    other = Organization.objects.create(name="Other company", kind=OrganizationKind.CORPORATE_PARTNER)
    services.staff_save(
        actor=None, organization=other, fields=services.StaffFields(user_name="x@o.example", email="x@o.example")
    )
    assert current(company) == before
    assert Course.objects.in_org(company).exists() and not Policy.objects.in_org(company).exists()
    assert StaffMember.objects.in_org(other).count() == 1
