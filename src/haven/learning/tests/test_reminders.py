"""Reminders: each learner before and after a due date, once each, in their language; managers a weekly digest."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from haven.learning import reminders, rules
from haven.learning.models import Assignment, AssignmentRule, Course, LearningReminder, StaffMember
from haven.learning.services import learning_settings
from haven.learning.tests.test_rules import published_course
from haven.organizations.models import Organization

TODAY = date(2026, 3, 10)


@pytest.fixture
def course(company: Organization) -> Course:
    course = published_course(company)
    course.title_fr = "Protéger les enfants"
    course.save()
    AssignmentRule.objects.create(organization=company, course=course, due_days=30)
    return course


def sent_to(address: str) -> list[mail.EmailMultiAlternatives]:
    return [message for message in mail.outbox if address in message.to]  # type: ignore[misc]


@pytest.mark.django_db
def test_a_learner_is_reminded_once_before_and_once_after_in_their_language(
    company: Organization, make_staff: Callable[..., StaffMember], course: Course
) -> None:
    settings = learning_settings(company)
    settings.remind_days_before, settings.remind_days_after = 7, 3
    settings.save()
    learner = make_staff(language="fr")
    rules.assign(company, TODAY)
    due = TODAY + timedelta(days=30)

    for day in range(0, 45):
        reminders.send_for(company, TODAY + timedelta(days=day))

    received = sent_to(learner.user.email)
    assert len(received) == 2
    before, after = received
    assert "Protéger les enfants" in before.subject and "Protéger les enfants" in before.body
    assert due.isoformat() in before.body and "/learning/" in before.body
    html, kind = before.alternatives[0]
    assignment = Assignment.objects.in_org(company).get(staff=learner)
    course_page = f'href="https://haven.example/learning/assignments/{assignment.pk}/"'  # the course itself
    assert kind == "text/html" and course_page in html and 'lang="fr"' in html
    assert "Protéger les enfants" in after.subject and after.subject != before.subject
    kinds = dict(LearningReminder.objects.in_org(company).values_list("kind", "sent_on"))
    assert kinds == {"before": due - timedelta(days=7), "after": due + timedelta(days=3)}


@pytest.mark.django_db
def test_a_completed_assignment_or_a_deactivated_learner_gets_no_reminder(
    company: Organization, make_staff: Callable[..., StaffMember], course: Course
) -> None:
    done, leaver = make_staff(), make_staff()
    rules.assign(company, TODAY)
    Assignment.objects.in_org(company).filter(staff=done).update(completed_at="2026-03-11T10:00:00Z")
    leaver.is_active, leaver.deactivated_at = False, "2026-03-11T10:00:00Z"
    leaver.save()
    for day in range(0, 45):
        reminders.send_for(company, TODAY + timedelta(days=day))
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_manager_gets_a_weekly_digest_of_their_own_reports_overdue_courses_only(
    company: Organization, make_staff: Callable[..., StaffMember], course: Course
) -> None:
    manager = make_staff(given_name="Maud")
    late = make_staff(given_name="Léa", family_name="Late")
    services_update_manager(late, manager)
    other = make_staff(given_name="Otto", family_name="Other")  # no manager
    rules.assign(company, TODAY)
    Assignment.objects.in_org(company).filter(staff=manager).update(completed_at="2026-03-11T10:00:00Z")
    first_late_day = TODAY + timedelta(days=31)

    for day in range(0, 14):
        reminders.send_for(company, first_late_day + timedelta(days=day))

    digests = sent_to(manager.user.email)
    assert len(digests) == 2  # days 0 and 7
    assert "Léa Late" in digests[0].body and "Otto" not in digests[0].body
    assert all(other.user.email not in m.to for m in mail.outbox if m.subject == digests[0].subject)
    assert LearningReminder.objects.in_org(company).filter(kind="digest").count() == 2


def services_update_manager(staff: StaffMember, manager: StaffMember) -> None:
    staff.manager = manager
    staff.save(update_fields=["manager"])


@pytest.mark.django_db
def test_the_command_sends_the_days_reminders(
    company: Organization, make_staff: Callable[..., StaffMember], course: Course
) -> None:
    learner = make_staff()
    rules.assign(company, TODAY)
    call_command("learning_reminders", "--today", (TODAY + timedelta(days=25)).isoformat())
    call_command("learning_reminders", "--today", (TODAY + timedelta(days=26)).isoformat())
    assert len(sent_to(learner.user.email)) == 1
