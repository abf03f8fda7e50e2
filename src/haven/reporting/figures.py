"""Every program figure, defined once (ARCHITECTURE.md): the program dashboard, the funder's, the downloads, the
quarterly PDF and the public page all read these.

Care figures come from the kept cells (``kept``), a few queries over small rows whatever the number of children;
workforce figures from each clinician's derived path, cached under the program's workforce version
(``training.version``), so they are never older than the last write.

What the figures here are is unsuppressed: they are for program staff. Anything for a funder or the public goes
through ``tables`` and disclosure control first.
"""

import dataclasses
import hashlib
import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from haven.awareness import figures_source as awareness_source
from haven.care.models import AgeBand, Gender, Practice, RaceEthnicity
from haven.core import shares
from haven.core.dates import add_months, month_of, quarter_end, quarter_of
from haven.learning import selectors as learning
from haven.learning import version as learning_version
from haven.measures import change, instruments
from haven.programs.models import Program, ProgramTarget
from haven.safeguarding import figures_source as review_source
from haven.safeguarding import version as reviews_version
from haven.safeguarding.models import Status as ReviewStatus
from haven.training import funnel
from haven.training import version as workforce_version

from .models import CacCell, ProgramCell, StateCell

METRICS = ("clinicians_trained", "clinicians_certified", "children_served", "caregivers_served")


@dataclass(frozen=True)
class Filters:
    """What the program dashboard narrows to: months (first days, inclusive), a state, a cohort."""

    start: date | None = None
    end: date | None = None
    state: str = ""
    cohort_id: int | None = None

    @property
    def is_whole_program(self) -> bool:
        return self == Filters()

    def months(self, program: Program) -> tuple[date, date]:
        """The first and last months, within the program's: what happens after it ended is not its figure (and
        its running totals, month by month, stop there too)."""
        first, last = month_of(program.starts_on), month_of(program.ends_on)
        return (max(first, self.start or first), min(last, self.end or last))


def program_months(program: Program, until: date | None = None) -> list[date]:
    """The program's months, from its first to its last (or ``until``)."""
    last = month_of(min(program.ends_on, until) if until else program.ends_on)
    months, current = [], month_of(program.starts_on)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def program_quarters(program: Program, until: date) -> list[date]:
    quarters, current = [], quarter_of(program.starts_on)
    while current <= until:
        quarters.append(current)
        current = quarter_end(current) + timedelta(days=1)
    return quarters


# -- Workforce ---------------------------------------------------------------------------------------------------


@dataclass
class Workforce:
    nominated: int = 0
    placed: int = 0
    trained: int = 0
    certified: int = 0
    withdrawn: int = 0
    by_state: dict[str, dict[str, int]] = field(default_factory=dict)
    by_month: list[tuple[date, int, int]] = field(default_factory=list)  # cumulative trained, certified
    median_months_to_certified: float | None = None


def workforce(program: Program, filters: Filters, today: date | None = None) -> Workforce:
    """The funnel (nominated > placed in a cohort > trained > certified), by state and over time. The period
    counts clinicians trained or certified within it; the funnel's first steps are as of today. Cached, like the
    clinicians it counts, until the next workforce write."""
    today = today or timezone.now().date()
    start, end = filters.months(program)
    key = (
        f"reporting:workforce:{program.pk}:{workforce_version.current(program)}:{timezone.now().date()}:{today}:"
        f"{start}:{end}:{filters.state}:{filters.cohort_id}"
    )
    value: Workforce | None = cache.get(key)
    if value is None:
        value = _workforce(program, start, end, filters, today)
        cache.set(key, value, workforce_version.TIMEOUT)
    return value


def _workforce(program: Program, start: date, end: date, filters: Filters, today: date) -> Workforce:
    """Counted a cohort and a state at a time: each cohort's counts are kept in the process until a write changes
    its clinicians (``funnel.per_cohort``), so the first view after a write counts one cohort again."""
    within = funnel.within_months(start, end)
    kind = ("reporting.workforce", start, end)
    parts = funnel.per_cohort(program, kind, lambda rows: workforce_parts(rows, within))
    return workforce_of(parts, program, filters, today)


