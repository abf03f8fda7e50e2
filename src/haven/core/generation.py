"""The deterministic data generator's frame: scales and the context every step shares.

Each app's step is a function of a :class:`GenerationContext`; ``manage.py generate`` (``shell``) runs them in the
order their data depend on (``STEPS``). Given the same seed and start month, the generator makes the same data.
"""

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Scale:
    name: str
    cacs: int
    clinicians: int
    children: int
    trainers: int
    learners: int


SCALES = {
    "demo": Scale("demo", cacs=20, clinicians=200, children=5_000, trainers=6, learners=60),
    "program": Scale("program", cacs=500, clinicians=2_000, children=55_000, trainers=40, learners=600),
    "national": Scale("national", cacs=960, clinicians=20_000, children=550_000, trainers=300, learners=3_000),
}


@dataclass
class GenerationContext:
    scale: Scale
    seed: int
    start: date
    rng: random.Random
    counts: dict[str, int] = field(default_factory=dict)
    # What one step leaves for the next (ids, not model objects).
    shared: dict[str, Any] = field(default_factory=dict)

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n
