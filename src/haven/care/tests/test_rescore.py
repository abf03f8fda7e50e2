"""Rescoring after an instrument's definition changed: the new score replaces the current one, the superseded
score is kept, a second run changes nothing, each CAC's rescore is one audit event, the kept reporting cells equal a
recomputation afterwards, and an answer critical under the new definition gets its alert."""

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care import services
from haven.care.models import Assessment, CriticalAlert, Episode, EpisodeStatus, PastScore
from haven.measures import instruments
from haven.measures.instruments import Band, Instrument
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.reporting import kept

from .factories import CATS, measure, register, sessions

PHQ = "phq_a"


def _phq(episode: Episode, actor: User, answers: dict[str, int | None], *, days: int = 7) -> Assessment:
    return services.assessment_record(
        actor=actor,
        episode=episode,
        instrument_code=PHQ,
        timepoint="baseline",
        administered_on=episode.referred_on + timedelta(days=days),
        responses=answers,
    )


def _answers(*values: int | None) -> dict[str, int | None]:
    return {str(n): value for n, value in enumerate(values, start=1)}


@pytest.fixture
def revise(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Instrument]:
    """Ship a revised PHQ-A definition (call it once the measures are stored): cut-off 12 instead of 10, two
    bands, and up to 3 missing items prorated instead of 2."""

    def apply() -> Instrument:
        shipped = instruments._catalog()
        current = shipped[PHQ]
        revised = dataclasses.replace(
            current,
            scoring_version=f"{current.scoring_version}-revised",
            cutoff=12,
            bands=(Band(0, 11, "below"), Band(12, 27, "above", above_cutoff=True)),
            max_prorated=3,
        )
        monkeypatch.setattr(instruments, "_catalog", lambda: {**shipped, PHQ: revised})
        assert instruments.load(PHQ) is revised
        return revised

    return apply


@pytest.fixture
def teen(cac: Organization, program: Program, clinician: User) -> Episode:
    return register(cac=cac, program=program, clinician=clinician, case_number="R-1", age=15)


def _rescore_events() -> list[AuditEntry]:
    return list(AuditEntry.objects.dangerously_unscoped().filter(action="assessment.rescore").order_by("seq"))


def test_rescoring_replaces_the_score_and_keeps_the_old_one(
    teen: Episode, clinician: User, revise: Callable[[], Instrument]
) -> None:
    old_version = instruments.load(PHQ).scoring_version
    assessment = _phq(teen, clinician, _answers(1, 1, 1, 1, 2, 2, 1, 1, 0))  # a total of 10
    assert (assessment.total, assessment.above_cutoff, assessment.score["band"]) == (10, True, "moderate")
    old_score = dict(assessment.score)

    revised = revise()
    assert services.rescore(PHQ) == (1, 1)

    assessment.refresh_from_db()
    assert assessment.scoring_version == revised.scoring_version
    assert (assessment.total, assessment.above_cutoff) == (10, False)
    assert assessment.score["band"] == "below"
    assert assessment.score["scoring_version"] == revised.scoring_version
    (past,) = PastScore.objects.in_org(teen.organization_id).filter(assessment=assessment)
    assert (past.scoring_version, past.total, past.score) == (old_version, 10, old_score)
    (event,) = _rescore_events()
    assert event.organization_id == teen.organization_id
    assert event.detail == {"instrument": PHQ, "version": revised.scoring_version, "count": 1, "alerts": 0}


def test_a_second_run_rescores_nothing(teen: Episode, clinician: User, revise: Callable[[], Instrument]) -> None:
    _phq(teen, clinician, _answers(1, 1, 1, 1, 2, 2, 1, 1, 0))
    revise()
    assert services.rescore(PHQ) == (1, 1)
    stored = list(Assessment.objects.in_org(teen.organization_id).values())

    assert services.rescore(PHQ) == (1, 0)
    assert list(Assessment.objects.in_org(teen.organization_id).values()) == stored
    assert PastScore.objects.in_org(teen.organization_id).count() == 1
    assert len(_rescore_events()) == 1