class WorkforcePart(NamedTuple):
    """What the workforce figures count of some clinicians (one cohort's, or those of it in one state)."""

    steps: tuple[int, ...]  # ``funnel.Funnel``'s, in its order
    trained: Counter[date]  # by month
    certified: Counter[date]
    spans: Counter[int]  # months from the cohort's start to certification, of those certified within the period


class CohortWorkforce(NamedTuple):
    whole: WorkforcePart
    by_state: dict[str, WorkforcePart]


def workforce_parts(rows: Iterable[funnel.Clinician], within: Callable[[date | None], bool]) -> CohortWorkforce:
    """The parts of one cohort's clinicians: all of them, and by state."""
    rows = list(rows)
    states: dict[str, list[funnel.Clinician]] = {}
    for c in rows:
        states.setdefault(c.state, []).append(c)
    return CohortWorkforce(
        _workforce_part(rows, within), {state: _workforce_part(members, within) for state, members in states.items()}
    )


def _workforce_part(rows: list[funnel.Clinician], within: Callable[[date | None], bool]) -> WorkforcePart:
    trained, certified = funnel.months_reached(rows)
    spans = Counter(
        _months_between(c.cohort_start, c.certified_on)
        for c in rows
        if c.cohort_start and c.certified_on and within(c.certified_on)
    )
    return WorkforcePart(dataclasses.astuple(funnel.funnel(rows, within)), trained, certified, spans)


# Where the states' table's steps (placed, trained, certified) begin among ``funnel.Funnel``'s.
PLACED = 3


def workforce_of(parts: dict[Any, CohortWorkforce], program: Program, filters: Filters, today: date) -> Workforce:
    """The workforce figures from each cohort's parts (a funnel's steps add up over any split of clinicians)."""
    steps = [0] * 7
    states: dict[str, list[int]] = {}
    trained: Counter[date] = Counter()
    certified: Counter[date] = Counter()
    spans: Counter[int] = Counter()
    for cohort_id, cohort in parts.items():
        if filters.cohort_id is not None and cohort_id != filters.cohort_id:
            continue
        if filters.state:
            if (part := cohort.by_state.get(filters.state)) is None:
                continue
            by_state = {filters.state: part}
        else:
            part, by_state = cohort.whole, cohort.by_state
        for step, count in enumerate(part.steps):
            steps[step] += count
        # Most cohorts' clinicians reached a step in a month or two: counters added only where there is something.
        if part.trained:
            trained.update(part.trained)
        if part.certified:
            certified.update(part.certified)
        if part.spans:
            spans.update(part.spans)
        for state, each in by_state.items():
            into = states.get(state)
            if into is None:
                into = states[state] = [0, 0, 0]
            into[0] += each.steps[PLACED]
            into[1] += each.steps[PLACED + 1]  # trained
            into[2] += each.steps[PLACED + 2]  # certified
    total = funnel.Funnel(*steps)
    result = Workforce(
        nominated=total.nominated,
        placed=total.placed,
        trained=total.trained,
        certified=total.certified,
        withdrawn=total.withdrawn,
    )
    for state, (placed, state_trained, state_certified) in sorted(states.items()):
        result.by_state[state] = {"placed": placed, "trained": state_trained, "certified": state_certified}
    result.by_month = funnel.running(trained, certified, program_months(program, until=today))
    result.median_months_to_certified = statistics.median(sorted(spans.elements())) if spans else None
    return result


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


# -- Care --------------------------------------------------------------------------------------------------------


# The categories of reliable change, in the order every table shows them, with the words of
# ``measures.labels.CHANGE_LABELS``: they partition the children measured, so their shares sum to 100.
CATEGORIES = (change.Change.RECOVERED, change.Change.IMPROVED, change.Change.UNCHANGED, change.Change.DETERIORATED)


