"""Capacity planning: how many more cohorts, of what size and starting when, reach the training target by
the program's end, from the completion rates observed so far. A deliberately simple model (pure).

- Of the clinicians whose cohorts are finished, the share who trained is the completion rate; the median
  time from a cohort's start to a member being trained is the training time.
- Clinicians still in progress, and seats in cohorts already planned, train at that rate if their cohort
  started early enough to finish by the end.
- The remaining gap is filled by new cohorts of the usual size that start no later than the end minus the
  training time; they are spread evenly from now to that latest start.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_COMPLETION_RATE = 0.8  # assumed until a cohort has finished
DEFAULT_TRAINING_MONTHS = 12  # assumed until someone has trained


@dataclass(frozen=True)
class Observed:
    target: int
    trained: int
    in_progress_started: tuple[date, ...]  # the start of the cohort of each clinician still in progress
    planned_seats: tuple[tuple[date, int], ...]  # (start, free seats) of cohorts not started yet
    finished_members: int  # clinicians whose cohort has finished
    finished_trained: int  # of whom, trained
    training_days: tuple[int, ...]  # cohort start to trained, for every trained clinician
    cohort_sizes: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    completion_rate: float
    completion_rate_assumed: bool
    training_months: int
    training_months_assumed: bool
    expected_from_pipeline: int
    gap: int
    cohort_size: int
    cohorts_needed: int
    latest_start: date
    starts: tuple[date, ...]
    feasible: bool


def _median(values: tuple[int, ...]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def plan(observed: Observed, *, today: date, program_end: date) -> Plan:
    assumed_rate = observed.finished_members == 0
    rate = DEFAULT_COMPLETION_RATE if assumed_rate else observed.finished_trained / observed.finished_members
    assumed_time = not observed.training_days
    months = DEFAULT_TRAINING_MONTHS if assumed_time else max(1, round(_median(observed.training_days) / 30.44))
    duration = timedelta(days=round(months * 30.44))
    finishing = [start for start in observed.in_progress_started if start + duration <= program_end]
    planned = sum(seats for start, seats in observed.planned_seats if start + duration <= program_end)
    expected = math.floor((len(finishing) + planned) * rate)
    gap = max(0, observed.target - observed.trained - expected)
    size = round(_median(observed.cohort_sizes)) if observed.cohort_sizes else 20
    per_cohort = size * rate
    needed = math.ceil(gap / per_cohort) if gap and per_cohort > 0 else 0
    latest = program_end - duration
    feasible = needed == 0 or (latest >= today and per_cohort > 0)
    starts: tuple[date, ...] = ()
    if needed and latest >= today:
        span = (latest - today).days
        starts = tuple(today + timedelta(days=round(span * (i + 1) / (needed + 1))) for i in range(needed))
    return Plan(rate, assumed_rate, months, assumed_time, expected, gap, size, needed, latest, starts, feasible)
