"""The TF-CBT certification path as pure rules over plain facts (no ORM).

A program's path is data (:class:`PathRules`, the national path by default); a clinician's record is
:class:`PathFacts`. :func:`evaluate` says, requirement by requirement, what is done, what is left and by when,
and derives the status: trained once the online course, the live training and the consultation requirement
are met; certified once certification is recorded with every prerequisite met.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


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


@dataclass(frozen=True)
class PathRules:
    """The national TF-CBT certification path by default (reference/tfcbt.md)."""

    live_training_min_days: int = 2
    collaborative_min_months: int = 6
    calls_required: int = 9
    calls_counted: int = 12
    consultation_window_months: int = 24
    cases_required: int = 3
    cases_with_caregiver_required: int = 2
    retake_wait_months: int = 6
    valid_years: int = 5
    reminder_days: tuple[int, ...] = (180, 60)


@dataclass(frozen=True)
class PathFacts:
    online_course_on: date | None = None
    live_training_on: date | None = None
    live_training_days: int = 0
    collaborative_months: int = 0
    # Dates of the consultation calls offered to the clinician's cohort, and which ones they attended.
    calls_attended: tuple[date, ...] = ()
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


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


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


def calls_counted(rules: PathRules, facts: PathFacts) -> int:
    """Calls attended after the live training and within the window; at most ``calls_counted`` count."""
    deadline = consultation_deadline(rules, facts)
    if deadline is None or facts.live_training_on is None:
        return 0
    start = facts.live_training_on
    # Each attended call counts, even two on one day (possible after a move to another cohort).
    return min(rules.calls_counted, sum(1 for day in facts.calls_attended if start <= day <= deadline))


def consultation_met(rules: PathRules, facts: PathFacts) -> bool:
    return live_training_met(rules, facts) and calls_counted(rules, facts) >= rules.calls_required


def consultation_met_on(rules: PathRules, facts: PathFacts) -> date | None:
    """The day of the call that met the consultation requirement."""
    deadline = consultation_deadline(rules, facts)
    if not consultation_met(rules, facts) or facts.live_training_on is None or deadline is None:
        return None
    counted = sorted(day for day in facts.calls_attended if facts.live_training_on <= day <= deadline)
    return counted[rules.calls_required - 1]


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
    # The same counting as calls_counted / consultation_met_on, done once (this runs for every clinician).
    in_window: list[date] = []
    if facts.live_training_on is not None and deadline is not None:
        start = facts.live_training_on
        in_window = sorted(day for day in facts.calls_attended if start <= day <= deadline)
    counted = min(rules.calls_counted, len(in_window))
    consultation_ok = live_ok and counted >= rules.calls_required
    met_on = in_window[rules.calls_required - 1] if consultation_ok else None
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
            progress=(counted, rules.calls_required),
            due_by=deadline,
            done_on=met_on,
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
