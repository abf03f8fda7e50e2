"""The manager's team page: their own direct reports' learning, by name, and nobody else's."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.learning import policies, rules
from haven.learning.models import Assignment, AssignmentRule, StaffMember
from haven.learning.tests.test_rules import published_course
from haven.organizations.models import Organization


def report_to(staff: StaffMember, manager: StaffMember) -> None:
    staff.manager = manager
    staff.save(update_fields=["manager"])


@pytest.mark.django_db
def test_a_manager_sees_their_reports_done_due_and_overdue_and_attestations_only(
    company: Organization,
    learning_admin: User,
    make_staff: Callable[..., StaffMember],
    signed_in: Callable[[User], Client],
) -> None:
    manager = make_staff()
    ann, bob = make_staff(given_name="Ann", family_name="Done"), make_staff(given_name="Bob", family_name="Late")
    make_staff(given_name="Sam", family_name="Stranger")
    report_to(ann, manager)
    report_to(bob, manager)
    course = published_course(company)
    AssignmentRule.objects.create(organization=company, course=course, due_days=10)
    today = timezone.localdate()
    rules.assign(company, today - timedelta(days=20))
    Assignment.objects.in_org(company).filter(staff=ann).update(completed_at=timezone.now())
    policy = policies.policy_create(actor=learning_admin, company=company, slug="code", title_en="Code of conduct")
    version = policies.version_publish(
        actor=learning_admin, version=policies.version_save(actor=learning_admin, policy=policy, body_en="Text")
    )
    policies.attest(staff=ann, version=version)

    page = signed_in(manager.user).get(reverse("learning:team")).content.decode()

    assert "Ann Done" in page and "Bob Late" in page and "Stranger" not in page
    ann_part, bob_part = page.split("Bob Late")
    assert "Done" in ann_part and "attested" in ann_part
    assert "Overdue" in bob_part and "not attested yet" in bob_part


@pytest.mark.django_db
def test_a_learner_without_reports_has_no_team_page(
    make_staff: Callable[..., StaffMember], signed_in: Callable[[User], Client]
) -> None:
    learner = make_staff()
    assert signed_in(learner.user).get(reverse("learning:team")).status_code == 404


@pytest.mark.django_db
def test_my_team_is_in_the_menu_of_a_manager_only_and_rules_and_policies_in_the_admins(
    company: Organization,
    learning_admin: User,
    make_staff: Callable[..., StaffMember],
    signed_in: Callable[[User], Client],
) -> None:
    manager, report, alone = make_staff(), make_staff(), make_staff()
    report_to(report, manager)
    team = reverse("learning:team")
    assert f'href="{team}"' in signed_in(manager.user).get(reverse("shell:home")).content.decode()
    assert f'href="{team}"' not in signed_in(alone.user).get(reverse("shell:home")).content.decode()
    admin_home = signed_in(learning_admin).get(reverse("shell:home")).content.decode()
    assert f'href="{reverse("learning:rules")}"' in admin_home
    assert f'href="{reverse("learning:policies")}"' in admin_home
