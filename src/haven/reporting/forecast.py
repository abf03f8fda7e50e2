"""Whether the program will reach its targets, forecast from its observed pipeline by simulation (no ORM).

The question: at the pace observed so far, how likely is the program to reach each target (clinicians trained,
clinicians certified, children served, caregivers served) by its last month, and what final values are plausible?

The method, in plain words:

- The rates seen so far are uncertain: a handful of cohorts can make a rate look better or worse than it is. So
  each run of the simulation starts by drawing one plausible set of rates, consistent with what has been observed:
  the share of placed clinicians who complete training, the share of trained clinicians who certify, the share of
  a cohort's seats that get filled, the new children a clinician takes on per month at each month since the
  cohort started (a caseload ramps up), and caregivers per child. Few observations give widely spread draws, many
  give tight ones (Beta and Gamma posteriors from a flat prior). A month since start that no clinician has reached
  yet takes the rate of the nearest month that has been seen.
- How long training takes (from the cohort's start) and certification takes (from training) is drawn from the
  months observed. The assumption of 6-9 months for training and 6-12 months for certification counts as one more
  observation, so it stands in while nothing is known and fades as evidence comes in.
- The run then plays the remaining months forward. A placed clinician of a started cohort who is not trained yet
  trains later or never, and the longer training has taken, the less likely it is to come (weighed against how
  long training usually takes). Planned cohorts fill their seats at the observed fill rate and their clinicians
  train the same way; trained clinicians certify likewise. Every placed clinician takes on new children each
  month at the rate for their month since the cohort started; caregivers follow from children.
- Each run is one possible course of the program; many runs give the spread. The probability of a target is the
  share of runs that reach it by the last month; the 80% interval runs from the 10th to the 90th percentile.
- A what-if adds cohorts that do not exist. They draw from their own random stream, so the existing cohorts play
  out exactly as they do without the what-if: the difference between the two forecasts is the what-if's own.

Left out: rates that change over time, seasons, caseload limits. The base is the last observed actual; the
pipeline only adds to it. Runs count clinicians per cohort start month and children per month, not people one by
one, so 1,000 runs of a 2,000-clinician, 36-month program take about a second.
"""

import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

CLINICIANS_TRAINED = "clinicians_trained"
CLINICIANS_CERTIFIED = "clinicians_certified"
CHILDREN_SERVED = "children_served"
CAREGIVERS_SERVED = "caregivers_served"
METRICS = (CLINICIANS_TRAINED, CLINICIANS_CERTIFIED, CHILDREN_SERVED, CAREGIVERS_SERVED)

# Months, inclusive, assumed until durations are observed; each range weighs as much as one observation.
TRAINING_MONTHS_ASSUMED = (6, 9)
CERTIFICATION_MONTHS_ASSUMED = (6, 12)
# Above this mean a Poisson count is drawn from its normal approximation (the error is well under 1%).
POISSON_NORMAL_ABOVE = 30.0

Bins = tuple[tuple[int, float], ...]  # (future month index, chance); chances sum to 1 at most


@dataclass(frozen=True)
class CohortPlan:
    """A cohort that has started by `as_of` (counts as observed) or is planned (starts later)."""

    start_month: int
    seats: int
    placed: int  # placed so far; a planned cohort fills its other seats at the observed fill rate
    trained: int
    certified: int


@dataclass(frozen=True)
class Observed:
    """The pipeline up to month `as_of` (inclusive; month 0 is the program's first month, -1 is before it)."""

    months: int
    as_of: int
    cohorts: tuple[CohortPlan, ...]
    # Placed -> trained, from cohorts old enough to have finished training:
    finished_placed: int
    finished_trained: int
    months_to_trained: tuple[int, ...]  # from cohort start to trained
    # Trained -> certified, among the trained who have had long enough to certify:
    trained_total: int  # every clinician trained so far; the eligible are among them
    certified_total: int  # certified among the eligible
    eligible_for_certification: int
    months_to_certified: tuple[int, ...]  # from trained to certified
    # (new children, clinician-months) by month since cohort start; the last bucket is that month or later:
    ramp: tuple[tuple[int, int], ...]
    caregiver_share: tuple[int, int]  # (caregivers served, children served)
    # Cumulative actuals for months 0..as_of:
    actual_trained: tuple[int, ...]
    actual_certified: tuple[int, ...]
    actual_children: tuple[int, ...]
    actual_caregivers: tuple[int, ...]


