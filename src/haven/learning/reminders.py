"""E-mails about learning: each learner before and after a due date, each manager a weekly digest.

``manage.py learning_reminders`` runs daily. A learner gets, in their language, one e-mail ``remind_days_before``
an open assignment's due date (from that day until the due date, if the run missed it) and one
``remind_days_after`` it; each once (a ``LearningReminder`` row per assignment and kind). A manager gets a digest of
their direct reports' overdue assignments at most once every seven days (:data:`DIGEST_EVERY`), only when there is
something overdue. Deactivated staff get nothing and their assignments are in nobody's digest. Each e-mail is
recorded and sent in one transaction: a mail that fails leaves no record and is tried again the next run. The
e-mails name courses and colleagues, never a child."""

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from haven.audit import services as audit
from haven.organizations.models import Organization

from .models import Assignment, LearningReminder, LearningSettings, ReminderKind, StaffMember
from .services import learning_settings

DIGEST_EVERY = timedelta(days=7)


def site_url() -> str:
    """Where links in e-mails point (no request when a command sends them)."""
    return getattr(settings, "HAVEN_SITE_URL", "https://haven.example").rstrip("/")


def learner_link(assignment_id: int | None = None) -> str:
    """The learner's home, or the course page of one assignment."""
    if assignment_id is None:
        return site_url() + reverse("learning:home")
    return site_url() + reverse("learning:course", args=[assignment_id])


@dataclasses.dataclass
class ReminderCounts:
    before: int = 0
    after: int = 0
    digests: int = 0


def _send(*, to: str, language: str, template: str, context: Mapping[str, object], subject: str) -> None:
    context = {**context, "language": language}
    with translation.override(language):
        text = render_to_string(f"learning/emails/{template}.txt", context)
        html = render_to_string(f"learning/emails/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, None, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def send_for(company: Organization, today: date) -> ReminderCounts:
    """One company's reminders of the day."""
    setup: LearningSettings = learning_settings(company)
    counts = ReminderCounts()
    open_assignments = list(
        Assignment.objects.in_org(company)
        .filter(completed_at__isnull=True, superseded_at__isnull=True, staff__is_active=True)
        .select_related("staff__user", "staff__manager__user", "course")
        .order_by("due_on", "pk")
    )
    sent = set(
        LearningReminder.objects.in_org(company).filter(assignment__isnull=False).values_list("assignment_id", "kind")
    )
    for assignment in open_assignments:
        staff = assignment.staff
        before_from = assignment.due_on - timedelta(days=setup.remind_days_before)
        after_from = assignment.due_on + timedelta(days=setup.remind_days_after)
        if today >= after_from and today > assignment.due_on:
            kind = ReminderKind.AFTER
        elif before_from <= today <= assignment.due_on:
            kind = ReminderKind.BEFORE
        else:
            continue
        if (assignment.pk, kind) in sent:
            continue
        with translation.override(staff.language):
            title = str(assignment.course.title)
            if kind == ReminderKind.AFTER:
                subject = _("Overdue: the course “%(course)s” was due on %(day)s")
            else:
                subject = _("The course “%(course)s” is due on %(day)s")
            subject = subject % {"course": title, "day": assignment.due_on.isoformat()}
        context = {
            "name": staff.given_name or staff.user.full_name,
            "course": title,
            "due_on": assignment.due_on,
            "late": kind == ReminderKind.AFTER,
            "link": learner_link(assignment.pk),
        }
        with transaction.atomic():
            LearningReminder.objects.create(
                organization=company, kind=kind, recipient=staff, assignment=assignment, sent_on=today
            )
            _send(to=staff.user.email, language=staff.language, template="reminder", context=context, subject=subject)
        if kind == ReminderKind.AFTER:
            counts.after += 1
        else:
            counts.before += 1
    counts.digests = _digests(company, today, open_assignments)
    if counts.before or counts.after or counts.digests:
        audit.record(
            actor=None,
            action="learning.reminders",
            organization=company,
            detail={"before": counts.before, "after": counts.after, "digests": counts.digests, "on": str(today)},
        )
    return counts


def _digests(company: Organization, today: date, open_assignments: list[Assignment]) -> int:
    overdue: dict[int, list[Assignment]] = defaultdict(list)
    managers: dict[int, StaffMember] = {}
    for assignment in open_assignments:
        manager = assignment.staff.manager
        if assignment.due_on < today and manager is not None and manager.is_active:
            overdue[manager.pk].append(assignment)
            managers[manager.pk] = manager
    if not overdue:
        return 0
    last = dict(
        LearningReminder.objects.in_org(company)
        .filter(kind=ReminderKind.DIGEST, recipient_id__in=overdue)
        .values("recipient_id")
        .annotate(last=Max("sent_on"))
        .values_list("recipient_id", "last")
    )
    sent = 0
    for manager_id, rows in overdue.items():
        if manager_id in last and today - last[manager_id] < DIGEST_EVERY:
            continue
        manager = managers[manager_id]
        with translation.override(manager.language):
            lines = [
                {
                    "name": row.staff.user.full_name or row.staff.user_name,
                    "course": str(row.course.title),
                    "due_on": row.due_on,
                    "days": (today - row.due_on).days,
                }
                for row in sorted(rows, key=lambda row: (row.staff.family_name, row.staff.given_name, row.due_on))
            ]
            subject = ngettext(
                "%(count)s overdue course in your team", "%(count)s overdue courses in your team", len(lines)
            ) % {"count": len(lines)}
            context = {"name": manager.given_name or manager.user.full_name, "lines": lines, "link": team_link()}
        with transaction.atomic():
            LearningReminder.objects.create(
                organization=company, kind=ReminderKind.DIGEST, recipient=manager, sent_on=today
            )
            _send(to=manager.user.email, language=manager.language, template="digest", context=context, subject=subject)
        sent += 1
    return sent


def team_link() -> str:
    return site_url() + reverse("learning:team")


def send_all(today: date) -> dict[int, ReminderCounts]:
    """The daily run: every company with an open assignment."""
    company_ids = sorted(
        set(
            Assignment.objects.dangerously_unscoped()
            .filter(completed_at__isnull=True, superseded_at__isnull=True)
            .values_list("organization_id", flat=True)
        )
    )
    return {company.pk: send_for(company, today) for company in Organization.objects.filter(pk__in=company_ids)}
