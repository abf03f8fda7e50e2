"""Reliable and clinically significant change (Jacobson & Truax 1991) over plain scores (no ORM).

For symptom measures a lower score is better. SE = SD_pre x sqrt(1 - r); S_diff = sqrt(2) x SE;
RC = (post - pre) / S_diff, and a change is reliable when |RC| > 1.96.

Clinically significant change is judged against a threshold chosen per instrument (:class:`Criterion`):

- (a) two SDs beyond the dysfunctional mean toward function: M_dys - 2 SD_dys;
- (b) within two SDs of the functional mean: M_func + 2 SD_func;
- (c) the point between the two populations: (SD_func x M_dys + SD_dys x M_func) / (SD_func + SD_dys);
- the instrument's published cut-off, when the norms above are not published;
- none, when nothing is published: recovery is not judged.

A score is past the threshold (on the functional side) when it is below it; a score on the threshold is not
(the same reading as a published cut-off, "at or above" being clinical). Recovered means reliably improved, at or
above the threshold at baseline and below it at post; a child already below it at baseline cannot recover and is
left out of recovery rates.

One child's series of scores (:func:`series_change`) is read the same way: each later score against the first, the
baseline, with :func:`classify`; with no reliability coefficient or no SD nothing is judged, and the series says
which is missing (:class:`NotJudged`).
"""

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

RELIABLE = 1.96
PUBLISHED = "published"
PROGRAM_BASELINE = "program baseline"
# One child's change is judged against the program's baseline SD only once that SD rests on this many scores: the
# SD of 30 scores is within about 13% of the population's (its standard error is about SD / sqrt(2(n - 1))).
MIN_SCORES_FOR_SD = 30


class Change(StrEnum):
    DETERIORATED = "deteriorated"
    UNCHANGED = "unchanged"
    IMPROVED = "improved"
    RECOVERED = "recovered"


class Criterion(StrEnum):
    A = "a"
    B = "b"
    C = "c"
    CUTOFF = "cutoff"
    NONE = "none"


@dataclass(frozen=True)
class Population:
    """Published norms of a population (clinical or functional) on an instrument, with their source."""

    mean: float
    sd: float
    source: str = ""


def standard_error(sd_pre: float, reliability: float) -> float:
    """The standard error of measurement."""
    if sd_pre <= 0:
        raise ValueError(f"the SD must be above 0, not {sd_pre}")
    if not 0 <= reliability < 1:
        raise ValueError(f"the reliability must be from 0 to below 1, not {reliability}")
    return sd_pre * math.sqrt(1 - reliability)


def s_diff(sd_pre: float, reliability: float) -> float:
    """The standard error of the difference between two scores."""
    return math.sqrt(2) * standard_error(sd_pre, reliability)


def sd_from_sums(n: int, total: int, total_of_squares: int) -> float | None:
    """The sample SD of ``n`` whole scores from their sum and the sum of their squares (what one SQL aggregate
    gives); None with fewer than :data:`MIN_SCORES_FOR_SD` scores or when they are all equal."""
    if n < MIN_SCORES_FOR_SD:
        return None
    spread = n * total_of_squares - total * total  # exact in whole numbers: 0 when every score is the same
    return math.sqrt(spread / (n * (n - 1))) if spread > 0 else None


def reliable_change_index(pre: float, post: float, sd_pre: float, reliability: float) -> float:
    return (post - pre) / s_diff(sd_pre, reliability)


def jacobson_cutoff(
    mean_functional: float, sd_functional: float, mean_dysfunctional: float, sd_dysfunctional: float
) -> float:
    """Cut-off c: the point between the functional and dysfunctional norms weighted by their SDs."""
    if sd_functional <= 0 or sd_dysfunctional <= 0:
        raise ValueError("both SDs must be above 0")
    return (sd_functional * mean_dysfunctional + sd_dysfunctional * mean_functional) / (
        sd_functional + sd_dysfunctional
    )


def criterion_a(dysfunctional: Population) -> float:
    """Two SDs beyond the dysfunctional mean, toward function (lower scores)."""
    if dysfunctional.sd <= 0:
        raise ValueError("the SD must be above 0")
    return dysfunctional.mean - 2 * dysfunctional.sd


def criterion_b(functional: Population) -> float:
    """The upper edge of two SDs around the functional mean."""
    if functional.sd <= 0:
        raise ValueError("the SD must be above 0")
    return functional.mean + 2 * functional.sd


def clinical_threshold(
    criterion: Criterion,
    *,
    cutoff: int | None,
    dysfunctional: Population | None = None,
    functional: Population | None = None,
) -> float | None:
    """The threshold of clinically significant change under ``criterion`` (None for :attr:`Criterion.NONE`);
    ``ValueError`` when the criterion's norms or cut-off are missing."""
    if criterion == Criterion.A:
        if dysfunctional is None:
            raise ValueError("criterion a needs the dysfunctional mean and SD")
        return criterion_a(dysfunctional)
    if criterion == Criterion.B:
        if functional is None:
            raise ValueError("criterion b needs the functional mean and SD")
        return criterion_b(functional)
    if criterion == Criterion.C:
        if dysfunctional is None or functional is None:
            raise ValueError("criterion c needs both the functional and the dysfunctional mean and SD")
        return jacobson_cutoff(functional.mean, functional.sd, dysfunctional.mean, dysfunctional.sd)
    if criterion == Criterion.CUTOFF:
        if cutoff is None:
            raise ValueError("the cut-off criterion needs a published cut-off")
        return float(cutoff)
    return None