def test_an_unchanged_definition_rescores_nothing(teen: Episode, clinician: User) -> None:
    _phq(teen, clinician, _answers(1, 1, 1, 1, 2, 2, 1, 1, 0))
    assert services.rescore(PHQ) == (1, 0)
    assert not PastScore.objects.in_org(teen.organization_id).exists()
    assert _rescore_events() == []


def test_a_total_that_appears_under_the_new_rule_refreshes_the_episode(
    teen: Episode, clinician: User, revise: Callable[[], Instrument]
) -> None:
    """Three items missing: no total under the shipped rule (2 may be prorated), a prorated one under the new."""
    assessment = _phq(teen, clinician, _answers(2, 2, 2, 2, 2, 2, None, None, None))
    teen.refresh_from_db()
    assert (assessment.total, teen.has_baseline, teen.last_assessed_on) == (None, False, None)

    revise()
    services.rescore(PHQ)
    assessment.refresh_from_db()
    # 12 from 6 items, prorated to 9: 12 x 9 / 6 = 18.
    assert (assessment.total, assessment.above_cutoff, assessment.score["prorated"]) == (18, True, True)
    past = PastScore.objects.in_org(teen.organization_id).get(assessment=assessment)
    assert past.total is None
    teen.refresh_from_db()
    assert (teen.has_baseline, teen.last_assessed_on) == (True, assessment.administered_on)


def test_each_cac_is_rescored_with_its_own_audit_event_and_other_measures_are_untouched(
    teen: Episode,
    clinician: User,
    cac: Organization,
    other_cac: Organization,
    program: Program,
    other_clinician: User,
    revise: Callable[[], Instrument],
) -> None:
    there = register(cac=other_cac, program=program, clinician=other_clinician, case_number="R-2", age=14)
    _phq(teen, clinician, _answers(1, 1, 1, 1, 1, 1, 1, 1, 0))
    _phq(teen, clinician, _answers(0, 0, 0, 0, 0, 0, 0, 0, 0), days=30)
    _phq(there, other_clinician, _answers(3, 3, 3, 3, 0, 0, 0, 0, 0))
    cats = measure(teen, clinician, timepoint="baseline", on=teen.referred_on + timedelta(days=7), symptom=1)
    cats_before = Assessment.objects.in_org(cac).filter(pk=cats.pk).values().get()

    revised = revise()
    _checked, rescored = services.rescore(PHQ)
    assert rescored == 3
    assert services.rescore(CATS) == (1, 0)

    there_phq = Assessment.objects.in_org(other_cac).filter(instrument=PHQ)
    assert list(there_phq.values_list("total", "above_cutoff", "scoring_version")) == [
        (12, True, revised.scoring_version)
    ]
    assert set(Assessment.objects.in_org(cac).filter(instrument=PHQ).values_list("scoring_version", flat=True)) == {
        revised.scoring_version
    }
    assert Assessment.objects.in_org(cac).filter(pk=cats.pk).values().get() == cats_before
    assert sorted((e.organization_id, e.detail["count"]) for e in _rescore_events()) == sorted(
        [(cac.pk, 2), (other_cac.pk, 1)]
    )


def test_each_assessment_is_checked_once(teen: Episode, clinician: User, revise: Callable[[], Instrument]) -> None:
    for days in (7, 14, 21):
        _phq(teen, clinician, _answers(1, 1, 1, 1, 1, 1, 1, 1, 0), days=days)
    revise()
    assert services.rescore(PHQ) == (3, 3)


