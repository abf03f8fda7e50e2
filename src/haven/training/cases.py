"""Completed TF-CBT cases per clinician, read from the care records, never typed by hand.

A case counts once its episode is completed, of a treatment model that counts for certification (TF-CBT),
with a scored baseline and a scored post-treatment measure; it is "with a caregiver" when at least one
session involved the caregiver. The care services keep those facts on the episode and call
``training.version.bump`` whenever a case starts or stops counting.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q

from haven.care.models import Episode, EpisodeStatus


@dataclass(frozen=True)
class CaseCount:
    completed: int = 0
    with_caregiver: int = 0


def completed_cases(*, organization_ids: Iterable[int], clinician_ids: Iterable[int]) -> dict[int, CaseCount]:
    """Cases of these clinicians at their CACs (``organization_ids``), in one query."""
    clinician_ids = list(clinician_ids)
    counts = {clinician_id: CaseCount() for clinician_id in clinician_ids}
    rows = (
        Episode.objects.in_orgs(set(organization_ids))
        .filter(
            clinician_id__in=clinician_ids,
            status=EpisodeStatus.COMPLETED,
            has_baseline=True,
            has_post=True,
            treatment_model__counts_for_certification=True,
        )
        .values("clinician_id")
        .annotate(n=Count("id"), caregiver_cases=Count("id", filter=Q(caregiver_sessions__gt=0)))
        .values_list("clinician_id", "n", "caregiver_cases")
    )
    for clinician_id, n, with_caregiver in rows:
        counts[clinician_id] = CaseCount(n, with_caregiver)
    return counts