@dataclass(frozen=True)
class WhatIf:
    """`cohorts` more cohorts of `seats` seats each, all starting at `start_month`."""

    cohorts: int
    seats: int
    start_month: int


class Band(NamedTuple):
    month: int
    p10: int
    p50: int
    p90: int


@dataclass(frozen=True)
class MetricForecast:
    metric: str
    target: int | None
    probability: float | None  # share of runs at or above the target by the last month
    p10: int  # of the final value
    p50: int
    p90: int
    bands: tuple[Band, ...]  # cumulative, for months as_of + 1 .. months - 1
    actual: tuple[int, ...]  # cumulative, months 0 .. as_of


@dataclass(frozen=True)
class Forecast:
    as_of: int
    months: int
    runs: int
    seed: int
    what_if: tuple[WhatIf, ...]
    metrics: tuple[MetricForecast, ...]  # in the order of METRICS

    def __getitem__(self, metric: str) -> MetricForecast:
        for item in self.metrics:
            if item.metric == metric:
                return item
        raise KeyError(metric)


@dataclass(frozen=True)
class BacktestRow:
    metric: str
    p10: int
    p50: int
    p90: int
    actual: int
    inside: bool  # p10 <= actual <= p90
    median_error_percent: float | None  # (p50 - actual) / actual x 100; None when the actual is 0


def forecast(
    observed: Observed,
    targets: Mapping[str, int],
    *,
    what_if: Sequence[WhatIf] = (),
    runs: int = 1000,
    seed: int = 0,
) -> Forecast:
    """The chance of each target and the spread of each metric by month; the same seed gives the same forecast."""
    _check(observed, targets, what_if, runs)
    plan = _Plan.of(observed)
    existing = _existing_pipeline(observed, plan)
    added = _what_if_pipeline(what_if, plan)
    # Separate streams: the existing cohorts' draws do not depend on whether a what-if is present. Seeded
    # generators on purpose (S311): a forecast must be repeatable, and nothing here is a secret.
    rates_random = random.Random(f"haven.forecast:{seed}:rates")  # noqa: S311
    existing_random = random.Random(f"haven.forecast:{seed}:existing")  # noqa: S311
    added_random = random.Random(f"haven.forecast:{seed}:what-if")  # noqa: S311

    actuals = (observed.actual_trained, observed.actual_certified, observed.actual_children, observed.actual_caregivers)
    bases = [series[-1] if series else 0 for series in actuals]
    paths: list[list[list[int]]] = [[[] for _ in range(plan.future)] for _ in METRICS]
    finals: list[list[int]] = [[] for _ in METRICS]
    for _ in range(runs):
        rates = plan.draw_rates(rates_random)
        increments = _play(existing, rates, plan, existing_random)
        if added.started or added.planned:
            more = _play(added, rates, plan, added_random)
            increments = [[a + b for a, b in zip(x, y, strict=True)] for x, y in zip(increments, more, strict=True)]
        for index, steps in enumerate(increments):
            total = bases[index]
            columns = paths[index]
            for month, step in enumerate(steps):
                total += step
                columns[month].append(total)
            finals[index].append(total)

    metrics = tuple(
        _summary(metric, targets.get(metric), finals[index], paths[index], actuals[index], plan.first)
        for index, metric in enumerate(METRICS)
    )
    return Forecast(
        as_of=observed.as_of,
        months=observed.months,
        runs=runs,
        seed=seed,
        what_if=tuple(what_if),
        metrics=metrics,
    )


def _summary(
    metric: str,
    target: int | None,
    finals: list[int],
    paths: list[list[int]],
    actual: tuple[int, ...],
    first: int,
) -> MetricForecast:
    finals.sort()
    bands = []
    for month, column in enumerate(paths):
        column.sort()
        bands.append(Band(first + month, *(_percentile(column, p) for p in (10, 50, 90))))
    return MetricForecast(
        metric=metric,
        target=target,
        probability=None if target is None else sum(value >= target for value in finals) / len(finals),
        p10=_percentile(finals, 10),
        p50=_percentile(finals, 50),
        p90=_percentile(finals, 90),
        bands=tuple(bands),
        actual=actual,
    )


