"""The forecast of a program from its records: reads the observed pipeline as of a day, runs ``forecast``.

As of a day, only what had happened by then is read (cohorts started, clinicians trained and certified, children's
first sessions), so the same code back-tests the forecast: made as of month 12, compared with month 36.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache

from haven.care.models import Episode
from haven.core.dates import month_of
from haven.programs.models import Program
from haven.training import funnel
from haven.training import version as workforce_version
from haven.training.models import Cohort, Enrollment

from . import figures, forecast
from .figures import Filters

RAMP_BUCKETS = 13  # months 0..11 since the cohort started, then 12 or more
RUNS = 1000
TRAINING_WINDOW = 12  # a cohort this many months old has finished training
CERTIFICATION_WINDOW = 12  # a clinician trained this many months ago has had time to certify


@dataclass(frozen=True)
class ProgramForecast:
    program: Program
    as_of: date
    months: list[date]
    result: forecast.Forecast

    @property
    def metrics(self) -> tuple[forecast.MetricForecast, ...]:
        return self.result.metrics


def month_index(program: Program, day: date) -> int:
    first = month_of(program.starts_on)
    return (day.year - first.year) * 12 + day.month - first.month


def observed(program: Program, as_of: date) -> forecast.Observed:
    """The pipeline as it stood at the end of ``as_of``'s month."""
    months = figures.program_months(program)
    now = month_index(program, as_of)
    people = funnel.program_clinicians(program)

    def index(day: date) -> int:
        return month_index(program, day)

    cohorts = list(Cohort.objects.in_org(program.organization_id).filter(program=program).order_by("starts_on"))
    members: dict[int, list[funnel.Clinician]] = defaultdict(list)
    for person in people:
        if person.cohort_id is not None and person.placed:
            members[person.cohort_id].append(person)

    def by_then(day: date | None) -> bool:
        return day is not None and index(day) <= now

    plans = []
    finished_placed = finished_trained = 0
    for cohort in cohorts:
        started = index(cohort.starts_on) <= now
        group = members[cohort.pk] if started else []
        trained = sum(1 for p in group if by_then(p.trained_on))
        plans.append(
            forecast.CohortPlan(
                start_month=index(cohort.starts_on),
                seats=cohort.capacity,
                placed=len(group),
                trained=trained,
                certified=sum(1 for p in group if by_then(p.certified_on)),
            )
        )
        if started and now - index(cohort.starts_on) >= TRAINING_WINDOW:
            finished_placed += len(group)
            finished_trained += trained

    trained_people = [p for p in people if by_then(p.trained_on)]
    eligible = [p for p in trained_people if p.trained_on and now - index(p.trained_on) >= CERTIFICATION_WINDOW]
    work = figures.workforce(program, Filters(end=month_of(as_of)), today=as_of)
    reached = figures.care(program, Filters(end=month_of(as_of)), today=as_of)
    return forecast.Observed(
        months=len(months),
        as_of=now,
        cohorts=tuple(plans),
        finished_placed=finished_placed,
        finished_trained=finished_trained,
        months_to_trained=tuple(
            index(p.trained_on) - index(p.cohort_start) for p in trained_people if p.trained_on and p.cohort_start
        ),
        trained_total=len(trained_people),
        certified_total=sum(1 for p in eligible if by_then(p.certified_on)),
        eligible_for_certification=len(eligible),
        months_to_certified=tuple(
            index(p.certified_on) - index(p.trained_on)
            for p in people
            if p.certified_on and p.trained_on and by_then(p.certified_on)
        ),
        ramp=_ramp(program, cohorts, now, reached.children, reached.started),
        caregiver_share=(reached.caregivers, reached.children),
        actual_trained=tuple(t for _m, t, _c in work.by_month),
        actual_certified=tuple(c for _m, _t, c in work.by_month),
        actual_children=tuple(c for _m, c, _g in reached.by_month),
        actual_caregivers=tuple(g for _m, _c, g in reached.by_month),
    )


def _ramp(
    program: Program, cohorts: list[Cohort], now: int, children: int, started: int
) -> tuple[tuple[int, int], ...]:
    """(new children, clinician-months) by month since the clinician's cohort started, over complete months.

    New children are counted as episodes begun (a first session) by each clinician, scaled by the program's
    children served per episode begun (a child may have two episodes)."""
    cohort_start = {c.pk: month_index(program, c.starts_on) for c in cohorts}
    start_of: dict[int, int] = {}
    for clinician_id, cohort_id in (
        Enrollment.objects.of_program(program).filter(cohort__isnull=False).values_list("clinician_id", "cohort_id")
    ):
        start_of[clinician_id] = cohort_start[cohort_id]
    begun: Counter[tuple[int, int]] = Counter()
    for clinician_id, first in (
        Episode.objects.of_program(program)
        .filter(first_session_on__isnull=False)
        .values_list("clinician_id", "first_session_on")
    ):
        begun[clinician_id, month_index(program, first)] += 1
    episodes = [0] * RAMP_BUCKETS
    clinician_months = [0] * RAMP_BUCKETS
    for clinician_id, start in start_of.items():
        for month in range(max(0, start), now):  # complete months only
            bucket = min(RAMP_BUCKETS - 1, month - start)
            clinician_months[bucket] += 1
            episodes[bucket] += begun[clinician_id, month]
    per_episode = children / started if started else 1.0
    return tuple((round(n * min(1.0, per_episode)), m) for n, m in zip(episodes, clinician_months, strict=True))


