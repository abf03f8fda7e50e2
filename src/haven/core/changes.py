"""What a write changed, said once, inside its transaction, to every app that keeps something derived from it.

A pillar's service ends its write with ``announce(CareChanged(...))``: a frozen record of what changed, in ids.
The apps that keep figures, caches or rows derived from those records registered a *keeper* for that kind of change
at start-up (``keep(CareChanged, keeper)`` in their ``AppConfig.ready``), and ``announce`` calls each of them,
synchronously, in the writer's transaction: what they keep is written, committed or rolled back with the write that
changed it, so a reader never sees one without the other. ``announce`` outside a transaction raises.

So a pillar imports nothing above it to keep reporting's figures right: reporting keeps children served and the
care cells (``reporting/keepers.py``), training keeps its workforce paths and version (``training/kept.py``), and a
new pillar's figure is one more keeper. A pillar may keep its own derived data from another pillar's changes this
way too (training's paths and version move when a case counting for certification changes in care). Not Django
signals: the kinds of change are typed here, each announcement is an explicit call in the service that writes, and
``keepers`` lists who keeps what.

Changes carry ids only: a keeper reads what it needs (``programs.selectors.program_of``).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class Change:
    """A kind of change to a program's records. Each subclass says what changed."""

    program_id: int


@dataclass(frozen=True)
class CareDays:
    """The days a care write moved, by what they are the days of, each as it was and as it is. A day too many
    costs a month's recount; a day missing leaves a figure wrong, so a writer names every day it may have moved
    or none (``CareChanged.days`` None)."""

    sessions: tuple[tuple[date, int], ...] = ()  # of each session added (day, 1) or removed (day, -1)
    referrals: frozenset[date] = frozenset()  # of an episode opened
    first_sessions: frozenset[date] = frozenset()  # of an episode's first session, where it moved
    # of an episode closed or reopened (the close it had), or of a closed episode whose sessions or measures changed
    closes: frozenset[date] = frozenset()


@dataclass(frozen=True)
class CareChanged(Change):
    """A CAC's care records changed: episodes, sessions or measures (care)."""

    organization_id: int  # the CAC
    child_ids: frozenset[int] = frozenset()  # the children whose sessions changed
    cases_changed: bool = False  # a case counting for certification may have started or stopped counting
    # What days the write moved (``CareDays``): the care cells count only those months' figures again (sessions
    # move by the count). None: it cannot say (a batch, a rescoring), and every figure of the CAC is counted again.
    days: CareDays | None = None


@dataclass(frozen=True)
class WorkforceChanged(Change):
    """A program's workforce records changed: cohorts, enrollments, attendance or milestones (training)."""

    clinicians: frozenset[tuple[int, int]] = frozenset()  # (CAC, user) of the clinicians placed in a cohort
    # Whose certification path the write may have changed: these enrollments and every enrollment of these cohorts
    # (training keeps the paths, ``training.kept``). Naming neither says "any of the program's": every path is
    # derived again, which at national scale takes seconds.
    enrollments: frozenset[int] = frozenset()
    cohorts: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ProgramChanged(Change):
    """A program's own record changed: its name, period, funders or targets (programs)."""

    period_changed: bool = False


# What an organization may be told of outside Haven (``api`` keeps these: a webhook to each subscriber). Ids only.


@dataclass(frozen=True)
class ReportReady(Change):
    """A quarterly report's PDF is made (reporting); ``organization_id`` is the report's (the program's)."""

    organization_id: int
    report_id: int


@dataclass(frozen=True)
class TranchesDue(Change):
    """Tranches of a program's grants are met, ready to be released (grants)."""

    tranches: frozenset[tuple[int, int]]  # (the grantee, the tranche)


@dataclass(frozen=True)
class ReviewApproved(Change):
    """A company's submission is approved, ready to publish (safeguarding)."""

    organization_id: int  # the company
    submission_id: int


@dataclass(frozen=True)
class AlertsRaised(Change):
    """Critical alerts are raised on a CAC's measures (care)."""

    organization_id: int  # the CAC
    alert_ids: frozenset[int]


class NotInTransaction(RuntimeError):
    """A change was announced outside the transaction of the write that made it."""


_keepers: dict[type[Change], list[Callable[[Any], None]]] = {}


def keep[C: Change](kind: type[C], keeper: Callable[[C], None]) -> None:
    """Call ``keeper`` with every ``kind`` of change announced from now on. Called at start-up, from an
    ``AppConfig.ready``; registering the same keeper twice keeps it once."""
    registered = _keepers.setdefault(kind, [])
    if keeper not in registered:
        registered.append(keeper)


def keepers(kind: type[Change]) -> tuple[Callable[[Any], None], ...]:
    """Who keeps something derived from ``kind``, in the order they are called."""
    return tuple(_keepers.get(kind, ()))


def announce(change: Change) -> None:
    """Say what a write changed: every keeper of that kind of change runs now, in the writer's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"{change!r} was announced outside a transaction: announce inside the write")
    for keeper in _keepers.get(type(change), ()):
        keeper(change)


@contextmanager
def kept_by(replacements: dict[type[Change], list[Callable[[Any], None]]]) -> Iterator[None]:
    """For tests: the keepers of some kinds of change replaced (an empty list: none) for the duration."""
    saved = {kind: list(registered) for kind, registered in _keepers.items()}
    try:
        for kind, registered in replacements.items():
            _keepers[kind] = list(registered)
        yield
    finally:
        _keepers.clear()
        _keepers.update(saved)
