"""What the training systems push through the API: the online course provider's completions and a trainer's tool's
consultation call attendance, written by the workforce pillar's own services (``training.imports`` for the
completions, as the CSV import writes them; ``training.services.attendance_record`` for the calls, as the cohort
page records them), so the validation, the audit and the write-time refresh of the figures are the pages' own.

Both are batches: every record gets its outcome in one answer, and a batch with any record in error writes
nothing (the sender fixes the records and sends the batch again). Each record carries the sender's own id: a
record whose id was already accepted is ``unchanged`` and written no second time (``SenderRecord``).

Which key may write what:
- completions: the national office for its own programs; a training provider for the programs whose cohorts its
  trainers lead. The clinicians are matched by e-mail among the active clinicians of the program's CACs.
- attendance: only in the cohorts the key's organization trains: the cohorts its trainers lead (a training
  provider) or its programs' cohorts (the national office). Any other cohort answers as a missing one.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from haven.accounts.emails import normalize_email
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.selectors import tree_below
from haven.programs.models import Program
from haven.training import imports
from haven.training.models import Attendance, Cohort, ConsultationCall, Enrollment, Milestone, MilestoneKind, Placement
from haven.training.services import attendance_record

from .models import SenderRecord

CREATE, UNCHANGED, ERROR = imports.CREATE, imports.UNCHANGED, imports.ERROR
COMPLETION, ATTENDANCE = "completion", "attendance"
COURSES = frozenset({"tf-cbtweb"})  # the online course the certification path asks for (MilestoneKind.ONLINE_COURSE)


@dataclass(frozen=True)
class Completion:
    sender_id: str
    email: str
    course: str
    completed_on: date
    certificate_id: str = ""


@dataclass(frozen=True)
class Mark:
    sender_id: str
    cohort_id: int
    email: str
    present: bool
    call_number: int | None = None
    call_on: date | None = None


@dataclass
class Outcome:
    sender_id: str
    outcome: str
    message: str = ""


@dataclass
class BatchResult:
    outcomes: list[Outcome]

    @property
    def has_errors(self) -> bool:
        return any(o.outcome == ERROR for o in self.outcomes)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


def cohorts_trained_by(organization: Organization) -> QuerySet[Cohort]:
    """The cohorts an organization trains: those its active trainers lead (a training provider), or its own
    programs' cohorts (the national office). None for any other organization."""
    if organization.kind == OrganizationKind.NATIONAL_OFFICE:
        return Cohort.objects.in_org(organization)
    if organization.kind != OrganizationKind.TRAINING_PROVIDER:
        return Cohort.objects.none()
    trainers = (
        Membership.objects.in_org(organization)
        .filter(role=Role.TRAINER, is_active=True, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    led = [Cohort.objects.trained_by(user_id) for user_id in trainers]
    return reduce(or_, led).distinct() if led else Cohort.objects.none()


def programs_trained_by(organization: Organization) -> QuerySet[Program]:
    """The programs whose course completions an organization may send (see the module's docstring)."""
    if organization.kind == OrganizationKind.NATIONAL_OFFICE:
        return Program.objects.in_org(organization)
    cohorts = cohorts_trained_by(organization).values_list("organization_id", "program_id")
    pairs = set(cohorts)
    return Program.objects.in_orgs({org for org, _p in pairs}).filter(pk__in={p for _o, p in pairs})


def _known(organization: Organization, kind: str, sender_ids: list[str]) -> set[str]:
    return set(
        SenderRecord.objects.in_org(organization)
        .filter(kind=kind, sender_id__in=sender_ids)
        .values_list("sender_id", flat=True)
    )


def _repeated(sender_ids: list[str]) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for sender_id in sender_ids:
        (repeated if sender_id in seen else seen).add(sender_id)
    return repeated


def _remember(organization: Organization, kind: str, objects: dict[str, int]) -> None:
    SenderRecord.objects.bulk_create(
        SenderRecord(organization=organization, kind=kind, sender_id=sender_id, object_id=object_id)
        for sender_id, object_id in objects.items()
    )


@transaction.atomic
def completions_push(*, organization: Organization, program: Program, records: list[Completion]) -> BatchResult:
    """Record the online course of each clinician the records name, through the course import's plan and write
    (``training.imports``: the same matching, checks and audit event as an uploaded completions file)."""
    ids = [r.sender_id for r in records]
    known, repeated = _known(organization, COMPLETION, ids), _repeated(ids)
    outcomes: dict[int, Outcome] = {}
    rows: list[dict[str, Any]] = []
    for line, record in enumerate(records, start=1):
        if record.sender_id in repeated:
            outcomes[line] = Outcome(record.sender_id, ERROR, "This id appears twice in the batch.")
        elif record.sender_id in known:
            outcomes[line] = Outcome(record.sender_id, UNCHANGED)
        elif record.course.strip().lower() not in COURSES:
            outcomes[line] = Outcome(record.sender_id, ERROR, f"Unknown course: expected one of {sorted(COURSES)}.")
        else:
            rows.append({"line": line, "email": record.email, "completed_on": record.completed_on.isoformat()})
    planned = imports.plan(membership=None, program=program, kind="course", rows=rows, actor=None)
    for row in planned.outcomes:
        outcomes[row.line] = Outcome(records[row.line - 1].sender_id, row.outcome, row.message)
    result = BatchResult([outcomes[line] for line in range(1, len(records) + 1)])
    if result.has_errors or not rows:
        return result
    imports.apply(actor=None, membership=None, program=program, kind="course", rows=rows, file_name="api")
    # Each sender's id stands for the clinician's course milestone, new or recorded before.
    emails = {normalize_email(row["email"]): records[row["line"] - 1].sender_id for row in rows}
    cacs = Organization.objects.filter(tree_below(program.organization), kind=OrganizationKind.CAC)
    milestones = (
        Milestone.objects.in_orgs(cacs)
        .filter(enrollment__program=program, kind=MilestoneKind.ONLINE_COURSE, enrollment__clinician__email__in=emails)
        .values_list("enrollment__clinician__email", "pk")
    )
    _remember(organization, COMPLETION, {emails[email]: pk for email, pk in milestones})
    return result


@transaction.atomic
def attendance_push(*, organization: Organization, records: list[Mark]) -> BatchResult:
    """Mark clinicians present or absent at consultation calls of the cohorts the organization trains. Each call
    named is recorded whole by ``attendance_record``, as the cohort page records it: the clinicians the batch
    names get its marks, the others keep theirs (absent when the call was never recorded)."""
    ids = [r.sender_id for r in records]
    known, repeated = _known(organization, ATTENDANCE, ids), _repeated(ids)
    cohorts = {c.pk: c for c in cohorts_trained_by(organization).filter(pk__in={r.cohort_id for r in records})}
    calls = list(
        ConsultationCall.objects.in_orgs({c.organization_id for c in cohorts.values()})
        .filter(cohort__in=list(cohorts))
        .select_related("cohort")
    )
    by_number = {(c.cohort_id, c.number): c for c in calls}
    by_day: dict[tuple[int, date], list[ConsultationCall]] = defaultdict(list)
    for call in calls:
        by_day[call.cohort_id, call.held_on].append(call)
    enrolled = {
        (cohort_id, normalize_email(email)): pk
        for pk, cohort_id, email in Enrollment.objects.in_cohorts(list(cohorts.values()))
        .filter(placement=Placement.ENROLLED)
        .values_list("pk", "cohort_id", "clinician__email")
    }
    outcomes: list[Outcome] = []
    marks: dict[int, dict[int, bool]] = defaultdict(dict)  # call -> enrollment -> present
    targets: dict[str, tuple[int, int]] = {}  # sender id -> (call, enrollment)
    for record in records:
        outcome = Outcome(record.sender_id, CREATE)
        outcomes.append(outcome)
        if record.sender_id in repeated:
            outcome.outcome, outcome.message = ERROR, "This id appears twice in the batch."
            continue
        if record.sender_id in known:
            outcome.outcome = UNCHANGED
            continue
        if record.cohort_id not in cohorts:
            outcome.outcome, outcome.message = ERROR, "No cohort your organization trains has this id."
            continue
        call = _call_of(record, by_number, by_day)
        enrollment_id = enrolled.get((record.cohort_id, normalize_email(record.email)))
        if isinstance(call, str):
            outcome.outcome, outcome.message = ERROR, call
        elif enrollment_id is None:
            outcome.outcome, outcome.message = ERROR, "No clinician with this e-mail is enrolled in this cohort."
        elif enrollment_id in marks[call.pk]:
            outcome.outcome, outcome.message = ERROR, "This clinician is marked twice at this call in the batch."
        else:
            marks[call.pk][enrollment_id] = record.present
            targets[record.sender_id] = (call.pk, enrollment_id)
    result = BatchResult(outcomes)
    if result.has_errors or not targets:
        return result
    touched = {call.pk: call for call in calls if marks.get(call.pk)}
    present_before = set(
        Attendance.objects.in_cohorts(list(cohorts.values()))
        .filter(call__in=list(touched), attended=True)
        .values_list("call_id", "enrollment_id")
    )
    for call_id, call in touched.items():
        present = {e for c, e in present_before if c == call_id}
        present |= {e for e, here in marks[call_id].items() if here}
        present -= {e for e, here in marks[call_id].items() if not here}
        try:
            attendance_record(actor=None, call=call, present_ids=present)
        except ValidationError as error:
            for outcome in outcomes:
                if targets.get(outcome.sender_id, (None,))[0] == call_id:
                    outcome.outcome, outcome.message = ERROR, " ".join(error.messages)
    if result.has_errors:
        transaction.set_rollback(True)
        return result
    rows = {
        (call_id, enrollment_id): pk
        for pk, call_id, enrollment_id in Attendance.objects.in_cohorts(list(cohorts.values()))
        .filter(call__in=list(touched))
        .values_list("pk", "call_id", "enrollment_id")
    }
    _remember(organization, ATTENDANCE, {sender_id: rows[target] for sender_id, target in targets.items()})
    return result


def _call_of(
    record: Mark,
    by_number: dict[tuple[int, int], ConsultationCall],
    by_day: dict[tuple[int, date], list[ConsultationCall]],
) -> ConsultationCall | str:
    """The call a record names by its number in the cohort or by its date, or what is wrong with the record."""
    if record.call_number is not None:
        call = by_number.get((record.cohort_id, record.call_number))
        if call is None:
            return "This cohort has no call with this number."
        if record.call_on is not None and call.held_on != record.call_on:
            return "This call is not held on this date."
        return call
    if record.call_on is None:
        return "Name the call by its number or its date."
    found = by_day.get((record.cohort_id, record.call_on), [])
    if len(found) != 1:
        return "This cohort has no call on this date." if not found else "Several calls on this date: give its number."
    return found[0]
