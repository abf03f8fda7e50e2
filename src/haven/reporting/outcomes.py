"""The care figures of a program or one CAC, for the care team and the program staff (unsuppressed).

Children and caregivers served come from the kept ``ChildServed`` rows; the rest from episodes and
assessments. Everything that leaves the care team goes through ``tables`` and disclosure control instead.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from haven.care.models import Assessment, Episode, EpisodeStatus, Practice, Timepoint
from haven.measures import change, instruments
from haven.programs.models import Program

from .models import ChildServed


@dataclass(frozen=True)
class InstrumentOutcome:
    instrument: instruments.Instrument
    outcome: change.Outcomes

    def share(self, category: str) -> float | None:
        if not self.outcome.counts or not self.outcome.n:
            return None
        if category == change.Change.RECOVERED and self.outcome.recovered is None:
            return None  # no threshold: recovery is not judged
        return self.outcome.counts[change.Change(category)] / self.outcome.n

    @property
    def recovery_rate(self) -> float | None:
        if self.outcome.recovered is None or not self.outcome.eligible_for_recovery:
            return None
        return self.outcome.recovered / self.outcome.eligible_for_recovery


@dataclass
class CareFigures:
    children_served: int = 0
    caregivers_served: int = 0
    by_month: list[tuple[date, int, int]] = field(default_factory=list)
    breakdowns: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    referred: int = 0
    started: int = 0
    completed: int = 0
    ended: int = 0
    completed_with_pre_post: int = 0
    outcomes: list[InstrumentOutcome] = field(default_factory=list)
    fidelity_episodes: int = 0
    fidelity_mean_components: float | None = None
    fidelity_all_eight: int = 0
    component_coverage: list[tuple[str, int]] = field(default_factory=list)


def _scoped(manager: Any, program: Program, organization_id: int | None) -> Any:
    if organization_id is None:
        return manager.of_program(program)
    return manager.filter(organization_id=organization_id, program=program)


def care_figures(program: Program, *, organization_id: int | None = None) -> CareFigures:
    """The program's figures, or one CAC's when ``organization_id`` is given."""
    figures = CareFigures()
    served = _scoped(ChildServed.objects, program, organization_id)
    totals = served.aggregate(children=Count("id"), caregivers=Count("id", filter=Q(caregiver_first_on__isnull=False)))
    figures.children_served, figures.caregivers_served = totals["children"], totals["caregivers"]
    months: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for month, n in (
        served.annotate(m=TruncMonth("first_session_on")).values("m").annotate(n=Count("id")).values_list("m", "n")
    ):
        months[month][0] = n
    for month, n in (
        served.filter(caregiver_first_on__isnull=False)
        .annotate(m=TruncMonth("caregiver_first_on"))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    ):
        months[month][1] = n
    figures.by_month = [(month, a, b) for month, (a, b) in sorted(months.items())]
    for name in ("state", "age_band", "gender", "race_ethnicity"):
        figures.breakdowns[name] = list(
            served.values(name).annotate(n=Count("id")).order_by(name).values_list(name, "n")
        )

    episodes = _scoped(Episode.objects, program, organization_id)
    funnel = episodes.aggregate(
        referred=Count("id"),
        started=Count("id", filter=Q(first_session_on__isnull=False)),
        completed=Count("id", filter=Q(status=EpisodeStatus.COMPLETED)),
        ended=Count("id", filter=Q(status=EpisodeStatus.ENDED)),
        pre_post=Count("id", filter=Q(status=EpisodeStatus.COMPLETED, has_baseline=True, has_post=True)),
    )
    figures.referred, figures.started = funnel["referred"], funnel["started"]
    figures.completed, figures.ended = funnel["completed"], funnel["ended"]
    figures.completed_with_pre_post = funnel["pre_post"]

    figures.outcomes = _outcomes(program, organization_id)

    completed_practice = episodes.filter(
        status=EpisodeStatus.COMPLETED, treatment_model__uses_practice=True
    ).values_list("practice", flat=True)
    coverage: Counter[str] = Counter()
    sizes = []
    for practice in completed_practice:
        coverage.update(practice)
        sizes.append(len(practice))
    figures.fidelity_episodes = len(sizes)
    if sizes:
        figures.fidelity_mean_components = sum(sizes) / len(sizes)
        figures.fidelity_all_eight = sum(1 for n in sizes if n == len(Practice.values))
    figures.component_coverage = [(code, coverage[code]) for code in Practice.values]
    return figures


def baseline_post_pairs(assessments: Any) -> dict[tuple[int, str], tuple[int, int]]:
    """Per completed episode and instrument of the (scoped) ``assessments``: the first baseline score and the
    last post score, where both exist. Shared by these figures and the kept reporting cells."""
    rows = (
        assessments.filter(
            episode__status=EpisodeStatus.COMPLETED,
            timepoint__in=[Timepoint.BASELINE, Timepoint.POST],
            total__isnull=False,
        )
        .order_by("administered_on", "pk")
        .values_list("episode_id", "instrument", "timepoint", "total")
    )
    pre: dict[tuple[int, str], int] = {}
    post: dict[tuple[int, str], int] = {}
    for episode_id, code, timepoint, total in rows:
        if timepoint == Timepoint.BASELINE:
            pre.setdefault((episode_id, code), total)
        else:
            post[episode_id, code] = total
    return {key: (before, post[key]) for key, before in pre.items() if key in post}


def _outcomes(program: Program, organization_id: int | None) -> list[InstrumentOutcome]:
    """Per instrument: the first baseline and the last post score of each completed episode."""
    assessments = Assessment.objects.of_program(program)
    if organization_id is not None:
        assessments = assessments.filter(organization_id=organization_id)
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (_episode, code), pair in baseline_post_pairs(assessments).items():
        pairs[code].append(pair)
    result = []
    for instrument in instruments.all_instruments():
        if instrument.code in pairs:
            norms = instrument.norms
            result.append(
                InstrumentOutcome(
                    instrument,
                    change.summarize(
                        pairs[instrument.code],
                        sd_pre=norms.sd_pre,
                        reliability=norms.reliability,
                        threshold=instrument.threshold,
                    ),
                )
            )
    return result