def forecast_program(
    program: Program, *, today: date, what_if: list[forecast.WhatIf] | None = None, runs: int = RUNS
) -> ProgramForecast | None:
    """The forecast as of today (None once the program has ended or before it began). Cached for an hour per
    scenario and workforce version."""
    if today > program.ends_on or today < program.starts_on:
        return None
    scenarios = tuple(what_if or ())
    scenario = "-".join(f"{w.cohorts}x{w.seats}@{w.start_month}" for w in scenarios) or "none"
    key = f"reporting:forecast:{program.pk}:{workforce_version.current(program)}:{today}:{scenario}:{runs}"
    result: forecast.Forecast | None = cache.get(key)
    if result is None:
        goal = {metric: value for metric, value in figures.targets(program).items() if metric in forecast.METRICS}
        result = forecast.forecast(observed(program, today), goal, what_if=scenarios, runs=runs)
        cache.set(key, result, 60 * 60)
    return ProgramForecast(program, today, figures.program_months(program), result)


def median_at_end(program: Program, metric: str, *, today: date) -> int | None:
    """The forecast's median of ``metric`` at the program's end, as ``forecast_program`` gives it (None when it
    gives none), kept in the cache on its own under the same workforce version: a page that shows this one number
    (the money page's cost per clinician trained at the end) does not read the whole forecast back."""
    if today > program.ends_on or today < program.starts_on:
        return None
    key = f"reporting:forecast-median:{program.pk}:{workforce_version.current(program)}:{today}:{metric}"
    found: int | None = cache.get(key)
    if found is None:
        whole = forecast_program(program, today=today)
        if whole is None:
            return None
        found = whole.result[metric].p50
        cache.set(key, found, 60 * 60)
    return found


BACKTEST_RUNS = 200
HORIZONS = (3, 6, 12)  # months ahead
FIRST_AS_OF = 6  # a forecast needs some history: months 0 to 5 observed
AS_OF_STEP = 3


@dataclass(frozen=True)
class Backtest:
    as_of_months: tuple[int, ...]  # month indexes the forecasts were made at (the end of each)
    last_month: int  # the last month the records cover, complete
    horizons: tuple[int, ...]
    checks: tuple[forecast.Check, ...]
    calibration: tuple[forecast.Calibration, ...]


def last_complete_month(program: Program, today: date) -> int:
    """The index of the last month the records cover whole: the month before today's, or the program's last."""
    return min(len(figures.program_months(program)) - 1, month_index(program, today) - 1)


def backtest(
    program: Program,
    *,
    today: date,
    as_of_months: tuple[int, ...] | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    runs: int = BACKTEST_RUNS,
) -> Backtest:
    """Forecasts made as of many months of the program, each from the records of its time, compared with the
    actual figures at the horizons the records cover (never a month after the last complete one)."""
    months = figures.program_months(program)
    last = last_complete_month(program, today)
    if as_of_months is None:
        as_of_months = tuple(range(FIRST_AS_OF - 1, last - min(horizons) + 1, AS_OF_STEP))
    work = figures.workforce(program, Filters(), today=months[max(0, last)])
    reached = figures.care(program, Filters(), today=months[max(0, last)])
    actuals = {
        forecast.CLINICIANS_TRAINED: [t for _m, t, _c in work.by_month][: last + 1],
        forecast.CLINICIANS_CERTIFIED: [c for _m, _t, c in work.by_month][: last + 1],
        forecast.CHILDREN_SERVED: [c for _m, c, _g in reached.by_month][: last + 1],
        forecast.CAREGIVERS_SERVED: [g for _m, _c, g in reached.by_month][: last + 1],
    }
    found: list[forecast.Check] = []
    for as_of in as_of_months:
        made = forecast.forecast(observed(program, months[as_of]), {}, runs=runs)
        found += forecast.checks(made, actuals, horizons)
    return Backtest(tuple(as_of_months), last, tuple(horizons), tuple(found), tuple(forecast.calibration(found)))


def backtest_cached(program: Program, *, today: date) -> Backtest:
    """The back-test the forecast page shows, made once a day per workforce version."""
    key = f"reporting:backtest:{program.pk}:{workforce_version.current(program)}:{today}"
    result: Backtest | None = cache.get(key)
    if result is None:
        result = backtest(program, today=today)
        cache.set(key, result, 24 * 60 * 60)
    return result
