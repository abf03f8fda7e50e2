"""When an episode's next measure is due, and when it is overdue: one rule over plain facts (no ORM), read by the
caseload, the episode page and the clinician's to-do list (decision 20).

NCA's mental health standard asks for standardized measures at the start of treatment and periodically; TF-CBT
certification counts a case with a measure at the start and at the end. The schedule is the treatment model's
data (``TreatmentModel.remeasure_days`` and ``measure_grace_days``):

- **baseline**: due from the referral; overdue once treatment has run ``grace_days`` past the first session
  without one (never overdue before a first session: a child waiting for treatment is not late);
- **periodic**: due ``remeasure_days`` after the latest scored measure; overdue ``grace_days`` after that;
- **post**: a completed episode without a post measure is overdue from its close (a post measure is given at the
  last session); ``grace_days`` after the close it is *missed*: the episode still says so, the to-do list no
  longer asks for it (a measure given later would not measure the end of treatment).

An episode ended early, or completed with its post measure, has nothing due.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Kind(StrEnum):
    BASELINE = "baseline"
    PERIODIC = "periodic"
    POST = "post"
    NONE = "none"


class State(StrEnum):
    LATER = "later"  # not yet due
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"  # a post measure no longer asked for
    NONE = "none"


@dataclass(frozen=True)
class Schedule:
    """A treatment model's measurement schedule."""

    remeasure_days: int
    grace_days: int


@dataclass(frozen=True)
class MeasureFacts:
    """What the rule reads of an episode (its kept counters)."""

    status: str  # "open" | "completed" | "ended" (care.models.EpisodeStatus)
    referred_on: date
    first_session_on: date | None
    closed_on: date | None
    has_baseline: bool
    has_post: bool
    last_assessed_on: date | None


@dataclass(frozen=True)
class MeasureDue:
    kind: Kind
    state: State
    due_on: date | None
    overdue_on: date | None  # None: cannot become overdue yet

    @property
    def overdue(self) -> bool:
        return self.state == State.OVERDUE

    @property
    def listed(self) -> bool:
        """On the clinician's to-do list."""
        return self.state in (State.DUE, State.OVERDUE)


NOTHING = MeasureDue(Kind.NONE, State.NONE, None, None)


def _state(today: date, due_on: date, overdue_on: date | None) -> State:
    if overdue_on is not None and today >= overdue_on:
        return State.OVERDUE
    return State.DUE if today >= due_on else State.LATER


def measure_due(facts: MeasureFacts, schedule: Schedule, *, today: date) -> MeasureDue:
    grace = timedelta(days=schedule.grace_days)
    if facts.status == "completed" and not facts.has_post and facts.closed_on is not None:
        closed = facts.closed_on
        state = State.OVERDUE if today < closed + grace else State.MISSED
        return MeasureDue(Kind.POST, state, closed, closed)
    if facts.status != "open":
        return NOTHING
    if not facts.has_baseline:
        overdue_on = facts.first_session_on + grace if facts.first_session_on is not None else None
        return MeasureDue(Kind.BASELINE, _state(today, facts.referred_on, overdue_on), facts.referred_on, overdue_on)
    due_on = (facts.last_assessed_on or facts.referred_on) + timedelta(days=schedule.remeasure_days)
    return MeasureDue(Kind.PERIODIC, _state(today, due_on, due_on + grace), due_on, due_on + grace)