def backtest(forecast: Forecast, actual_final: Mapping[str, int]) -> list[BacktestRow]:
    """How a forecast's final values compare with the finals that came to pass, for the metrics given."""
    unknown = set(actual_final) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metrics: {sorted(unknown)}")
    rows = []
    for item in forecast.metrics:
        if item.metric not in actual_final:
            continue
        actual = actual_final[item.metric]
        rows.append(
            BacktestRow(
                metric=item.metric,
                p10=item.p10,
                p50=item.p50,
                p90=item.p90,
                actual=actual,
                inside=item.p10 <= actual <= item.p90,
                median_error_percent=None if actual == 0 else (item.p50 - actual) / actual * 100,
            )
        )
    return rows


@dataclass(frozen=True)
class Check:
    """A forecast's 80% interval and median for one month ``horizon`` months after it was made (at the end of
    month ``as_of``), against the actual figure of that month."""

    metric: str
    as_of: int
    horizon: int
    p10: int
    p50: int
    p90: int
    actual: int

    @property
    def inside(self) -> bool:
        return self.p10 <= self.actual <= self.p90

    @property
    def error_percent(self) -> float | None:
        """|median - actual| / actual x 100; None when the actual is 0."""
        return None if self.actual == 0 else abs(self.p50 - self.actual) / self.actual * 100


def checks(made: Forecast, actuals: Mapping[str, Sequence[int]], horizons: Sequence[int]) -> list[Check]:
    """The forecast's bands at each horizon against the actual series (cumulative, month 0 first), only at the
    months the series covers: a month after the last actual is not compared with anything."""
    result = []
    for item in made.metrics:
        series = actuals.get(item.metric)
        if series is None:
            continue
        bands = {band.month: band for band in item.bands}
        for horizon in horizons:
            month = made.as_of + horizon
            band = bands.get(month)
            if band is None or month >= len(series):
                continue
            result.append(Check(item.metric, made.as_of, horizon, band.p10, band.p50, band.p90, series[month]))
    return result


@dataclass(frozen=True)
class Calibration:
    """How often the actuals fell inside the 80% interval, and the median absolute percentage error of the
    median, over some checks (of one metric, or of all when ``metric`` is empty)."""

    metric: str
    compared: int
    inside: int
    median_error_percent: float | None  # over the checks whose actual is above 0

    @property
    def inside_share(self) -> float | None:
        return self.inside / self.compared if self.compared else None


def calibration(found: Sequence[Check]) -> list[Calibration]:
    """One row per metric (in the order of METRICS) that has checks, then one over every check."""

    def summary(metric: str, group: Sequence[Check]) -> Calibration:
        errors = [e for e in (c.error_percent for c in group) if e is not None]
        median = statistics.median(errors) if errors else None
        return Calibration(metric, len(group), sum(c.inside for c in group), median)

    rows = [summary(m, [c for c in found if c.metric == m]) for m in METRICS if any(c.metric == m for c in found)]
    return [*rows, summary("", found)] if found else []


@dataclass(frozen=True)
class _Rates:
    """One run's draw of the rates."""

    train: float
    certify: float
    fill: float
    children: tuple[float, ...]  # new children per placed clinician-month, by month since the cohort started
    caregivers: float  # per child


