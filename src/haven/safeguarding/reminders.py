"""E-mails of the creative review: each reviewer a daily digest of the work waiting for them, and each submitter
the outcome of their work.

``manage.py safeguarding_reminders`` runs daily (``send_all``). A submission under review is in the day's digests
when it has waited ``reminder_days`` working days or more ("waiting"), or is past its turnaround target
("overdue"). Each reviewer of the company (safeguarding, legal or brand) gets one e-mail listing those they may
still approve: not their own submission, not one they approved in this round. A submission is reminded about at
most once per kind per day (a ``ReviewReminder`` row): a second run the same day sends nothing. A digest the mail
server refuses is counted as failed and logged, and the others still go: a submission whose digests all failed
gets no row and is reminded about again at the next run; one that reached a reviewer is not sent twice.

When a decision ends a round (ready to publish, sent back for changes, rejected), the submitter is told by e-mail
(``tell_submitter``, after the decision is committed). E-mails are in the person's language where the company's
staff records know it, else in English; they name the work and link to it, never a reviewer's note or a file.
"""

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from haven.audit import services as audit
from haven.organizations.models import Membership, Organization

from . import links, turnaround
from .models import UNDER_REVIEW, Decision, Outcome, ReviewReminder, Status, Submission
from .services import REVIEWER_ROLES, settings_of

ENGLISH = "en"
logger = logging.getLogger(__name__)


def site_url() -> str:
    """Where links in e-mails point (no request when a command sends them)."""
    return getattr(settings, "HAVEN_SITE_URL", "https://haven.example").rstrip("/")


def language_of(membership: Membership) -> str:
    """The person's language as the company's staff records have it, else English."""
    from haven.learning.selectors import staff_of

    staff = staff_of(membership)
    return staff.language if staff is not None and staff.language else ENGLISH


