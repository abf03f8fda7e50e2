"""Every write of the workforce pillar: one transaction and one audit event each."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.changes import WorkforceChanged, announce
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

from . import schedule
from .closed_days import Calendar, holidays, is_weekend
from .models import (
    Attendance,
    ClosedDay,
    Cohort,
    CohortEvent,
    CohortTrainer,
    ConsultationCall,
    Enrollment,
    Milestone,
    MilestoneKind,
    Placement,
    Transfer,
)
from .path import PathFacts, Requirement, Status, retake_allowed
from .selectors import calendar_of, path_rules, paths_for, seats_taken

LAYOUT_FIELDS = ("starts_on", "ends_on", "live_training_on", "live_training_days", "call_schedule")


@transaction.atomic
def cohort_save(
    *, actor: User, program: Program, cohort: Cohort | None, trainers: Iterable[Any], **fields: Any
) -> Cohort:
    """Create or change a cohort. A new cohort gets its calendar and its consultation calls laid out."""
    created = cohort is None
    if cohort is None:
        cohort = Cohort(organization_id=program.organization_id, program=program)
    planned = {name: getattr(cohort, name, None) for name in LAYOUT_FIELDS}
    old_live = (planned["live_training_on"], planned["live_training_days"])
    for name, value in fields.items():
        setattr(cohort, name, value)
    relay = not created and any(getattr(cohort, name) != value for name, value in planned.items())
    cohort.full_clean()
    if not created:
        _lock(cohort)
        if cohort.capacity < seats_taken(cohort):
            raise ValidationError({"capacity": _("More clinicians are enrolled than this capacity.")})
    cohort.save()
    links = CohortTrainer.objects.in_org(program.organization_id).filter(cohort=cohort)
    trainer_ids = {t.pk for t in trainers}
    links.exclude(trainer_id__in=trainer_ids).delete()
    for trainer_id in trainer_ids:
        CohortTrainer.objects.get_or_create(
            organization_id=program.organization_id, cohort=cohort, trainer_id=trainer_id
        )
    if relay:
        # New dates move the calendar and the calls, unless attendance was already taken on some call.
        calls = ConsultationCall.objects.in_org(cohort.organization_id).filter(cohort=cohort)
        if calls.filter(attendance_recorded_at__isnull=False).exists():
            raise ValidationError(
                _("Attendance was already recorded, so the dates and call schedule stay as they are.")
            )
        calls.delete()
        CohortEvent.objects.in_org(cohort.organization_id).filter(cohort=cohort).delete()
        # Members who attend this cohort's live training follow it to its new dates.
        Enrollment.objects.in_cohort(cohort).filter(
            live_training_on=old_live[0], live_training_days=old_live[1]
        ).update(live_training_on=cohort.live_training_on, live_training_days=cohort.live_training_days)
    if created or relay:
        _lay_out(cohort)
    placed: frozenset[tuple[int, int]] = frozenset()
    if not created:
        _lock(cohort)
        placed = _fill_from_waitlist(actor=actor, cohort=cohort)
    announce(WorkforceChanged(program_id=program.pk, clinicians=placed, cohorts=frozenset({cohort.pk})))
    audit.record(
        actor=actor,
        action="cohort.create" if created else "cohort.update",
        organization=program.organization_id,
        target=cohort,
        detail={"trainers": sorted(trainer_ids), "capacity": cohort.capacity},
    )
    return cohort


def _lay_out(cohort: Cohort, calendar: Calendar | None = None) -> None:
    """Write the cohort's calendar and calls as ``schedule`` lays them out on the program's open days."""
    org = cohort.organization_id
    events, calls = _layout(cohort, calendar or calendar_of(cohort.program))
    CohortEvent.objects.bulk_create(
        CohortEvent(organization_id=org, cohort=cohort, kind=e.kind, starts_on=e.starts_on, ends_on=e.ends_on)
        for e in events
    )
    ConsultationCall.objects.bulk_create(
        ConsultationCall(organization_id=org, cohort=cohort, number=number, held_on=held_on)
        for number, held_on in enumerate(calls, start=1)
    )


def _layout(cohort: Cohort, calendar: Calendar) -> tuple[list[schedule.PlannedEvent], list[date]]:
    events = schedule.collaborative_calendar(
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        live_training_on=cohort.live_training_on,
        live_training_days=cohort.live_training_days,
        calendar=calendar,
    )
    calls = schedule.consultation_dates(
        live_training_on=cohort.live_training_on, schedule=cohort.call_schedule, calendar=calendar
    )
    return events, calls


@transaction.atomic
def closed_day_set(*, actor: User, program: Program, day: date, closed: bool, name: str = "") -> tuple[int, int]:
    """Close a weekday of the program's calendar (saying what it is) or open it, then lay out again the calendars
    and calls of the program's cohorts that it moves, unless they already took attendance (as a change of a
    cohort's dates). Returns how many cohorts moved and how many kept their dates."""
    if is_weekend(day):
        raise ValidationError({"day": _("Weekends are always closed.")})
    org = program.organization_id
    rows = ClosedDay.objects.in_org(org).filter(program=program)
    if closed == (holidays(day.year).get(day) is not None):  # what the holiday rules say already
        rows.filter(day=day).delete()
    else:
        ClosedDay.objects.in_org(org).update_or_create(
            organization_id=org, program=program, day=day, defaults={"closed": closed, "name": name.strip()}
        )
    calendar = calendar_of(program)
    cohorts = list(
        Cohort.objects.in_org(org)
        .filter(program=program)
        .prefetch_related(
            Prefetch("events", queryset=CohortEvent.objects.under_scoped_parent().order_by("starts_on", "kind")),
            Prefetch("calls", queryset=ConsultationCall.objects.under_scoped_parent().order_by("number")),
        )
    )
    moved = kept = 0
    moved_ids: set[int] = set()
    for cohort in cohorts:
        events, calls = _layout(cohort, calendar)
        now = (
            sorted((e.starts_on, e.kind, e.ends_on) for e in cohort.events.all()),
            [c.held_on for c in cohort.calls.all()],
        )
        if now == (sorted((e.starts_on, e.kind, e.ends_on) for e in events), calls):
            continue
        if any(c.attendance_recorded_at is not None for c in cohort.calls.all()):
            kept += 1
            continue
        CohortEvent.objects.in_org(org).filter(cohort=cohort).delete()
        ConsultationCall.objects.in_org(org).filter(cohort=cohort).delete()
        _lay_out(cohort, calendar)
        moved += 1
        moved_ids.add(cohort.pk)
    if moved_ids:  # the paths read the calls held, and only calls without attendance moved: for the record
        announce(WorkforceChanged(program_id=program.pk, cohorts=frozenset(moved_ids)))
    audit.record(
        actor=actor,
        action="calendar.change",
        organization=org,
        target=program,
        detail={"day": day.isoformat(), "closed": closed, "cohorts_moved": moved, "cohorts_kept": kept},
    )
    return moved, kept