@dataclass(frozen=True)
class _Plan:
    """What every run shares: the months ahead, the duration distributions and the evidence behind the rates."""

    months: int
    first: int  # first month forecast
    future: int  # number of months forecast
    training: tuple[float, ...]  # chance of training t months after the cohort's start
    certification: tuple[float, ...]  # chance of certifying d months after training
    certification_bins: tuple[Bins, ...]  # for someone trained at each future month
    train_evidence: tuple[int, int]  # (successes, failures)
    certify_evidence: tuple[int, int]
    fill_evidence: tuple[int, int]
    ramp: tuple[tuple[int, int], ...]
    ramp_source: tuple[int, ...]  # the bucket whose rate each bucket takes; -1 for the prior
    caregiver_share: tuple[int, int]

    @classmethod
    def of(cls, observed: Observed) -> "_Plan":
        first = observed.as_of + 1
        future = observed.months - first
        certification = _durations(observed.months_to_certified, CERTIFICATION_MONTHS_ASSUMED)
        bins = tuple(
            tuple((month + d, chance) for d, chance in enumerate(certification) if chance and month + d < future)
            for month in range(future)
        )
        started = [c for c in observed.cohorts if c.start_month <= observed.as_of and c.seats > 0]
        filled = sum(min(c.placed, c.seats) for c in started)
        ramp = observed.ramp or ((0, 0),)
        seen = [b for b, (_, exposure) in enumerate(ramp) if exposure > 0]
        # An unseen month since start takes the rate of the nearest seen one, the earlier on a tie: caseloads ramp
        # up, so borrowing from an earlier month errs low rather than high.
        source = tuple(min(seen, key=lambda s: (abs(s - b), s)) if seen else -1 for b in range(len(ramp)))
        return cls(
            months=observed.months,
            first=first,
            future=future,
            training=_durations(observed.months_to_trained, TRAINING_MONTHS_ASSUMED),
            certification=certification,
            certification_bins=bins,
            train_evidence=(observed.finished_trained, observed.finished_placed - observed.finished_trained),
            certify_evidence=(
                observed.certified_total,
                observed.eligible_for_certification - observed.certified_total,
            ),
            fill_evidence=(filled, sum(c.seats for c in started) - filled),
            ramp=ramp,
            ramp_source=source,
            caregiver_share=observed.caregiver_share,
        )

    def draw_rates(self, rng: random.Random) -> _Rates:
        """Draws every rate on every run, used or not, so that the stream does not depend on the input's shape."""
        drawn = [rng.gammavariate(children + 1, 1 / (exposure + 1)) for children, exposure in self.ramp]
        prior = rng.gammavariate(1, 1)
        caregivers, children = self.caregiver_share
        if caregivers <= children:
            per_child = rng.betavariate(caregivers + 1, children - caregivers + 1)
        else:  # more caregivers than children: a rate per child rather than a share
            per_child = rng.gammavariate(caregivers + 1, 1 / (children + 1))
        return _Rates(
            train=rng.betavariate(self.train_evidence[0] + 1, self.train_evidence[1] + 1),
            certify=rng.betavariate(self.certify_evidence[0] + 1, self.certify_evidence[1] + 1),
            fill=rng.betavariate(self.fill_evidence[0] + 1, self.fill_evidence[1] + 1),
            children=tuple(prior if s < 0 else drawn[s] for s in self.ramp_source),
            caregivers=per_child,
        )


@dataclass(frozen=True)
class _Started:
    """Clinicians of the cohorts that started in one month on or before `as_of`."""

    untrained: int
    untrained_waiting: float  # chance that one who will train has not yet, at the cohort's age
    training_bins: Bins  # when, given that they train after `as_of`
    uncertified: int  # trained but not certified
    uncertified_waiting: float
    certification_bins: Bins


@dataclass(frozen=True)
class _Planned:
    """Cohorts that start in one month after `as_of`."""

    start: int
    placed: int
    open_seats: int
    training_bins: Bins


@dataclass(frozen=True)
class _Pipeline:
    started: tuple[_Started, ...]
    planned: tuple[_Planned, ...]
    placed: tuple[int, ...]  # known placed clinicians by cohort start month


def _existing_pipeline(observed: Observed, plan: _Plan) -> _Pipeline:
    by_start: dict[int, list[int]] = {}
    for c in observed.cohorts:
        totals = by_start.setdefault(c.start_month, [0, 0, 0, 0])
        for i, value in enumerate((c.seats, c.placed, c.trained, c.certified)):
            totals[i] += value
    started, planned = [], []
    placed = [0] * plan.months
    for start, (seats, in_place, trained, certified) in sorted(by_start.items()):
        placed[start] = in_place
        if start >= plan.first:
            open_seats = max(seats - in_place, 0)
            planned.append(_Planned(start, in_place, open_seats, _training_bins(plan, start)))
            continue
        age = plan.first - 1 - start
        waiting, bins = _waiting_for_training(plan, start, age)
        uncertified_waiting, certification_bins = _waiting_for_certification(plan, start, age)
        started.append(
            _Started(in_place - trained, waiting, bins, trained - certified, uncertified_waiting, certification_bins)
        )
    return _Pipeline(tuple(started), tuple(planned), tuple(placed))


