"""``core.changes``: a write says what changed, inside its transaction, and every keeper of that kind runs there."""

from dataclasses import dataclass

import pytest
from django.db import transaction

from haven.core import changes
from haven.core.changes import CareChanged, Change, NotInTransaction, ProgramChanged, WorkforceChanged
from haven.grants import version as money_version
from haven.reporting import keepers as reporting_keepers
from haven.training import kept, version


@dataclass(frozen=True)
class Probe(Change):
    note: str = ""


@dataclass(frozen=True)
class Unkept(Change):
    pass


def test_announcing_outside_a_transaction_raises() -> None:
    heard: list[Change] = []
    with changes.kept_by({Probe: [heard.append]}), pytest.raises(NotInTransaction):
        changes.announce(Probe(program_id=1))
    assert heard == []


@pytest.mark.django_db
def test_every_keeper_of_the_kind_hears_the_change_in_order_inside_the_transaction() -> None:
    heard: list[tuple[str, Change, bool]] = []

    def first(change: Probe) -> None:
        heard.append(("first", change, transaction.get_connection().in_atomic_block))

    def second(change: Probe) -> None:
        heard.append(("second", change, transaction.get_connection().in_atomic_block))

    with changes.kept_by({Probe: []}):
        changes.keep(Probe, first)
        changes.keep(Probe, second)
        changes.keep(Probe, first)  # registered once
        with transaction.atomic():
            changes.announce(Probe(program_id=7, note="x"))
            changes.announce(Unkept(program_id=7))  # a kind nobody keeps: nothing runs
    assert heard == [("first", Probe(7, "x"), True), ("second", Probe(7, "x"), True)]


@pytest.mark.django_db
def test_a_keeper_that_fails_fails_the_write() -> None:
    def broken(change: Probe) -> None:
        raise ValueError("cannot keep")

    with changes.kept_by({Probe: [broken]}), pytest.raises(ValueError), transaction.atomic():
        changes.announce(Probe(program_id=1))


def test_reporting_and_training_keep_what_derives_from_the_pillars_writes() -> None:
    """Registered at start-up by the apps' ``ready``: children served and the care cells (reporting), the
    workforce version (training), which also moves when a case counting for certification changes in care, and the
    money version (grants), which moves when the program's period does."""
    assert reporting_keepers.care_changed in changes.keepers(CareChanged)
    assert reporting_keepers.workforce_changed in changes.keepers(WorkforceChanged)
    assert reporting_keepers.program_changed in changes.keepers(ProgramChanged)
    assert version._care_changed in changes.keepers(CareChanged)
    assert version._workforce_changed in changes.keepers(WorkforceChanged)
    assert kept.workforce_changed in changes.keepers(WorkforceChanged)
    assert kept.care_changed in changes.keepers(CareChanged)
    assert money_version._program_changed in changes.keepers(ProgramChanged)  # the money figures' quarters


def test_every_kind_of_change_has_a_keeper() -> None:
    """A kind of change announced to nobody is a derived figure nobody keeps: each kind has a keeper at start-up."""
    kinds = [k for k in vars(changes).values() if isinstance(k, type) and issubclass(k, Change) and k is not Change]
    assert {k.__name__ for k in kinds} == {
        "CareChanged",
        "WorkforceChanged",
        "ProgramChanged",
        # What an organization is told of by webhook (api keeps them).
        "ReportReady",
        "TranchesDue",
        "ReviewApproved",
        "AlertsRaised",
    }
    assert [k.__name__ for k in kinds if not changes.keepers(k)] == []
