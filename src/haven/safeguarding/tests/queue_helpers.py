"""Submissions sent for review, for the queue's, the reminders' and the comments' tests."""

from datetime import timedelta

from django.utils import timezone

from haven.organizations.models import Membership, Organization
from haven.safeguarding import services
from haven.safeguarding.models import Submission

from .conftest import image_bytes


def submitted(
    creative: Membership,
    company: Organization,
    title: str = "Winter catalogue",
    *,
    minors: bool = True,
    days_ago: int = 0,
    due_in_days: int | None = None,
) -> Submission:
    """A submission with one image, submitted; ``days_ago`` moves its round's start (and, unless ``due_in_days``
    says when it is due, counting from now, its due moment) that many calendar days back."""
    submission = services.submission_save(
        membership=creative,
        company=company,
        fields=services.SubmissionFields(title=title, shows_minors=minors, minor_ages=(7,) if minors else ()),
    )
    services.asset_add(membership=creative, submission=submission, file_name="a.jpg", data=image_bytes(text=title))
    submission = services.submit(membership=creative, submission=submission)
    if days_ago or due_in_days is not None:
        now = timezone.now()
        assert submission.submitted_at is not None and submission.due_at is not None
        submission.submitted_at -= timedelta(days=days_ago)
        submission.first_submitted_at = submission.submitted_at
        submission.due_at = (
            now + timedelta(days=due_in_days)
            if due_in_days is not None
            else submission.due_at - timedelta(days=days_ago)
        )
        Submission.objects.in_org(company).filter(pk=submission.pk).update(
            submitted_at=submission.submitted_at,
            first_submitted_at=submission.first_submitted_at,
            due_at=submission.due_at,
        )
    return submission