def _what_if_pipeline(what_if: Sequence[WhatIf], plan: _Plan) -> _Pipeline:
    seats_by_start: dict[int, int] = {}
    for item in what_if:
        seats_by_start[item.start_month] = seats_by_start.get(item.start_month, 0) + item.cohorts * item.seats
    planned = tuple(
        _Planned(start, 0, seats, _training_bins(plan, start)) for start, seats in sorted(seats_by_start.items())
    )
    return _Pipeline((), planned, (0,) * plan.months)


def _training_bins(plan: _Plan, start: int) -> Bins:
    return tuple(
        (month - plan.first, plan.training[month - start])
        for month in range(start, plan.months)
        if month - start < len(plan.training) and plan.training[month - start]
    )


def _waiting_for_training(plan: _Plan, start: int, age: int) -> tuple[float, Bins]:
    """For one who will train but has not by `age` months: the chance of that, and when they train."""
    waiting = sum(plan.training[age + 1 :])
    if waiting <= 0:
        return 0.0, ()
    bins = tuple(
        (month - plan.first, plan.training[month - start] / waiting)
        for month in range(plan.first, plan.months)
        if month - start < len(plan.training) and plan.training[month - start]
    )
    return waiting, bins


def _waiting_for_certification(plan: _Plan, start: int, age: int) -> tuple[float, Bins]:
    """For one trained by `age` months into the cohort who will certify but has not: the chance of that, and when.

    Only the cohort's start is known, not each clinician's training month, so it is weighed over the training
    durations up to the cohort's age.
    """
    trained_by_now = sum(plan.training[: age + 1])
    weights = (
        {t: plan.training[t] / trained_by_now for t in range(min(age + 1, len(plan.training))) if plan.training[t]}
        if trained_by_now > 0
        else {age: 1.0}  # trained sooner than training ever takes: take it as just now
    )
    waiting = sum(weight * sum(plan.certification[age - t + 1 :]) for t, weight in weights.items())
    if waiting <= 0:
        return 0.0, ()
    bins = []
    for month in range(plan.first, plan.months):
        chance = 0.0
        for t, weight in weights.items():
            d = month - start - t
            if d < len(plan.certification):
                chance += weight * plan.certification[d]
        if chance:
            bins.append((month - plan.first, chance / waiting))
    return waiting, tuple(bins)


def _play(pipeline: _Pipeline, rates: _Rates, plan: _Plan, rng: random.Random) -> list[list[int]]:
    """One run of the months ahead: new trained, certified, children and caregivers per month."""
    trained = [0] * plan.future
    certified = [0] * plan.future
    for group in pipeline.started:
        if group.untrained:
            chance = _still_to_come(rates.train, group.untrained_waiting)
            _spread(rng, _binomial(rng, group.untrained, chance), group.training_bins, trained)
        if group.uncertified:
            chance = _still_to_come(rates.certify, group.uncertified_waiting)
            _spread(rng, _binomial(rng, group.uncertified, chance), group.certification_bins, certified)
    placed = list(pipeline.placed)
    for cohort in pipeline.planned:
        members = cohort.placed + _binomial(rng, cohort.open_seats, rates.fill)
        placed[cohort.start] = members
        _spread(rng, _binomial(rng, members, rates.train), cohort.training_bins, trained)
    for month, count in enumerate(trained):
        if count:
            _spread(rng, _binomial(rng, count, rates.certify), plan.certification_bins[month], certified)

    # Clinicians by cohort start, running total: those past the ramp's last bucket share its rate.
    cumulative = []
    running = 0
    for count in placed:
        running += count
        cumulative.append(running)
    last = len(rates.children) - 1
    whole, part = divmod(rates.caregivers, 1.0)
    children, caregivers = [], []
    for month in range(plan.first, plan.months):
        mean = sum(rates.children[b] * placed[month - b] for b in range(min(last, month + 1)))
        if month >= last:
            mean += rates.children[last] * cumulative[month - last]
        new = _poisson(rng, mean)
        children.append(new)
        caregivers.append(new * int(whole) + _binomial(rng, new, part))
    return [trained, certified, children, caregivers]


