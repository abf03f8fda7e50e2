"""The deterministic data generator's frame: scales and the context every step shares.

Each app's step is a function of a :class:`GenerationContext`; ``manage.py generate`` (``shell``) runs them in the
order their data depend on (``STEPS``). Given the same seed and start month, the generator makes the same data.
"""

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol


@dataclass(frozen=True)
class Scale:
    name: str
    cacs: int
    clinicians: int
    children: int
    trainers: int
    learners: int
    # The corporate partner's staff (the learners among them) and their child-protection learning.
    staff: int


SCALES = {
    "demo": Scale("demo", cacs=20, clinicians=200, children=5_000, trainers=6, learners=60, staff=300),
    "program": Scale("program", cacs=500, clinicians=2_000, children=55_000, trainers=40, learners=600, staff=3_000),
    "national": Scale(
        "national", cacs=960, clinicians=20_000, children=550_000, trainers=300, learners=3_000, staff=10_000
    ),
    # A large company's whole staff, for the staff-education pages; the workforce and care at the demo's sizes keep
    # the database quick to make (their own benchmarks run at program scale).
    "corporate": Scale("corporate", cacs=20, clinicians=200, children=5_000, trainers=6, learners=60, staff=45_000),
}


class Pool(Protocol):
    """Work started ahead in other processes (an executor, or care's planner): stopped when the generation ends."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


@dataclass
class GenerationContext:
    scale: Scale
    seed: int
    start: date
    rng: random.Random
    counts: dict[str, int] = field(default_factory=dict)
    # What one step leaves for the next (ids, not model objects).
    shared: dict[str, Any] = field(default_factory=dict)
    # Work a step started ahead, in another process, for a later step to collect, and the pools doing it:
    # ``generate`` shuts them down when it ends, the work not started yet cancelled if the generation failed.
    ahead: dict[str, Any] = field(default_factory=dict)
    pools: list[Pool] = field(default_factory=list)

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n