@dataclass(frozen=True)
class InstrumentOutcome:
    code: str
    outcome: change.Outcomes

    @property
    def label(self) -> str:
        from haven.measures.labels import INSTRUMENT_LABELS

        return str(INSTRUMENT_LABELS.get(self.code, self.code))

    @property
    def instrument(self) -> instruments.Instrument:
        return instruments.load(self.code)

    @property
    def criterion(self) -> str:
        """The instrument's criterion of clinically significant change (``change.Criterion``)."""
        return self.instrument.criterion.value

    @property
    def judged(self) -> tuple[change.Change, ...]:
        """The categories this instrument's outcomes are judged in: recovery needs a threshold, reliable change
        needs an SD and a reliability (none without them)."""
        if self.outcome.counts is None:
            return ()
        return tuple(c for c in CATEGORIES if c != change.Change.RECOVERED or self.outcome.recovered is not None)

    @property
    def shares(self) -> dict[str, int | None]:
        """Each category's share of the children measured, in whole percentages summing to 100 (largest
        remainder); None for a category that is not judged."""
        result: dict[str, int | None] = dict.fromkeys((c.value for c in CATEGORIES), None)
        counts = self.outcome.counts
        judged = self.judged
        parted = shares.partition([counts[c] for c in judged]) if counts is not None and judged else None
        if parted is not None:
            result.update({c.value: share for c, share in zip(judged, parted, strict=True)})
        return result

    @property
    def recovery_share(self) -> int | None:
        """Recovered among the children who could recover (at or above the threshold at baseline)."""
        if self.outcome.recovered is None:
            return None
        return shares.nearest(self.outcome.recovered, self.outcome.eligible_for_recovery)


@dataclass
class Care:
    children: int = 0
    caregivers: int = 0
    sessions: int = 0
    referred: int = 0
    started: int = 0
    completed: int = 0
    ended: int = 0
    pre_post: int = 0
    median_sessions: float | None = None
    median_wait_days: float | None = None
    by_month: list[tuple[date, int, int]] = field(default_factory=list)  # cumulative children, caregivers
    by_state: dict[str, dict[str, int]] = field(default_factory=dict)
    age_band: list[tuple[str, int]] = field(default_factory=list)
    gender: list[tuple[str, int]] = field(default_factory=list)
    race: list[tuple[str, int]] = field(default_factory=list)
    outcomes: list[InstrumentOutcome] = field(default_factory=list)
    practice_episodes: int = 0
    practice_all: int = 0
    practice_components: int = 0
    practice: list[tuple[str, int]] = field(default_factory=list)

    @property
    def completion_share(self) -> int | None:
        """Completed episodes among those closed (completed or ended early), a whole percentage."""
        return shares.nearest(self.completed, self.completed + self.ended)

    def groups(self) -> list[tuple[str, list[tuple[str, int, int | None]]]]:
        """The children's groups (age band, gender, race and ethnicity), each value with its count and its share
        of the children, the shares of a group summing to 100."""
        result = []
        for name, rows in (("age_band", self.age_band), ("gender", self.gender), ("race", self.race)):
            exact = shares.partition([n for _value, n in rows])
            parted: list[int | None] = list(exact) if exact is not None else [None] * len(rows)
            result.append((name, [(value, n, share) for (value, n), share in zip(rows, parted, strict=True)]))
        return result

    @property
    def practice_mean(self) -> float | None:
        return self.practice_components / self.practice_episodes if self.practice_episodes else None


STATE_FIGURES = ("children", "caregivers", "referred", "started", "completed")


def _cells(program: Program, filters: Filters, organization_id: int | None) -> Any:
    """The whole program reads the program's cells; a state, that state's; a CAC, its own."""
    if organization_id is not None:
        return CacCell.objects.in_org(organization_id).filter(program=program)
    if filters.state:
        return StateCell.objects.of_program(program).filter(state=filters.state)
    return ProgramCell.objects.of_program(program)


def care(program: Program, filters: Filters, today: date | None = None, *, organization_id: int | None = None) -> Care:
    """The care figures of the period and state (a cohort does not narrow them: children are counted by CAC), or of
    one CAC (``organization_id``, for its admin). A few queries over the kept cells, however many children."""
    today = today or timezone.now().date()
    start, end = filters.months(program)
    cells = _cells(program, filters, organization_id)
    result = care_totals(program, filters, organization_id=organization_id)
    result = _over_time(program, result, cells, today)
    by_state: Any = (cells if organization_id is not None else StateCell.objects.of_program(program)).filter(
        month__gte=start, month__lte=end
    )
    if filters.state:
        by_state = by_state.filter(state=filters.state)
    for state, figure, n in (
        by_state.filter(figure__in=STATE_FIGURES, key="")
        .values("state", "figure")
        .annotate(total=Sum("n"))
        .values_list("state", "figure", "total")
        .order_by()
    ):
        result.by_state.setdefault(state, dict.fromkeys(STATE_FIGURES, 0))[figure] = n
    result.by_state = dict(sorted(result.by_state.items()))
    return result