def _still_to_come(rate: float, waiting: float) -> float:
    """The chance that one not converted yet will: converting later, against never converting."""
    later = rate * waiting
    return later / (later + 1 - rate) if later > 0 else 0.0


def _spread(rng: random.Random, count: int, bins: Bins, into: list[int]) -> None:
    """Deals `count` people out over the months of `bins` (a multinomial); those left over fall after the end."""
    left = 1.0
    for month, chance in bins:
        if count <= 0:
            return
        landed = count if chance >= left else _binomial(rng, count, chance / left)
        into[month] += landed
        count -= landed
        left -= chance


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    return n if p >= 1 else rng.binomialvariate(n, p)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > POISSON_NORMAL_ABOVE:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    # Knuth: count uniform draws until their product falls below e^-mean.
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _durations(observed: Sequence[int], assumed: tuple[int, int]) -> tuple[float, ...]:
    """Chance by month of a duration: the observations, plus the assumed range weighing as one more."""
    low, high = assumed
    weights = [0.0] * (max((*observed, high)) + 1)
    for months in observed:
        weights[months] += 1
    for months in range(low, high + 1):
        weights[months] += 1 / (high - low + 1)
    return tuple(weight / (len(observed) + 1) for weight in weights)


def _percentile(ordered: Sequence[int], percent: int) -> int:
    """Nearest rank: the smallest value with at least `percent`% of the values at or below it."""
    return ordered[max(0, -(-percent * len(ordered) // 100) - 1)]


def _check(observed: Observed, targets: Mapping[str, int], what_if: Sequence[WhatIf], runs: int) -> None:
    months, as_of = observed.months, observed.as_of
    problems = []
    if months < 1 or not -1 <= as_of < months:
        problems.append(f"as_of {as_of} must be from -1 to {months - 1} (months {months})")
    for name in ("actual_trained", "actual_certified", "actual_children", "actual_caregivers"):
        series = getattr(observed, name)
        if len(series) != as_of + 1:
            problems.append(f"{name} has {len(series)} months, not as_of + 1 = {as_of + 1}")
        if any(v < 0 for v in series) or any(a > b for a, b in zip(series, series[1:], strict=False)):
            problems.append(f"{name} must be cumulative: not negative and never falling")
    for c in observed.cohorts:
        if not 0 <= c.start_month < months or c.seats < 0 or not 0 <= c.certified <= c.trained <= c.placed:
            problems.append(f"{c}: needs 0 <= start_month < months, seats >= 0, 0 <= certified <= trained <= placed")
        if c.start_month > as_of and c.trained:
            problems.append(f"{c}: a cohort that has not started cannot have trained clinicians")
    if not 0 <= observed.finished_trained <= observed.finished_placed:
        problems.append("needs 0 <= finished_trained <= finished_placed")
    if not 0 <= observed.certified_total <= observed.eligible_for_certification <= observed.trained_total:
        problems.append("needs 0 <= certified_total <= eligible_for_certification <= trained_total")
    if any(m < 0 for m in (*observed.months_to_trained, *observed.months_to_certified)):
        problems.append("durations cannot be negative")
    if any(k < 0 or e < 0 or (k and not e) for k, e in observed.ramp):
        problems.append("ramp pairs need children >= 0 and clinician-months >= 0, above 0 when there are children")
    if min(observed.caregiver_share) < 0:
        problems.append("caregiver_share cannot be negative")
    for metric, target in targets.items():
        if metric not in METRICS or target < 0:
            problems.append(f"target {metric}={target}: the metric must be one of {METRICS} and the target >= 0")
    for item in what_if:
        if item.cohorts < 0 or item.seats < 0 or not as_of < item.start_month < months:
            problems.append(f"{item}: needs cohorts >= 0, seats >= 0 and a start after as_of within the program")
    if runs < 1:
        problems.append("runs must be at least 1")
    if problems:
        raise ValueError("; ".join(problems))
