"""Completed TF-CBT cases per clinician, read from the care records, never typed by hand.

The care pillar (episodes with caregiver and pre/post measures) fills this in. Until it exists every
clinician has 0 completed cases, and the path shows 0 of 3.
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseCount:
    completed: int = 0
    with_caregiver: int = 0


def completed_cases(*, program_id: int, clinician_ids: Iterable[int]) -> dict[int, CaseCount]:
    return {clinician_id: CaseCount() for clinician_id in clinician_ids}