def care_totals(program: Program, filters: Filters, *, organization_id: int | None = None) -> Care:
    """``care``'s figures of the period as a whole, without their months and states (``by_month`` and ``by_state``
    left empty), in one query over the kept cells: what the costs per outcome divide by (``money``)."""
    start, end = filters.months(program)
    in_period = _cells(program, filters, organization_id).filter(month__gte=start, month__lte=end)
    totals: dict[str, dict[str, int]] = {}
    for figure, key, n in (
        in_period.values("figure", "key").annotate(total=Sum("n")).values_list("figure", "key", "total").order_by()
    ):
        totals.setdefault(figure, {})[key] = n

    def one(figure: str) -> int:
        return totals.get(figure, {}).get("", 0)

    result = Care(
        children=one("children"),
        caregivers=one("caregivers"),
        sessions=one("sessions"),
        referred=one("referred"),
        started=one("started"),
        completed=one("completed"),
        ended=one("ended"),
        pre_post=one("pre_post"),
        practice_episodes=one("practice_episodes"),
        practice_all=one("practice_all"),
    )
    result.median_sessions = _median(totals.get("length", {}))
    result.median_wait_days = _median(totals.get("wait", {}))
    result.age_band = [(band, totals.get("age_band", {}).get(band, 0)) for band in AgeBand.values]
    result.gender = [(g, totals.get("gender", {}).get(g, 0)) for g in Gender.values]
    result.race = [(r, totals.get("race", {}).get(r, 0)) for r in RaceEthnicity.values]
    practice = totals.get("practice", {})
    result.practice = [(code, practice.get(code, 0)) for code in Practice.values]
    result.practice_components = sum(practice.values())
    result.outcomes = outcomes(totals.get("change", {}), totals.get("pre", {}))
    return result


def _over_time(program: Program, result: Care, cells: Any, today: date) -> Care:
    """The running totals of children and caregivers served, month by month to ``today``."""
    monthly: dict[date, Counter[str]] = {}
    for month, figure, n in (
        cells.filter(figure__in=["children", "caregivers"], key="")
        .values("month", "figure")
        .annotate(total=Sum("n"))
        .values_list("month", "figure", "total")
        .order_by()
    ):
        monthly.setdefault(month, Counter())[figure] = n
    running_children = running_caregivers = 0
    for month in program_months(program, until=today):
        counts = monthly.get(month, Counter())
        running_children += counts["children"]
        running_caregivers += counts["caregivers"]
        result.by_month.append((month, running_children, running_caregivers))
    return result