def test_the_kept_cells_equal_a_recomputation_after_a_rescore(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    clinician: User,
    other_clinician: User,
    revise: Callable[[], Instrument],
) -> None:
    """Completed episodes whose PHQ-A pair crosses 10 and 12: the revised cut-off moves their recovery flags."""
    for where, who, number, (pre, post) in (
        (cac, clinician, "K-1", (11, 2)),
        (cac, clinician, "K-2", (16, 11)),
        (other_cac, other_clinician, "K-3", (13, 1)),
    ):
        episode = register(cac=where, program=program, clinician=who, case_number=number, age=15)
        sessions(episode, who, 3)
        for timepoint, total, day in (("baseline", pre, 7), ("post", post, 21)):
            services.assessment_record(
                actor=who,
                episode=episode,
                instrument_code=PHQ,
                timepoint=timepoint,
                administered_on=episode.referred_on + timedelta(days=day),
                responses=_answers(*_spread(total)),
            )
        episode.refresh_from_db()
        services.episode_close(
            actor=who, episode=episode, status=EpisodeStatus.COMPLETED, closed_on=episode.last_session_on
        )
    assert kept.differences(program) == []

    revise()
    stale = kept.differences(program)
    assert stale and all("change:phq_a|" in line for line in stale)  # the flags read the revised cut-off
    services.rescore(PHQ)
    assert kept.differences(program) == []
    call_command("reporting_verify", stdout=StringIO())  # raises on any difference


def _spread(total: int) -> list[int]:
    """Nine answers of 0-3 adding up to ``total``."""
    return [min(3, max(0, total - 3 * n)) for n in range(9)]


def test_an_answer_critical_under_the_new_definition_gets_its_alert(
    teen: Episode, clinician: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: dict[str, int | None] = {**_answers(1, 1, 1, 1, 1, 1, 1, 1, 0), "s1": 1}
    assessment = _phq(teen, clinician, answers)
    assert not CriticalAlert.objects.in_org(teen.organization_id).exists()
    shipped = instruments._catalog()
    current = shipped[PHQ]
    items = tuple(dataclasses.replace(i, critical_above=0) if i.key == "s1" else i for i in current.items)
    revised = dataclasses.replace(current, scoring_version="s1-critical", items=items)
    monkeypatch.setattr(instruments, "_catalog", lambda: {**shipped, PHQ: revised})

    assert services.rescore(PHQ) == (1, 1)
    alert = CriticalAlert.objects.in_org(teen.organization_id).get()
    assert (alert.assessment_id, alert.item, alert.answer, alert.acknowledged_at) == (assessment.pk, "s1", 1, None)
    (event,) = _rescore_events()
    assert event.detail["alerts"] == 1


# --- The management command --------------------------------------------------------------------------------------


def _command(*args: str) -> str:
    out = StringIO()
    call_command("rescore_assessments", *args, stdout=out)
    return out.getvalue()


def test_the_command_rescores_the_named_instrument(
    teen: Episode, clinician: User, revise: Callable[[], Instrument]
) -> None:
    assessment = _phq(teen, clinician, _answers(1, 1, 1, 1, 2, 2, 1, 1, 0))
    revised = revise()
    assert _command(PHQ) == f"{PHQ}: 1 checked, 1 rescored.\n"
    assessment.refresh_from_db()
    assert assessment.scoring_version == revised.scoring_version
    assert _command(PHQ) == f"{PHQ}: 1 checked, 0 rescored.\n"


def test_the_command_without_arguments_checks_every_instrument(
    teen: Episode, clinician: User, revise: Callable[[], Instrument]
) -> None:
    _phq(teen, clinician, _answers(1, 1, 1, 1, 2, 2, 1, 1, 0))
    revise()
    lines = _command().splitlines()
    assert lines == [
        f"{i.code}: {1 if i.code == PHQ else 0} checked, {1 if i.code == PHQ else 0} rescored."
        for i in instruments.all_instruments()
    ]
    assert f"{PHQ}: 1 checked, 1 rescored." in lines


def test_the_command_refuses_an_unknown_instrument(db: None) -> None:
    with pytest.raises(CommandError) as refused:
        _command("no_such_measure")
    assert str(refused.value) == "Unknown instrument: no_such_measure"
