"""Reminders: each reviewer one digest a day of the work waiting for them (waiting past ``reminder_days``, or
overdue), in their language; never twice a day for the same submission and kind; the submitter told the outcome."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from haven.audit.models import AuditEntry
from haven.learning.models import StaffMember
from haven.organizations.models import Membership, Organization
from haven.safeguarding import reminders, services
from haven.safeguarding.models import ReviewReminder

from .conftest import answer_all
from .queue_helpers import submitted

pytestmark = pytest.mark.django_db


def sent_to(address: str) -> list[Any]:
    return [message for message in mail.outbox if message.to == [address]]


def test_each_reviewer_gets_one_digest_of_what_waits_for_them(
    creative: Membership, safeguarder: Membership, brand: Membership, company: Organization, program: object
) -> None:
    waiting = submitted(creative, company, "Long wait", days_ago=10, due_in_days=20)
    overdue = submitted(creative, company, "Past due", days_ago=30)
    submitted(creative, company, "Just in")
    counts = reminders.send_for(company)
    assert (counts.waiting, counts.overdue, counts.digests) == (1, 1, 2)
    assert sent_to(creative.user.email) == []
    for reviewer in (safeguarder, brand):
        (digest,) = sent_to(reviewer.user.email)
        assert "2 submissions wait for your review (1 overdue)" in digest.subject
        assert "Long wait" in digest.body and "Past due" in digest.body and "Just in" not in digest.body
        assert "overdue by" in digest.body and "waiting" in digest.body
    kinds = set(ReviewReminder.objects.in_org(company).values_list("submission_id", "kind", "recipients"))
    assert kinds == {(waiting.pk, "waiting", 2), (overdue.pk, "overdue", 2)}
    assert AuditEntry.objects.in_org(company).filter(action="safeguarding.reminders").count() == 1


def test_never_twice_a_day(
    creative: Membership, safeguarder: Membership, brand: Membership, company: Organization, program: object
) -> None:
    submitted(creative, company, "Past due", days_ago=30)
    reminders.send_for(company)
    assert len(mail.outbox) == 2
    again = reminders.send_for(company)
    assert (again.waiting, again.overdue, again.digests) == (0, 0, 0)
    call_command("safeguarding_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert len(mail.outbox) == 2
    assert ReviewReminder.objects.in_org(company).count() == 1


class FailsFor:
    """A mail backend that refuses one address (its server down for that domain) and delivers the others."""

    refused = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend(*args, **kwargs)

    def send_messages(self, messages: list[Any]) -> int:
        if any(FailsFor.refused in message.to for message in messages):
            raise OSError("connection refused")
        return self.inner.send_messages(messages)


def test_a_mail_that_fails_does_not_send_the_others_twice(
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    company: Organization,
    program: object,
    settings: Any,
) -> None:
    submitted(creative, company, "Past due", days_ago=30)
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailsFor"}}
    FailsFor.refused = brand.user.email
    first = reminders.send_for(company)
    assert (first.digests, first.failed) == (1, 1)
    assert len(sent_to(safeguarder.user.email)) == 1 and sent_to(brand.user.email) == []
    FailsFor.refused = "nobody@example.org"  # the server is back: the next run sends nothing twice
    reminders.send_for(company)
    assert len(sent_to(safeguarder.user.email)) == 1


def test_when_every_mail_fails_the_next_run_tries_again(
    creative: Membership, safeguarder: Membership, company: Organization, program: object, settings: Any
) -> None:
    submitted(creative, company, "Past due", days_ago=30)
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailsFor"}}
    FailsFor.refused = safeguarder.user.email
    assert reminders.send_for(company).failed == 1
    assert not ReviewReminder.objects.in_org(company).exists()
    FailsFor.refused = "nobody@example.org"
    assert reminders.send_for(company).digests == 1
    assert len(sent_to(safeguarder.user.email)) == 1


def test_a_reviewer_who_approved_is_not_reminded(
    creative: Membership, safeguarder: Membership, brand: Membership, company: Organization, program: object
) -> None:
    submission = submitted(creative, company, "Half approved", days_ago=30)
    answer_all(safeguarder, submission)
    services.decide(membership=safeguarder, submission=submission, outcome="approve")
    reminders.send_for(company)
    assert sent_to(safeguarder.user.email) == []
    assert len(sent_to(brand.user.email)) == 1


def test_work_not_yet_waiting_long_sends_nothing(
    creative: Membership, safeguarder: Membership, company: Organization, program: object
) -> None:
    submitted(creative, company, "Just in")
    assert reminders.send_all() == {company.pk: reminders.ReminderCounts()}
    assert mail.outbox == []


def test_a_digest_in_the_reviewers_language(
    creative: Membership, safeguarder: Membership, company: Organization, program: object
) -> None:
    StaffMember.objects.create(organization=company, user=safeguarder.user, user_name="sam", language="fr")
    submitted(creative, company, "Past due", days_ago=30)
    reminders.send_for(company)
    (digest,) = sent_to(safeguarder.user.email)
    assert "attend votre revue" in digest.subject
    assert "en retard" in digest.body


def test_the_submitter_is_told_the_outcome(
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    company: Organization,
    program: object,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    sent_back = submitted(creative, company, "Try again")
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(membership=brand, submission=sent_back, outcome="changes", note="Blur the street sign")
    (message,) = sent_to(creative.user.email)
    assert message.subject == "Changes asked: “Try again”"
    assert "Blur the street sign" not in message.body  # the note stays on the page

    ready = submitted(creative, company, "Good to go")
    for reviewer in (safeguarder, brand):
        answer_all(reviewer, ready)
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(membership=reviewer, submission=ready, outcome="approve")
        # One approval leaves the work in review: the submitter hears only when it is ready.
        assert len(sent_to(creative.user.email)) == (1 if reviewer == safeguarder else 2)
    assert sent_to(creative.user.email)[-1].subject == "Ready to publish: “Good to go”"

    refused = submitted(creative, company, "No way")
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(membership=safeguarder, submission=refused, outcome="reject", note="Court papers in shot")
    assert sent_to(creative.user.email)[-1].subject == "Rejected: “No way”"
