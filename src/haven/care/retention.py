"""The program's retention policy applied to the care records (decision 0047): ``manage.py retention_apply``.

A child's records are de-identified once every program it was treated in has a retention policy
(``programs.RetentionPolicy``) and is past it: ``deidentify_after_years`` after the program ended. A child still
inside one program's window, or treated in a program without a policy, is not touched.

De-identifying a child removes what could link its records back to the CAC's case, and keeps what the program's
figures read, so they do not change:

- ``case_key`` (the keyed HMAC of the case number) becomes a random value that no case number can produce
  (``UNLINKED_PREFIX``): the same case number registered again is a new child. It also marks the child as done.
- ``display_code`` is drawn again: a code copied into the CAC's own files no longer finds the record.
- the child's own referral date and every time a record was written (registered, opened, recorded, handed over,
  raised, acknowledged, rescored) are reduced to their month.
- the dates of care the figures count by (an episode's referral, first session and close, each session's and
  measure's date) are kept: the figures read the days between referral and first session and who was served
  within the program's dates.

Care records hold no names, addresses, birth dates or free text (``care.models``), so there is nothing else to
remove. The audit log is append-only and is not touched: its entries about these children name record numbers
only. Each CAC's run writes one audit entry with counts.
"""

import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import TruncMonth

from haven.audit import services as audit
from haven.programs.models import Program, RetentionPolicy
from haven.programs.selectors import deidentify_on

from .identity import UNLINKED_PREFIX, new_display_code
from .models import Assessment, Child, CriticalAlert, Episode, Handover, PastScore, Session

BATCH = 500
KINDS = ("children", "episodes", "sessions", "assessments", "alerts", "handovers", "past_scores")


def unlinked_key() -> str:
    return UNLINKED_PREFIX + secrets.token_hex(31)


@dataclass
class Plan:
    """What applying the policy on ``today`` would do: the programs past their window, and the children to
    de-identify with their rows, counted per CAC and kind."""

    today: date
    programs: list[Program] = field(default_factory=list)
    children: dict[int, list[int]] = field(default_factory=dict)  # CAC id -> child ids
    counts: dict[int, Counter[str]] = field(default_factory=dict)  # CAC id -> kind -> rows

    @property
    def is_empty(self) -> bool:
        return not self.children

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.counts.values():
            total.update(counts)
        return total


def plan(today: date) -> Plan:
    """Read-only: which children the policy reaches today, and how many rows of each kind they have."""
    result = Plan(today=today)
    policies = RetentionPolicy.objects.dangerously_unscoped().select_related("program")
    result.programs = [p.program for p in policies if deidentify_on(p.program, p.deidentify_after_years) <= today]
    if not result.programs:
        return result
    past = [p.pk for p in result.programs]
    children = (
        Child.objects.dangerously_unscoped()
        .filter(episodes__program__in=past)
        .exclude(episodes__in=Episode.objects.dangerously_unscoped().exclude(program__in=past))
        .exclude(case_key__startswith=UNLINKED_PREFIX)
        .values_list("organization_id", "pk")
        .distinct()
        .order_by("organization_id", "pk")
    )
    for cac, child in children:
        result.children.setdefault(cac, []).append(child)
    for cac, ids in result.children.items():
        result.counts[cac] = _counts(cac, ids)
    return result


def _counts(cac: int, ids: list[int]) -> Counter[str]:
    counts: Counter[str] = Counter(children=len(ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        for kind, rows in _rows(cac, batch).items():
            counts[kind] += rows.count()
    return counts


def _rows(cac: int, ids: Iterable[int]) -> dict[str, QuerySet]:
    """The rows under some children of one CAC, by kind (the children themselves aside)."""
    return {
        "episodes": Episode.objects.in_org(cac).filter(child__in=ids),
        "sessions": Session.objects.in_org(cac).filter(episode__child__in=ids),
        "assessments": Assessment.objects.in_org(cac).filter(episode__child__in=ids),
        "alerts": CriticalAlert.objects.in_org(cac).filter(episode__child__in=ids),
        "handovers": Handover.objects.in_org(cac).filter(episode__child__in=ids),
        "past_scores": PastScore.objects.in_org(cac).filter(assessment__episode__child__in=ids),
    }


# The times each kind of row records when it was written: reduced to their month (UTC).
WRITTEN_AT = {
    "episodes": ("opened_at",),
    "sessions": ("recorded_at",),
    "assessments": ("recorded_at",),
    "alerts": ("raised_at", "acknowledged_at"),
    "handovers": ("handed_at",),
    "past_scores": ("replaced_at",),
}


def apply(done: Plan) -> Plan:
    """De-identify the children of ``done`` (a fresh :func:`plan`), one CAC and one batch at a time, each batch in
    its own transaction; one audit entry per CAC, with counts. Children de-identified meanwhile are skipped, so
    running it again does nothing."""
    for cac, ids in done.children.items():
        for start in range(0, len(ids), BATCH):
            _deidentify(cac, ids[start : start + BATCH])
        audit.record(
            actor=None,
            action="retention.apply",
            organization=cac,
            detail={
                "count": done.counts[cac]["children"],
                "rows": sum(done.counts[cac].values()),
                "programs": sorted(p.pk for p in done.programs),
            },
        )
    return done


@transaction.atomic
def _deidentify(cac: int, ids: list[int]) -> None:
    children = list(
        Child.objects.in_org(cac)
        .filter(pk__in=ids)
        .exclude(case_key__startswith=UNLINKED_PREFIX)
        .select_for_update()
        .only("pk", "case_key", "display_code")
    )
    if not children:
        return
    taken = set(Child.objects.in_org(cac).values_list("display_code", flat=True))
    for child in children:
        child.case_key = unlinked_key()
        code = new_display_code()
        while code in taken:
            code = new_display_code()
        taken.add(code)
        child.display_code = code
    Child.objects.in_org(cac).bulk_update(children, ["case_key", "display_code"])
    done = [child.pk for child in children]
    Child.objects.in_org(cac).filter(pk__in=done).update(
        referred_on=TruncMonth("referred_on"), registered_at=TruncMonth("registered_at", tzinfo=UTC)
    )
    for kind, rows in _rows(cac, done).items():
        rows.update(**{name: TruncMonth(name, tzinfo=UTC) for name in WRITTEN_AT[kind]})
