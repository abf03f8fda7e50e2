"""The TF-CBT certification path as pure rules over plain facts (no ORM).

A program's path is data (:class:`PathRules`, the national path by default); a clinician's record is
:class:`PathFacts`. :func:`evaluate` says, requirement by requirement, what is done, what is left and by when,
and derives the status: trained once the online course, the live training and the consultation requirement
are met; certified once certification is recorded with every prerequisite met.

The consultation requirement (reference/tfcbt.md: twice a month for at least 6 months, or monthly for at least
12; attend at least 9 of 12; within 2 years of the live training) is met on the first day by which

1. the clinician attended at least ``calls_required`` calls from the live training's first day to that day
   (at most ``calls_counted`` count), and
2. the consultation has run its length: the cohort held a call on or after :func:`consultation_runs_until`, the
   live training's first day plus 6 months when the calls are twice a month, 12 when monthly
   (:meth:`PathRules.consultation_months`). The clinician need not attend that call: 9 of the 12 may be any 9.

Both within ``consultation_window_months`` of the live training. That day is the later of the ninth attended
call and the first call held on or after the run-until date; nine calls packed into three months never meet it.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from haven.core.dates import add_months


class Status(StrEnum):
    NOMINATED = "nominated"
    WAITLISTED = "waitlisted"
    ENROLLED = "enrolled"
    TRAINED = "trained"
    CERTIFIED = "certified"
    WITHDRAWN = "withdrawn"


class Requirement(StrEnum):
    ELIGIBILITY = "eligibility"
    ONLINE_COURSE = "online_course"
    LIVE_TRAINING = "live_training"
    CONSULTATION = "consultation"
    CASES = "cases"
    KNOWLEDGE_TEST = "knowledge_test"
    CERTIFICATION = "certification"


TWICE_MONTHLY, MONTHLY = "twice_monthly", "monthly"  # the values of models.CallSchedule


@dataclass(frozen=True)
class PathRules:
    """The national TF-CBT certification path by default (reference/tfcbt.md)."""

    live_training_min_days: int = 2
    collaborative_min_months: int = 6
    calls_required: int = 9
    calls_counted: int = 12
    consultation_window_months: int = 24
    # How long consultation runs, from the live training, by the cohort's call schedule.
    consultation_months_twice_monthly: int = 6
    consultation_months_monthly: int = 12
    cases_required: int = 3
    cases_with_caregiver_required: int = 2
    retake_wait_months: int = 6
    valid_years: int = 5
    reminder_days: tuple[int, ...] = (180, 60)

    def consultation_months(self, schedule: str) -> int:
        """Months consultation runs under a call schedule (``"twice_monthly"`` or ``"monthly"``)."""
        if schedule == TWICE_MONTHLY:
            return self.consultation_months_twice_monthly
        if schedule == MONTHLY:
            return self.consultation_months_monthly
        raise ValueError(f"unknown call schedule {schedule!r}")


@dataclass(frozen=True)
class PathFacts:
    online_course_on: date | None = None
    live_training_on: date | None = None
    live_training_days: int = 0
    collaborative_months: int = 0
    # Dates of the consultation calls the clinician attended, of the calls their cohort held (attendance taken;
    # an attended call is held too), and the cohort's call schedule.
    calls_attended: tuple[date, ...] = ()
    calls_held: tuple[date, ...] = ()
    call_schedule: str = TWICE_MONTHLY
    completed_cases: int = 0
    completed_cases_with_caregiver: int = 0
    test_attempts: tuple[tuple[date, bool], ...] = ()  # (taken on, passed)
    certified_on: date | None = None
    withdrawn: bool = False
    placed: bool = False
    waitlisted: bool = False
    # Certification needs a master's degree or higher and a permanent license; provisionally licensed
    # clinicians may train, and apply once licensed.
    degree_qualifies: bool = True
    license_permanent: bool = True
    # The day the path is read on: live training counts once it has happened, certification while valid.
    # None reads the facts without regard to time (pure rule checks).
    as_of: date | None = None


@dataclass(frozen=True)
class Step:
    requirement: Requirement
    done: bool
    progress: tuple[int, int] | None = None  # (have, need) where counting makes sense
    due_by: date | None = None
    available_from: date | None = None
    done_on: date | None = None
    runs_until: date | None = None  # consultation: the cohort's calls must run until this day


@dataclass(frozen=True)
class PathState:
    status: Status
    steps: tuple[Step, ...] = field(default_factory=tuple)
    trained_on: date | None = None
    certified_on: date | None = None
    certification_expires_on: date | None = None
    renewal_reminders: tuple[date, ...] = ()

    def step(self, requirement: Requirement) -> Step:
        return next(s for s in self.steps if s.requirement == requirement)

    @property
    def trained(self) -> bool:
        return self.status in (Status.TRAINED, Status.CERTIFIED)


def live_training_met(rules: PathRules, facts: PathFacts) -> bool:
    """At least 2 days of live training (one day does not count), or a learning collaborative of 6+ months."""
    if facts.live_training_on is None:
        return False
    last_day = facts.live_training_on + timedelta(days=max(facts.live_training_days, 1) - 1)
    if facts.as_of is not None and last_day > facts.as_of:
        return False
    return (
        facts.live_training_days >= rules.live_training_min_days
        or facts.collaborative_months >= rules.collaborative_min_months
    )


def consultation_deadline(rules: PathRules, facts: PathFacts) -> date | None:
    if facts.live_training_on is None:
        return None
    return add_months(facts.live_training_on, rules.consultation_window_months)


def consultation_runs_until(rules: PathRules, facts: PathFacts) -> date | None:
    """The day from which a held call shows the consultation ran its length (6 or 12 months)."""
    if facts.live_training_on is None:
        return None
    return add_months(facts.live_training_on, rules.consultation_months(facts.call_schedule))


@dataclass(frozen=True)
class Consultation:
    counted: int  # attended calls in the window, at most ``calls_counted``
    met_on: date | None  # the day the requirement was met (see the module's docstring)


def consultation(rules: PathRules, facts: PathFacts) -> Consultation:
    """The consultation requirement as the module's docstring states it (live training aside)."""
    deadline = consultation_deadline(rules, facts)
    runs_until = consultation_runs_until(rules, facts)
    if facts.live_training_on is None or deadline is None or runs_until is None:
        return Consultation(0, None)
    start = facts.live_training_on
    # Each attended call counts, even two on one day (possible after a move to another cohort).
    attended = sorted(day for day in facts.calls_attended if start <= day <= deadline)
    counted = min(rules.calls_counted, len(attended))
    if len(attended) < rules.calls_required:
        return Consultation(counted, None)
    ran_on = min(
        (day for day in (*facts.calls_held, *facts.calls_attended) if runs_until <= day <= deadline), default=None
    )
    if ran_on is None:
        return Consultation(counted, None)
    met_on = max(attended[rules.calls_required - 1], ran_on)
    if facts.as_of is not None and met_on > facts.as_of:
        return Consultation(counted, None)
    return Consultation(counted, met_on)


