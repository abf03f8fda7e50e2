"""Reliable and clinically significant change (Jacobson & Truax 1991) over plain scores (no ORM).

For symptom measures a lower score is better. SE = SD_pre x sqrt(1 - r); S_diff = sqrt(2) x SE;
RC = (post - pre) / S_diff, and a change is reliable when |RC| > 1.96. Recovered means reliably improved and
below the cut-off at post; a child below the cut-off at baseline cannot recover and is left out of recovery rates.
"""

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

RELIABLE = 1.96
PUBLISHED = "published"
PROGRAM_BASELINE = "program baseline"


class Change(StrEnum):
    DETERIORATED = "deteriorated"
    UNCHANGED = "unchanged"
    IMPROVED = "improved"
    RECOVERED = "recovered"


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


def reliable_change_index(pre: float, post: float, sd_pre: float, reliability: float) -> float:
    return (post - pre) / s_diff(sd_pre, reliability)


def classify(pre: float, post: float, *, sd_pre: float, reliability: float, cutoff: float) -> Change:
    index = reliable_change_index(pre, post, sd_pre, reliability)
    if index > RELIABLE:
        return Change.DETERIORATED
    if index < -RELIABLE:
        return Change.RECOVERED if pre >= cutoff > post else Change.IMPROVED
    return Change.UNCHANGED


def jacobson_cutoff(
    mean_functional: float, sd_functional: float, mean_dysfunctional: float, sd_dysfunctional: float
) -> float:
    """Cut-off c: the point between the functional and dysfunctional norms weighted by their SDs."""
    if sd_functional <= 0 or sd_dysfunctional <= 0:
        raise ValueError("both SDs must be above 0")
    return (sd_functional * mean_dysfunctional + sd_dysfunctional * mean_functional) / (
        sd_functional + sd_dysfunctional
    )


@dataclass(frozen=True)
class Outcomes:
    """Change over (pre, post) pairs. Figures that cannot be computed are None; ``mean_change`` and
    ``effect_size`` are negative when scores fell (improvement)."""

    n: int
    counts: dict[Change, int] | None  # None when no SD is available to judge reliable change
    eligible_for_recovery: int  # pairs at or above the cut-off at pre
    recovered: int | None
    mean_pre: float | None
    mean_post: float | None
    mean_change: float | None
    effect_size: float | None  # Cohen's d: mean change / SD of the pre scores
    sd_pre: float | None  # the SD used for reliable change
    sd_source: str | None  # PUBLISHED or PROGRAM_BASELINE

    @property
    def recovery_rate(self) -> float | None:
        if self.recovered is None or self.eligible_for_recovery == 0:
            return None
        return self.recovered / self.eligible_for_recovery


def summarize(pairs: Iterable[tuple[int, int]], *, sd_pre: float | None, reliability: float, cutoff: int) -> Outcomes:
    """Reliable change for each pair and the group's figures. With ``sd_pre`` None (no published SD) the
    sample SD of the pre scores is used, and ``sd_source`` says which was used."""
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
    if used_sd is not None:
        counts = dict.fromkeys(Change, 0)
        for pre, post in rows:
            counts[classify(pre, post, sd_pre=used_sd, reliability=reliability, cutoff=cutoff)] += 1
        recovered = counts[Change.RECOVERED]

    mean_change = statistics.fmean(post - pre for pre, post in rows) if n else None
    return Outcomes(
        n=n,
        counts=counts,
        eligible_for_recovery=sum(1 for pre in pres if pre >= cutoff),
        recovered=recovered,
        mean_pre=statistics.fmean(pres) if n else None,
        mean_post=statistics.fmean(posts) if n else None,
        mean_change=mean_change,
        effect_size=mean_change / baseline_sd if mean_change is not None and baseline_sd is not None else None,
        sd_pre=used_sd,
        sd_source=source if used_sd is not None else None,
    )