@transaction.atomic
def enrollment_nominate(
    *,
    actor: User,
    cac: Organization,
    program: Program,
    clinician: User,
    degree: str,
    license_state: str,
    license_status: str,
) -> Enrollment:
    """A CAC admin puts one of their clinicians forward for the program."""
    if not Membership.objects.in_org(cac).filter(user=clinician, role=Role.CLINICIAN, is_active=True).exists():
        raise ValidationError({"clinician": _("Only an active clinician of this CAC can be nominated.")})
    already = ValidationError({"clinician": _("This clinician is already in the program.")})
    if Enrollment.objects.in_org(cac).filter(program=program, clinician=clinician).exists():
        raise already
    try:
        # A clinician of two CACs may be in the program through the other one: the unique constraint decides.
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                organization=cac,
                program=program,
                clinician=clinician,
                degree=degree,
                license_state=license_state,
                license_status=license_status,
                nominated_by=actor,
            )
    except IntegrityError:
        raise already from None
    announce(WorkforceChanged(program_id=program.pk, enrollments=frozenset({enrollment.pk})))
    audit.record(actor=actor, action="enrollment.nominate", organization=cac, target=enrollment)
    return enrollment


@transaction.atomic
def enrollment_place(*, actor: User, enrollment: Enrollment, cohort: Cohort) -> Enrollment:
    """Place a nominee in a cohort, or on its waitlist when it is full."""
    if enrollment.placement not in (Placement.NOMINATED, Placement.WAITLISTED):
        raise ValidationError(_("Only a nominee or someone on a waitlist can be placed."))
    if cohort.program_id != enrollment.program_id:
        raise ValidationError({"cohort": _("This cohort belongs to another program.")})
    _lock(cohort)
    full = seats_taken(cohort) >= cohort.capacity
    enrollment.cohort = cohort
    enrollment.placement = Placement.WAITLISTED if full else Placement.ENROLLED
    enrollment.placed_at = timezone.now()
    if not full:
        enrollment.take_live_training_of(cohort, timezone.now().date())
    enrollment.save(update_fields=["cohort", "placement", "placed_at", "live_training_on", "live_training_days"])
    # Once placed, the clinician is in the program: the children they already saw are served.
    announce(
        WorkforceChanged(
            program_id=enrollment.program_id,
            clinicians=frozenset() if full else _seat(enrollment),
            enrollments=frozenset({enrollment.pk}),
        )
    )
    audit.record(
        actor=actor,
        action="enrollment.place",
        organization=enrollment.organization_id,
        target=enrollment,
        detail={"cohort": cohort.pk, "placement": enrollment.placement},
    )
    return enrollment