def calls_counted(rules: PathRules, facts: PathFacts) -> int:
    """Calls attended from the live training's first day to the end of the window; at most ``calls_counted``."""
    return consultation(rules, facts).counted


def consultation_met_on(rules: PathRules, facts: PathFacts) -> date | None:
    """The day the consultation requirement was met."""
    return consultation(rules, facts).met_on if live_training_met(rules, facts) else None


def next_test_date(rules: PathRules, facts: PathFacts) -> date | None:
    """When the knowledge test may next be taken: a failed candidate waits ``retake_wait_months``."""
    if any(passed for _day, passed in facts.test_attempts):
        return None
    failures = sorted(day for day, passed in facts.test_attempts if not passed)
    return add_months(failures[-1], rules.retake_wait_months) if failures else None


def retake_allowed(rules: PathRules, facts: PathFacts, on: date) -> bool:
    if any(passed for _day, passed in facts.test_attempts):
        return False
    earliest = next_test_date(rules, facts)
    return earliest is None or on >= earliest


def evaluate(rules: PathRules, facts: PathFacts) -> PathState:
    deadline = consultation_deadline(rules, facts)
    cases_done = (
        facts.completed_cases >= rules.cases_required
        and facts.completed_cases_with_caregiver >= rules.cases_with_caregiver_required
    )
    test_passed = any(passed for _day, passed in facts.test_attempts)
    live_ok = live_training_met(rules, facts)
    calls = consultation(rules, facts)
    consultation_ok = live_ok and calls.met_on is not None
    met_on = calls.met_on if consultation_ok else None
    trained = facts.online_course_on is not None and live_ok and consultation_ok
    eligible = facts.degree_qualifies and facts.license_permanent
    prerequisites = trained and cases_done and test_passed and eligible
    recorded = facts.certified_on is not None and prerequisites
    expires = add_months(facts.certified_on, 12 * rules.valid_years) if recorded and facts.certified_on else None
    # A certification is valid for a number of years; once it lapses the clinician is trained, not certified.
    certified = recorded and (facts.as_of is None or expires is None or facts.as_of < expires)
    passed_on = min((day for day, passed in facts.test_attempts if passed), default=None)
    steps = (
        Step(Requirement.ELIGIBILITY, eligible),
        Step(Requirement.ONLINE_COURSE, facts.online_course_on is not None, done_on=facts.online_course_on),
        Step(Requirement.LIVE_TRAINING, live_ok, done_on=facts.live_training_on if live_ok else None),
        Step(
            Requirement.CONSULTATION,
            consultation_ok,
            progress=(calls.counted, rules.calls_required),
            due_by=deadline,
            done_on=met_on,
            runs_until=consultation_runs_until(rules, facts),
        ),
        Step(
            Requirement.CASES,
            cases_done,
            progress=(min(facts.completed_cases, rules.cases_required), rules.cases_required),
        ),
        Step(Requirement.KNOWLEDGE_TEST, test_passed, available_from=next_test_date(rules, facts), done_on=passed_on),
        Step(Requirement.CERTIFICATION, certified, done_on=facts.certified_on if certified else None),
    )
    if facts.withdrawn:
        status = Status.WITHDRAWN
    elif certified:
        status = Status.CERTIFIED
    elif trained:
        status = Status.TRAINED
    elif facts.placed:
        status = Status.ENROLLED
    elif facts.waitlisted:
        status = Status.WAITLISTED
    else:
        status = Status.NOMINATED
    reminders: tuple[date, ...] = ()
    if expires is not None:
        reminders = tuple(expires - timedelta(days=days) for days in rules.reminder_days)
    trained_on = None
    if trained and facts.online_course_on is not None and met_on is not None:
        trained_on = max(facts.online_course_on, met_on)
    return PathState(status, steps, trained_on, facts.certified_on if certified else None, expires, reminders)