def _median(histogram: dict[str, int]) -> float | None:
    """The median of values kept as {value: count}."""
    values = sorted((int(value), n) for value, n in histogram.items() if n)
    total = sum(n for _v, n in values)
    if not total:
        return None

    def at(index: int) -> int:
        seen = 0
        for value, n in values:
            seen += n
            if index < seen:
                return value
        raise AssertionError("index beyond the histogram")

    if total % 2:
        return float(at(total // 2))
    return (at(total // 2 - 1) + at(total // 2)) / 2


def outcomes(changes: dict[str, int], pres: dict[str, int]) -> list[InstrumentOutcome]:
    """Reliable and clinically significant change per instrument from the kept cells: the same figures
    ``measures.change.summarize`` gives over the (pre, post) pairs themselves."""
    by_code: dict[str, list[tuple[int, bool, bool, int]]] = {}
    for key, n in changes.items():
        code, delta, eligible, below = key.split("|")
        by_code.setdefault(code, []).append((int(delta), eligible == "1", below == "1", n))
    pre_scores: dict[str, list[tuple[int, int]]] = {}
    for key, n in pres.items():
        code, score = key.split("|")
        pre_scores.setdefault(code, []).append((int(score), n))
    result = []
    for instrument in instruments.all_instruments():
        rows = by_code.get(instrument.code)
        if not rows:
            continue
        result.append(
            InstrumentOutcome(
                instrument.code,
                summarize(rows, pre_scores.get(instrument.code, []), instrument=instrument),
            )
        )
    return result


def summarize(
    rows: list[tuple[int, bool, bool, int]], pres: list[tuple[int, int]], *, instrument: instruments.Instrument
) -> change.Outcomes:
    """``change.summarize`` over counts: rows of (post - pre, pre at or above the instrument's threshold, post
    below it, n) and the baseline scores as (score, n)."""
    n = sum(count for *_rest, count in rows)
    total_pre = sum(score * count for score, count in pres)
    mean_pre = total_pre / n if n else None
    baseline_sd = None
    if n >= 2 and mean_pre is not None:
        variance = sum(count * (score - mean_pre) ** 2 for score, count in pres) / (n - 1)
        baseline_sd = math.sqrt(variance) if variance > 0 else None
    norms = instrument.norms
    used_sd, source = (
        (norms.sd_pre, change.PUBLISHED) if norms.sd_pre is not None else (baseline_sd, change.PROGRAM_BASELINE)
    )
    counts: dict[change.Change, int] | None = None
    if used_sd is not None and norms.reliability is not None:
        counts = dict.fromkeys(change.Change, 0)
        s_diff = change.s_diff(used_sd, norms.reliability)
        for delta, eligible, below, count in rows:
            # As change.classify: the index (post - pre) / S_diff beyond 1.96 either way.
            index = delta / s_diff
            if index > change.RELIABLE:
                counts[change.Change.DETERIORATED] += count
            elif index < -change.RELIABLE:
                counts[change.Change.RECOVERED if eligible and below else change.Change.IMPROVED] += count
            else:
                counts[change.Change.UNCHANGED] += count
    mean_change = sum(delta * count for delta, *_rest, count in rows) / n if n else None
    return change.Outcomes(
        n=n,
        counts=counts,
        eligible_for_recovery=sum(count for _d, eligible, _b, count in rows if eligible),
        recovered=counts[change.Change.RECOVERED] if counts is not None and instrument.threshold is not None else None,
        mean_pre=mean_pre,
        mean_post=mean_pre + mean_change if mean_pre is not None and mean_change is not None else None,
        mean_change=mean_change,
        effect_size=mean_change / baseline_sd if mean_change is not None and baseline_sd is not None else None,
        sd_pre=used_sd,
        sd_source=source if used_sd is not None else None,
        threshold=instrument.threshold,
    )


# -- Targets -----------------------------------------------------------------------------------------------------


def targets(program: Program) -> dict[str, int]:
    return dict(
        ProgramTarget.objects.in_org(program.organization_id).filter(program=program).values_list("metric", "value")
    )


@dataclass(frozen=True)
class Progress:
    metric: str
    target: int | None
    actual: int

    @property
    def share(self) -> int | None:
        """The actual as a whole percentage of the target."""
        return shares.nearest(self.actual, self.target) if self.target else None


def progress(program: Program, work: Workforce, reached: Care) -> list[Progress]:
    """Each target against the program's actual to date (whole program, every state); corporate staff educated
    too when the program counts them (:func:`counts_staff`)."""
    goal = targets(program)
    actual = {
        "clinicians_trained": work.by_month[-1][1] if work.by_month else 0,
        "clinicians_certified": work.by_month[-1][2] if work.by_month else 0,
        "children_served": reached.by_month[-1][1] if reached.by_month else 0,
        "caregivers_served": reached.by_month[-1][2] if reached.by_month else 0,
    }
    shown = [Progress(metric, goal.get(metric), actual[metric]) for metric in METRICS]
    if counts_staff(program, goal):
        shown.append(Progress(STAFF_EDUCATED, goal.get(STAFF_EDUCATED), staff_educated_today(program)))
    return shown


# -- Corporate staff educated ------------------------------------------------------------------------------------

STAFF_EDUCATED = "staff_educated"


def counts_staff(program: Program, goal: dict[str, int] | None = None) -> bool:
    """Whether the program counts corporate staff educated: it has a target for them, or a company's learning
    counts toward it."""
    goal = targets(program) if goal is None else goal
    return STAFF_EDUCATED in goal or learning.program_companies(program).exists()


def staff_educated(program: Program, on: date | None = None) -> int:
    """The corporate staff educated (the base course completed within its cycle) at the end of ``on``, over the
    program's companies: a count of adults, exact like the clinicians. Departments and countries never leave the
    company (its learning admin's dashboard): the program, the funder and the public see this total only."""
    return learning.staff_educated(program, on)


def staff_educated_today(program: Program) -> int:
    """:func:`staff_educated` today, cached under the day, the zone and the learning version of each of the
    program's companies (``learning.version``, which every write of staff, assignments and completions replaces in
    its transaction): never older than the last committed write, and a cached read costs two small queries instead
    of the program's every assignment (a third of a second at program scale)."""
    today = timezone.localdate()
    companies = [found.organization for found in learning.program_companies(program).select_related("organization")]
    tokens = sorted(learning_version.current_of(companies).items())
    versions = hashlib.sha256(repr(tokens).encode()).hexdigest()
    key = f"reporting:staff_educated:{program.pk}:{today}:{timezone.get_current_timezone_name()}:{versions}"
    found = cache.get(key)
    if not isinstance(found, int):
        found = staff_educated(program, today)
        cache.set(key, found, learning_version.TIMEOUT)
    return found


def series(work: Workforce, reached: Care) -> list[tuple[date, int, int, int, int]]:
    """Month by month, cumulative: trained, certified, children served, caregivers served."""
    children = {month: (c, g) for month, c, g in reached.by_month}
    return [(month, t, c, *children.get(month, (0, 0))) for month, t, c in work.by_month]


# -- Creative review (issue 15) ----------------------------------------------------------------------------------
# Counts of professional work over the program's companies: how many reviews, how they ended, how long they took,
# which checklist items failed. No title, no person, nothing of an asset leaves the company: a submission is a
# status and two moments here, a failed item a code and a count.


def working_days(start: date, end: date) -> int:
    """Working days (Monday to Friday) from ``start`` to ``end``, as ``core.dates.add_working_days`` counts them:
    a start on a weekend counts from the next Monday; the days after it up to ``end`` inclusive. Never negative."""
    while start.weekday() >= 5:
        start += timedelta(days=1)
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    return weeks * 5 + sum(1 for n in range(1, rest + 1) if (start + timedelta(days=n)).weekday() < 5)


@dataclass(frozen=True)
class FailedItem:
    code: str
    count: int
    item: Any = None  # the checklist item of that code, as its newest version words it

    @property
    def text(self) -> str:
        """The item's words in the active language."""
        return str(self.item.text) if self.item is not None else self.code


def checklist_items() -> dict[str, Any]:
    """The checklist's items by code, each as its newest version words it (global data, two queries)."""
    return review_source.item_texts()


@dataclass
class Reviews:
    approved: int = 0
    rejected: int = 0
    in_review: int = 0
    sent_back: int = 0  # sent back for changes at least once, whatever the outcome
    median_working_days: float | None = None  # first submission to decision, over those decided
    failed: list[FailedItem] = field(default_factory=list)  # most failed first

    @property
    def total(self) -> int:
        return self.approved + self.rejected + self.in_review

    @property
    def decided(self) -> int:
        return self.approved + self.rejected

    @property
    def sent_back_share(self) -> int | None:
        return shares.nearest(self.sent_back, self.total)


def review_figures(rows: list[review_source.Reviewed], failed: Counter[str]) -> Reviews:
    """The review figures of ``figures_source.reviewed`` rows and failed-item counts (pure: tested by hand)."""
    done = (ReviewStatus.APPROVED, ReviewStatus.REJECTED)
    result = Reviews(
        approved=sum(1 for r in rows if r.status == ReviewStatus.APPROVED),
        rejected=sum(1 for r in rows if r.status == ReviewStatus.REJECTED),
        in_review=sum(1 for r in rows if r.status not in done),
        sent_back=sum(1 for r in rows if r.sent_back),
    )
    zone = timezone.get_current_timezone()  # once: thousands of submissions at national scale
    spans = [
        working_days(r.first_submitted_at.astimezone(zone).date(), r.decided_at.astimezone(zone).date())
        for r in rows
        if r.decided_at is not None
    ]
    result.median_working_days = statistics.median(spans) if spans else None
    result.failed = [FailedItem(code, n) for code, n in sorted(failed.items(), key=lambda item: (-item[1], item[0]))]
    return result


def reviews(program: Program, on: date | None = None) -> Reviews:
    """The program's creative reviews at the end of ``on`` (today by default): two queries over its companies'
    submissions, and two for the failed items' words when any failed."""
    until = None
    if on is not None:
        until = timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min)) - timedelta(microseconds=1)
    result = review_figures(review_source.reviewed(program, until), review_source.failed_items(program, until))
    if result.failed:
        items = checklist_items()
        result.failed = [FailedItem(f.code, f.count, items.get(f.code)) for f in result.failed]
    return result


def reviews_today(program: Program) -> Reviews:
    """:func:`reviews` today, cached under the program's reviews version (which every write to its submissions moves
    in its transaction) and the zone (the turnaround counts days): never older than the last committed write, and a
    cached read is one small query instead of reading every submission. The key is read before the submissions,
    so a write committed meanwhile leaves its figures under a token no longer current."""
    key = f"reporting:reviews:{program.pk}:{timezone.get_current_timezone_name()}:{reviews_version.current(program)}"
    found = cache.get(key)
    if not isinstance(found, Reviews):
        found = reviews(program)
        cache.set(key, found, reviews_version.TIMEOUT)
    return found


# -- Awareness (issue 15) ----------------------------------------------------------------------------------------
# People reached is the sum of the platforms' reach: a person reached on two platforms, or on two days, counts
# twice (platforms do not share who they reached). Countries are the finest place shown.

AWARENESS_METRICS = ("reach", "impressions", "engagement", "clicks")


@dataclass(frozen=True)
class Reach:
    reach: int = 0
    impressions: int = 0
    engagement: int = 0
    clicks: int = 0

    def __add__(self, other: "Reach") -> "Reach":
        return Reach(*(getattr(self, m) + getattr(other, m) for m in AWARENESS_METRICS))

    @property
    def ctr(self) -> float | None:
        """Clicks per 100 impressions (the click-through rate, a percentage with decimals)."""
        return 100 * self.clicks / self.impressions if self.impressions else None


@dataclass
class Awareness:
    total: Reach = field(default_factory=Reach)
    by_campaign: list[tuple[int, str, Reach]] = field(default_factory=list)  # id, name; by name
    by_month: list[tuple[date, Reach]] = field(default_factory=list)
    by_country: list[tuple[str, Reach]] = field(default_factory=list)  # "" for results without a country

    @property
    def any(self) -> bool:
        return bool(self.by_campaign)


def awareness_figures(rows: list[awareness_source.Result], names: dict[int, str]) -> Awareness:
    """The awareness figures of ``figures_source.results`` rows (pure: tested by hand)."""
    campaigns: dict[int, Reach] = {}
    months: dict[date, Reach] = {}
    countries: dict[str, Reach] = {}
    total = Reach()
    for row in rows:
        figure = Reach(row.reach, row.impressions, row.engagement, row.clicks)
        total += figure
        campaigns[row.campaign_id] = campaigns.get(row.campaign_id, Reach()) + figure
        months[month_of(row.on)] = months.get(month_of(row.on), Reach()) + figure
        countries[row.country] = countries.get(row.country, Reach()) + figure
    return Awareness(
        total=total,
        by_campaign=sorted(
            ((pk, names.get(pk, str(pk)), r) for pk, r in campaigns.items()), key=lambda c: (c[1], c[0])
        ),
        by_month=sorted(months.items()),
        by_country=sorted(countries.items()),
    )


def awareness(program: Program, on: date | None = None) -> Awareness:
    """The program's awareness campaigns' results to ``on`` (today by default): two queries."""
    return awareness_figures(awareness_source.results(program, on), awareness_source.campaign_names(program))


def campaign_names(program: Program) -> dict[int, str]:
    return awareness_source.campaign_names(program)