def _send(*, to: str, language: str, template: str, context: Mapping[str, object], subject: str) -> None:
    context = {**context, "language": language}
    with translation.override(language):
        text = render_to_string(f"safeguarding/emails/{template}.txt", context)
        html = render_to_string(f"safeguarding/emails/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, None, [to])
    message.attach_alternative(html, "text/html")
    message.send()


@dataclasses.dataclass
class ReminderCounts:
    waiting: int = 0  # submissions reminded about as waiting
    overdue: int = 0  # submissions reminded about as overdue
    digests: int = 0  # e-mails sent
    failed: int = 0  # digests the mail server refused


@dataclasses.dataclass(frozen=True)
class _Due:
    submission: Submission
    kind: str
    clock: turnaround.Clock


def _due_today(company: Organization, now: datetime) -> list[_Due]:
    """The company's submissions to remind about today, each with its kind (overdue wins over waiting)."""
    setup = settings_of(company)
    today = now.date()
    already = set(ReviewReminder.objects.in_org(company).filter(sent_on=today).values_list("submission_id", "kind"))
    found = []
    for submission in (
        Submission.objects.in_org(company)
        .filter(status__in=UNDER_REVIEW)
        .select_related("submitted_by")
        .order_by("due_at", "pk")
    ):
        clock = turnaround.clock(
            submitted=timezone.localtime(submission.submitted_at or now),
            due=timezone.localtime(submission.due_at or now),
            now=now,
        )
        if clock.overdue:
            kind = ReviewReminder.Kind.OVERDUE
        elif clock.waited >= setup.reminder_days:
            kind = ReviewReminder.Kind.WAITING
        else:
            continue
        if (submission.pk, kind) not in already:
            found.append(_Due(submission=submission, kind=kind, clock=clock))
    return found


def send_for(company: Organization, now: datetime | None = None) -> ReminderCounts:
    """One company's digests of the day."""
    now = timezone.localtime(now or timezone.now())
    counts = ReminderCounts()
    due = _due_today(company, now)
    if not due:
        return counts
    approved = set(
        Decision.objects.in_org(company)
        .filter(submission__in=[d.submission.pk for d in due], outcome=Outcome.APPROVE, voided_at=None)
        .values_list("submission_id", "round", "reviewer_id")
    )
    reviewers = list(
        Membership.objects.in_org(company)
        .active()
        .filter(role__in=REVIEWER_ROLES)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )
    recipients: dict[int, int] = defaultdict(int)
    with transaction.atomic():
        seen: set[int] = set()
        for reviewer in reviewers:
            if reviewer.user_id in seen:
                continue  # one e-mail a person, whichever of their roles
            seen.add(reviewer.user_id)
            mine = [
                d
                for d in due
                if d.submission.submitted_by_id != reviewer.user_id
                and (d.submission.pk, d.submission.round, reviewer.user_id) not in approved
            ]
            if not mine:
                continue
            try:
                _digest(reviewer, mine)
            except OSError as error:  # smtplib's errors are OSErrors: the server down, an address refused
                logger.warning("review digest to membership %s failed: %s", reviewer.pk, type(error).__name__)
                counts.failed += 1
                continue
            counts.digests += 1
            for d in mine:
                recipients[d.submission.pk] += 1
        for d in due:
            if recipients[d.submission.pk]:
                ReviewReminder.objects.create(
                    organization=company,
                    submission=d.submission,
                    kind=d.kind,
                    sent_on=now.date(),
                    recipients=recipients[d.submission.pk],
                )
                if d.kind == ReviewReminder.Kind.OVERDUE:
                    counts.overdue += 1
                else:
                    counts.waiting += 1
        if counts.digests or counts.failed:
            audit.record(
                actor=None,
                action="safeguarding.reminders",
                organization=company,
                detail={
                    "waiting": counts.waiting,
                    "overdue": counts.overdue,
                    "digests": counts.digests,
                    "failed": counts.failed,
                    "on": str(now.date()),
                },
            )
    return counts


def _digest(reviewer: Membership, due: list[_Due]) -> None:
    language = language_of(reviewer)
    with translation.override(language):
        lines = [
            {
                "title": d.submission.title,
                "overdue": d.kind == ReviewReminder.Kind.OVERDUE,
                "clock": d.clock,
                "minors": d.submission.shows_minors,
                "link": site_url() + (links.submission_url(d.submission.pk, reviewer.role) or links.queue_url()),
            }
            for d in due
        ]
        overdue = sum(1 for line in lines if line["overdue"])
        subject = ngettext(
            "%(count)s submission waits for your review", "%(count)s submissions wait for your review", len(lines)
        ) % {"count": len(lines)}
        if overdue:
            subject += " " + ngettext("(%(count)s overdue)", "(%(count)s overdue)", overdue) % {"count": overdue}
    context = {"name": reviewer.user.full_name, "lines": lines, "queue": site_url() + links.queue_url()}
    _send(to=reviewer.user.email, language=language, template="digest", context=context, subject=subject)


def send_all(now: datetime | None = None) -> dict[int, ReminderCounts]:
    """The daily run: every company with work under review."""
    company_ids = sorted(
        set(
            Submission.objects.dangerously_unscoped()
            .filter(status__in=UNDER_REVIEW)
            .values_list("organization_id", flat=True)
        )
    )
    return {company.pk: send_for(company, now) for company in Organization.objects.filter(pk__in=company_ids)}


def tell_submitter(company_id: int, decision_id: int) -> None:
    """E-mail the submitter the outcome a decision gave their work (ready to publish, changes asked, rejected)."""
    decision = Decision.objects.in_org(company_id).select_related("submission").get(pk=decision_id)
    submission = decision.submission
    if submission.status not in (Status.APPROVED, Status.CHANGES_REQUESTED, Status.REJECTED):
        return
    submitter = (
        Membership.objects.in_org(submission.organization_id)
        .active()
        .filter(user_id=submission.submitted_by_id)
        .select_related("user")
        .first()
    )
    if submitter is None:
        return  # they left the company: the thread stays for whoever takes the work up
    language = language_of(submitter)
    with translation.override(language):
        subjects = {
            Status.APPROVED: _("Ready to publish: “%(title)s”"),
            Status.CHANGES_REQUESTED: _("Changes asked: “%(title)s”"),
            Status.REJECTED: _("Rejected: “%(title)s”"),
        }
        subject = subjects[Status(submission.status)] % {"title": submission.title}
    link = links.submission_url(submission.pk, submitter.role)
    context = {
        "name": submitter.user.full_name,
        "title": submission.title,
        "status": submission.status,
        "round": submission.round,
        "link": site_url() + link if link else site_url() + "/",
    }
    _send(to=submitter.user.email, language=language, template="decision", context=context, subject=subject)