class Dated(NamedTuple):
    """A path's dates, read on no particular day: what :func:`on` needs to give the status on any day.

    ``training.kept`` stores one per enrollment. What moves with the calendar (a live training counting once its
    last day has come, consultation met on a day still to come, a certification lapsing) is not stored as a status
    that goes stale: the dates are stored and compared to the day at read time.
    """

    base: Status  # where the placement leaves the clinician before training: nominated, waitlisted, enrolled, withdrawn
    trained_from: date | None  # the first day the path reads trained (live training over and consultation met)
    trained_on: date | None  # the day it says they were trained, once it reads trained
    certified_on: date | None  # a certification recorded with every prerequisite met but time ...
    certified_until: date | None  # ... valid until the day before this one
    consultation_due: date | None


def dated(rules: PathRules, facts: PathFacts) -> Dated:
    """The path's dates from the facts, whatever day they are read on (``facts.as_of`` is ignored)."""
    timeless = PathFacts(**{**facts.__dict__, "as_of": None})
    live_ok = live_training_met(rules, timeless)
    met_on = consultation(rules, timeless).met_on if live_ok else None
    trained_from = trained_on = None
    if live_ok and met_on is not None and facts.online_course_on is not None and facts.live_training_on is not None:
        last_day = facts.live_training_on + timedelta(days=max(facts.live_training_days, 1) - 1)
        trained_from = max(last_day, met_on)
        trained_on = max(facts.online_course_on, met_on)
    cases_done = (
        facts.completed_cases >= rules.cases_required
        and facts.completed_cases_with_caregiver >= rules.cases_with_caregiver_required
    )
    certifiable = (
        trained_from is not None
        and cases_done
        and any(passed for _day, passed in facts.test_attempts)
        and facts.degree_qualifies
        and facts.license_permanent
        and facts.certified_on is not None
    )
    certified_on = facts.certified_on if certifiable else None
    if facts.withdrawn:
        base = Status.WITHDRAWN
    elif facts.placed:
        base = Status.ENROLLED
    elif facts.waitlisted:
        base = Status.WAITLISTED
    else:
        base = Status.NOMINATED
    return Dated(
        base=base,
        trained_from=trained_from,
        trained_on=trained_on,
        certified_on=certified_on,
        certified_until=add_months(certified_on, 12 * rules.valid_years) if certified_on else None,
        consultation_due=consultation_deadline(rules, facts),
    )


class OnDay(NamedTuple):
    """A path read on a day from its :class:`Dated`: the status and the dates :func:`evaluate` gives that day."""

    status: Status
    trained_on: date | None
    certified_on: date | None


def on(path: Dated, day: date) -> OnDay:
    """The status on ``day``: equal to ``evaluate`` with ``as_of=day`` (tests/test_path.py holds it as a property)."""
    trained = path.trained_from is not None and path.trained_from <= day
    valid = path.certified_until is None or day < path.certified_until
    certified = trained and path.certified_on is not None and valid
    if path.base == Status.WITHDRAWN:
        status = Status.WITHDRAWN
    elif certified:
        status = Status.CERTIFIED
    elif trained:
        status = Status.TRAINED
    else:
        status = path.base
    return OnDay(status, path.trained_on if trained else None, path.certified_on if certified else None)