def _seat(enrollment: Enrollment) -> frozenset[tuple[int, int]]:
    """The clinician a placement puts in the program, as ``WorkforceChanged`` names them: (CAC, user)."""
    return frozenset({(enrollment.organization_id, enrollment.clinician_id)})


def _lock(cohort: Cohort) -> None:
    """Serialize seat counting on one cohort (PostgreSQL row lock; SQLite transactions are already serial)."""
    Cohort.objects.in_org(cohort.organization_id).select_for_update().filter(pk=cohort.pk).exists()


def _fill_from_waitlist(*, actor: User, cohort: Cohort) -> frozenset[tuple[int, int]]:
    """Give free seats to the waitlist, first come first served; the clinicians placed, for ``WorkforceChanged``."""
    free = cohort.capacity - seats_taken(cohort)
    if free <= 0:
        return frozenset()
    placed: set[tuple[int, int]] = set()
    waiting = Enrollment.objects.in_cohort(cohort).filter(placement=Placement.WAITLISTED).order_by("placed_at", "pk")
    for enrollment in waiting[:free]:
        enrollment.placement = Placement.ENROLLED
        enrollment.take_live_training_of(cohort, timezone.now().date())
        enrollment.save(update_fields=["placement", "live_training_on", "live_training_days"])
        placed |= _seat(enrollment)
        audit.record(
            actor=actor,
            action="enrollment.place",
            organization=enrollment.organization_id,
            target=enrollment,
            detail={"cohort": cohort.pk, "placement": Placement.ENROLLED, "from_waitlist": True},
        )
    return frozenset(placed)