def functional(score: float, threshold: float) -> bool:
    """Past the threshold, on the functional side (lower is better)."""
    return score < threshold


def classify(pre: float, post: float, *, sd_pre: float, reliability: float, threshold: float | None) -> Change:
    """One category per pair: deteriorated, unchanged, improved, or recovered (reliably improved from at or above
    the threshold to below it; never with no threshold)."""
    index = reliable_change_index(pre, post, sd_pre, reliability)
    if index > RELIABLE:
        return Change.DETERIORATED
    if index < -RELIABLE:
        crossed = threshold is not None and not functional(pre, threshold) and functional(post, threshold)
        return Change.RECOVERED if crossed else Change.IMPROVED
    return Change.UNCHANGED


class NotJudged(StrEnum):
    """Why no change of a series is judged reliable or not."""

    NO_RELIABILITY = "no_reliability"  # no reliability coefficient is published for the instrument's version
    NO_SD = "no_sd"  # no published SD, and too few baseline scores to estimate one
    NO_BASELINE = "no_baseline"  # nothing to compare with: a score before any baseline (never from series_change)


@dataclass(frozen=True)
class PointChange:
    """A later score against the baseline. ``index`` and ``category`` are None when change is not judged."""

    score: int
    difference: int  # score - baseline: negative is better
    index: float | None
    category: Change | None


@dataclass(frozen=True)
class SeriesChange:
    baseline: int
    # Whether the baseline is at or above the threshold, so that the child can recover; None with no threshold.
    may_recover: bool | None
    not_judged: NotJudged | None
    points: tuple[PointChange, ...]  # one per score after the baseline, in order


def series_change(
    scores: Sequence[int], *, sd_pre: float | None, reliability: float | None, threshold: float | None
) -> SeriesChange:
    """Each score after the first (the baseline) against the baseline: its difference, and where an SD and a
    reliability are given its reliable change index and category (:func:`classify`)."""
    if not scores:
        raise ValueError("a series needs a baseline score")
    baseline, *later = scores
    not_judged = NotJudged.NO_RELIABILITY if reliability is None else NotJudged.NO_SD if sd_pre is None else None
    points = []
    for score in later:
        index = category = None
        if sd_pre is not None and reliability is not None:
            index = reliable_change_index(baseline, score, sd_pre, reliability)
            category = classify(baseline, score, sd_pre=sd_pre, reliability=reliability, threshold=threshold)
        points.append(PointChange(score, score - baseline, index, category))
    return SeriesChange(
        baseline=baseline,
        may_recover=None if threshold is None else not functional(baseline, threshold),
        not_judged=not_judged,
        points=tuple(points),
    )


@dataclass(frozen=True)
class Outcomes:
    """Change over (pre, post) pairs. Figures that cannot be computed are None; ``mean_change`` and
    ``effect_size`` are negative when scores fell (improvement)."""

    n: int
    counts: dict[Change, int] | None  # None when no SD or no reliability is available to judge reliable change
    eligible_for_recovery: int  # pairs at or above the threshold at pre (0 with no threshold)
    recovered: int | None  # None when reliable change or recovery cannot be judged
    mean_pre: float | None
    mean_post: float | None
    mean_change: float | None
    effect_size: float | None  # Cohen's d: mean change / SD of the pre scores
    sd_pre: float | None  # the SD used for reliable change
    sd_source: str | None  # PUBLISHED or PROGRAM_BASELINE
    threshold: float | None = None  # the threshold of clinically significant change used

    @property
    def recovery_rate(self) -> float | None:
        if self.recovered is None or self.eligible_for_recovery == 0:
            return None
        return self.recovered / self.eligible_for_recovery


def summarize(
    pairs: Iterable[tuple[int, int]], *, sd_pre: float | None, reliability: float | None, threshold: float | None
) -> Outcomes:
    """Reliable change for each pair and the group's figures. With ``sd_pre`` None (no published SD) the
    sample SD of the pre scores is used, and ``sd_source`` says which was used. With no ``reliability`` no change
    is judged reliable or not; with no ``threshold`` nobody is counted as recovered or eligible to be."""
    rows = list(pairs)
    pres = [pre for pre, _post in rows]
    posts = [post for _pre, post in rows]
    n = len(rows)
    baseline_sd = statistics.stdev(pres) if n >= 2 else None
    if baseline_sd == 0:
        baseline_sd = None
    used_sd, source = (sd_pre, PUBLISHED) if sd_pre is not None else (baseline_sd, PROGRAM_BASELINE)

    counts: dict[Change, int] | None = None
    recovered: int | None = None
    if used_sd is not None and reliability is not None:
        counts = dict.fromkeys(Change, 0)
        for pre, post in rows:
            counts[classify(pre, post, sd_pre=used_sd, reliability=reliability, threshold=threshold)] += 1
        recovered = counts[Change.RECOVERED] if threshold is not None else None

    mean_change = statistics.fmean(post - pre for pre, post in rows) if n else None
    return Outcomes(
        n=n,
        counts=counts,
        eligible_for_recovery=sum(1 for pre in pres if threshold is not None and not functional(pre, threshold)),
        recovered=recovered,
        mean_pre=statistics.fmean(pres) if n else None,
        mean_post=statistics.fmean(posts) if n else None,
        mean_change=mean_change,
        effect_size=mean_change / baseline_sd if mean_change is not None and baseline_sd is not None else None,
        sd_pre=used_sd,
        sd_source=source if used_sd is not None else None,
        threshold=threshold,
    )
