"""What ``reporting`` counts of the creative review, over every company whose work counts toward a program: facts
about each submission (no title, no person, nothing of an asset) and how often each checklist item failed.

These reads span companies on purpose: the program's figure adds up its partners' reviews. What leaves here is a
status, two moments and counts, never a name or a word of the work.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef

from haven.programs.models import Program

from .models import Answer, ChecklistAnswer, ChecklistItem, ChecklistVersion, Decision, Outcome, Status, Submission


@dataclass(frozen=True)
class Reviewed:
    """One submission as the program counts it."""

    status: str  # as of the moment asked: approved, rejected, or still in review
    first_submitted_at: datetime
    decided_at: datetime | None  # approved (ready to publish) or rejected
    sent_back: bool  # changes were requested at least once


def reviewed(program: Program, until: datetime | None = None) -> list[Reviewed]:
    """Every submission of the program's companies sent for review (by ``until``, when given), as it stood then:
    decided when its decision came by then, else in review. One query."""
    submissions = Submission.objects.dangerously_unscoped().filter(program=program, first_submitted_at__isnull=False)
    changes = Decision.objects.dangerously_unscoped().filter(submission=OuterRef("pk"), outcome=Outcome.CHANGES)
    if until is not None:
        submissions = submissions.filter(first_submitted_at__lte=until)
        changes = changes.filter(decided_at__lte=until)
    result = []
    for status, first, decided, sent_back in (
        submissions.annotate(sent_back=Exists(changes))
        .values_list("status", "first_submitted_at", "decided_at", "sent_back")
        .order_by()
    ):
        if decided is None or status not in (Status.APPROVED, Status.REJECTED) or (until and decided > until):
            status, decided = Status.IN_REVIEW, None
        result.append(Reviewed(status, first, decided, sent_back))
    return result


def failed_items(program: Program, until: datetime | None = None) -> Counter[str]:
    """How many times each checklist item (by code) was answered "no", in every round of every submission of the
    program's companies (answered by ``until``, when given). One query."""
    answers = ChecklistAnswer.objects.dangerously_unscoped().filter(submission__program=program, answer=Answer.NO)
    if until is not None:
        answers = answers.filter(answered_at__lte=until)
    return Counter(dict(answers.values("item__code").annotate(n=Count("pk")).values_list("item__code", "n").order_by()))


def item_texts() -> dict[str, ChecklistItem]:
    """The checklist's items by code, each as its newest version words it (``item.text`` reads the active
    language). Global data: no company's."""
    items: dict[str, ChecklistItem] = {}
    for version in ChecklistVersion.objects.order_by("number").prefetch_related("items"):
        items.update({item.code: item for item in version.items.all()})
    return items