@transaction.atomic
def enrollment_withdraw(*, actor: User, enrollment: Enrollment, reason: str) -> Enrollment:
    if enrollment.placement == Placement.WITHDRAWN:
        raise ValidationError(_("This clinician has already withdrawn."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the clinician withdraws.")})
    had_seat = enrollment.placement == Placement.ENROLLED
    enrollment.placement = Placement.WITHDRAWN
    enrollment.withdrawn_at = timezone.now()
    enrollment.withdrawal_reason = reason.strip()
    enrollment.save(update_fields=["placement", "withdrawn_at", "withdrawal_reason"])
    audit.record(actor=actor, action="enrollment.withdraw", organization=enrollment.organization_id, target=enrollment)
    placed: frozenset[tuple[int, int]] = frozenset()
    cohorts: frozenset[int] = frozenset()
    if had_seat and enrollment.cohort is not None:
        _lock(enrollment.cohort)
        placed = _fill_from_waitlist(actor=actor, cohort=enrollment.cohort)
        cohorts = frozenset({enrollment.cohort.pk})  # its waitlist moved up
    announce(
        WorkforceChanged(
            program_id=enrollment.program_id,
            clinicians=placed,
            enrollments=frozenset({enrollment.pk}),
            cohorts=cohorts,
        )
    )
    return enrollment


@transaction.atomic
def enrollment_transfer(*, actor: User, enrollment: Enrollment, to_cohort: Cohort) -> Enrollment:
    """Move an enrolled clinician to another cohort of the program; attendance so far is kept."""
    if enrollment.placement != Placement.ENROLLED or enrollment.cohort is None:
        raise ValidationError(_("Only an enrolled clinician can move to another cohort."))
    if to_cohort.pk == enrollment.cohort_id or to_cohort.program_id != enrollment.program_id:
        raise ValidationError({"cohort": _("Choose another cohort of the same program.")})
    _lock(to_cohort)
    if seats_taken(to_cohort) >= to_cohort.capacity:
        raise ValidationError({"cohort": _("That cohort is full.")})
    from_cohort = enrollment.cohort
    Transfer.objects.create(
        organization_id=enrollment.organization_id,
        enrollment=enrollment,
        from_cohort=from_cohort,
        to_cohort=to_cohort,
        moved_by=actor,
    )
    enrollment.cohort = to_cohort
    enrollment.take_live_training_of(to_cohort, timezone.now().date())
    enrollment.save(update_fields=["cohort", "live_training_on", "live_training_days"])
    audit.record(
        actor=actor,
        action="enrollment.transfer",
        organization=enrollment.organization_id,
        target=enrollment,
        detail={"from": from_cohort.pk, "to": to_cohort.pk},
    )
    _lock(from_cohort)
    placed = _fill_from_waitlist(actor=actor, cohort=from_cohort)
    announce(
        WorkforceChanged(
            program_id=enrollment.program_id,
            clinicians=placed,
            enrollments=frozenset({enrollment.pk}),
            cohorts=frozenset({from_cohort.pk}),  # its waitlist moved up
        )
    )
    return enrollment


@transaction.atomic
def attendance_record(*, actor: User | None, call: ConsultationCall, present_ids: set[int]) -> int:
    """Record a whole call at once: every enrolled clinician of the cohort is marked present or absent."""
    if call.held_on > timezone.now().date():
        # Marks at a call not yet held would count towards the path before it took place.
        raise ValidationError(_("The date cannot be in the future."))
    roster = list(Enrollment.objects.in_cohort(call.cohort).filter(placement=Placement.ENROLLED))
    unknown = present_ids - {e.pk for e in roster}
    if unknown:
        raise ValidationError(_("Some people marked present are not enrolled in this cohort."))
    for enrollment in roster:
        Attendance.objects.update_or_create(
            organization_id=enrollment.organization_id,
            call=call,
            enrollment=enrollment,
            defaults={"attended": enrollment.pk in present_ids},
        )
    call.attendance_recorded_at = timezone.now()
    call.save(update_fields=["attendance_recorded_at"])
    # The call counts as held for the whole cohort; attended marks of members who moved away stay theirs.
    announce(
        WorkforceChanged(
            program_id=call.cohort.program_id,
            cohorts=frozenset({call.cohort_id}),
            enrollments=frozenset(e.pk for e in roster),
        )
    )
    audit.record(
        actor=actor,
        action="attendance.record",
        organization=call.organization_id,
        target=call,
        detail={"present": len(present_ids), "enrolled": len(roster)},
    )
    return len(present_ids)


@transaction.atomic
def milestone_record(
    *, actor: User, enrollment: Enrollment, kind: str, achieved_on: date, passed: bool = True
) -> Milestone:
    """Record the online course, a knowledge-test attempt or the certification, with the path's rules."""
    rules = path_rules(enrollment.program)
    [current] = paths_for([enrollment], rules)
    if enrollment.placement == Placement.WITHDRAWN:
        raise ValidationError(_("This clinician has withdrawn."))
    if achieved_on > timezone.now().date():
        raise ValidationError({"achieved_on": _("The date cannot be in the future.")})
    existing = Milestone.objects.in_org(enrollment.organization_id).filter(enrollment=enrollment)
    if kind == MilestoneKind.ONLINE_COURSE and existing.filter(kind=kind).exists():
        raise ValidationError({"kind": _("This milestone is already recorded.")})
    if kind == MilestoneKind.KNOWLEDGE_TEST:
        attempts = tuple(existing.filter(kind=kind).values_list("achieved_on", "passed"))
        if not retake_allowed(rules, PathFacts(test_attempts=attempts), achieved_on):
            raise ValidationError(
                {
                    "achieved_on": _("The test was passed already, or a retake must wait %(n)d months after a failure.")
                    % {"n": rules.retake_wait_months}
                }
            )
    if kind == MilestoneKind.CERTIFICATION:
        state = current.state
        missing = [step for step in state.steps[:-1] if not step.done]
        if missing:
            raise ValidationError(_("Certification needs every earlier step of the path to be met."))
        met = [d for d in (state.trained_on, state.step(Requirement.KNOWLEDGE_TEST).done_on) if d]
        if met and achieved_on < max(met):
            raise ValidationError({"achieved_on": _("Certification cannot be dated before the steps it rests on.")})
        if state.status == Status.CERTIFIED:
            raise ValidationError({"kind": _("The certification is still valid; record the renewal once it lapses.")})
    milestone = Milestone.objects.create(
        organization_id=enrollment.organization_id,
        enrollment=enrollment,
        kind=kind,
        achieved_on=achieved_on,
        passed=passed if kind == MilestoneKind.KNOWLEDGE_TEST else True,
        recorded_by=actor,
    )
    announce(WorkforceChanged(program_id=enrollment.program_id, enrollments=frozenset({enrollment.pk})))
    audit.record(
        actor=actor,
        action="milestone.record",
        organization=enrollment.organization_id,
        target=milestone,
        detail={"kind": kind, "passed": milestone.passed},
    )
    return milestone


def renewal_reminders_send(*, today: date) -> int:
    """Send the renewal reminders that fall due by ``today`` and were not sent yet; one audit event per run.

    Each reminder is recorded and sent in its own transaction: a mail that fails leaves no record, so it is
    tried again the next day, and the reminders already sent stay recorded.

    A whole-database job: it reads certified enrollments across every organization.
    """
    from django.core.mail import send_mail

    from .models import RenewalReminder

    certified = (
        Enrollment.objects.dangerously_unscoped()
        .filter(milestones__kind=MilestoneKind.CERTIFICATION, placement=Placement.ENROLLED)
        .select_related("cohort", "clinician", "program")
        .distinct()
    )
    by_program: dict[int, list[Enrollment]] = {}
    for enrollment in certified:
        by_program.setdefault(enrollment.program_id, []).append(enrollment)
    sent_before = set(RenewalReminder.objects.dangerously_unscoped().values_list("enrollment_id", "reminder_on"))
    sent = 0
    for enrollments in by_program.values():
        rules = path_rules(enrollments[0].program)
        for path in paths_for(enrollments, rules):
            expires = path.state.certification_expires_on
            if expires is None or expires < today:
                continue
            due = [day for day in path.state.renewal_reminders if day <= today]
            if not due or (path.enrollment.pk, due[-1]) in sent_before:
                continue
            clinician = path.enrollment.clinician
            with transaction.atomic():
                RenewalReminder.objects.create(
                    organization_id=path.enrollment.organization_id,
                    enrollment=path.enrollment,
                    reminder_on=due[-1],
                    expires_on=expires,
                )
                send_mail(
                    _("Your TF-CBT certification expires on %(day)s") % {"day": expires.isoformat()},
                    _(
                        "Your TF-CBT certification expires on %(day)s. Renewal needs continued TF-CBT cases and "
                        "the online modules: start now so that it does not lapse."
                    )
                    % {"day": expires.isoformat()},
                    None,
                    [clinician.email],
                )
            sent += 1
    audit.record(actor=None, action="certification.reminders", detail={"sent": sent, "on": today.isoformat()})
    return sent
