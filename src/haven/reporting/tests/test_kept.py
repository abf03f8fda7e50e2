"""The kept care cells (``reporting.kept``) always equal a full recomputation from the raw rows.

A stateful property test drives random sequences of care writes through the real services at two CACs in two
states, and definitions revised and rescored, and compares after every step; ``reporting_verify`` is shown to pass
on such a database and to catch a tampered cell; and reliable change read from the kept histograms equals
``measures.change.summarize`` over the (pre, post) pairs themselves.
"""

import dataclasses
import functools
import itertools
import json
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from importlib.resources import files
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from haven.accounts.models import User
from haven.care import services
from haven.care.models import Assessment, Episode, EpisodeStatus, Practice, Session, TreatmentModel
from haven.care.tests.factories import completed_case, register, sessions
from haven.core import changes
from haven.core.changes import CareChanged
from haven.measures import change, instruments
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs import services as program_services
from haven.programs.models import Program
from haven.reporting import figures, kept, served
from haven.reporting.models import CacCell, ProgramCell, StateCell
from haven.training import services as training_services
from haven.training.models import Cohort, Enrollment
from haven.training.tests.factories import nominate

CATS = "cats_7_17_self"
SMFQ = "smfq_child"


def _today() -> date:
    return timezone.now().date()


def _answers(code: str, items: list[int]) -> dict[str, int | None]:
    """Answers from item values, within each item's scale (CATS: one trauma event endorsed, no impairment)."""
    if code == CATS:
        answers: dict[str, int | None] = {f"t{n}": 0 for n in range(1, 16)}
        answers["t1"] = 1
        answers.update({str(n): min(3, value) for n, value in enumerate(items[:20], start=1)})
        answers.update({f"i{n}": 0 for n in range(1, 6)})
        return answers
    return {str(n): min(2, value) for n, value in enumerate(items[:13], start=1)}


# --- The kept cells equal a recomputation, whatever the sequence of care writes -----------------------------------


@pytest.fixture
def nominee(program: Program, cac: Organization, program_admin: User, make_member: Callable[..., User]) -> User:
    """A clinician of the first CAC nominated for the program but not placed in a cohort yet."""
    user = make_member(Role.CLINICIAN, cac, full_name="Noor Nominee")
    nominate(program=program, cac=cac, clinician=user, actor=program_admin)
    return user


def test_kept_cells_equal_a_recomputation_after_any_sequence_of_care_writes(
    cac: Organization,
    other_cac: Organization,
    national: Organization,
    program: Program,
    cohort: Cohort,
    program_admin: User,
    clinician: User,
    colleague: User,
    other_clinician: User,
    nominee: User,
) -> None:
    assert cac.state != other_cac.state
    today = _today()
    models = {m.code: m for m in TreatmentModel.objects.all()}
    staff = {cac.pk: [clinician, colleague, nominee], other_cac.pk: [other_clinician]}
    original_period = (program.starts_on, program.ends_on)
    periods = [
        original_period,
        (program.starts_on, today - timedelta(days=90)),  # ended: later sessions no longer serve a child
        (today - timedelta(days=300), program.ends_on),  # started later: earlier sessions no longer serve one
    ]
    case_numbers = itertools.count(1)

    def episode(episode_id: int) -> Episode:
        return (
            Episode.objects.dangerously_unscoped()
            .select_related("program", "treatment_model", "child")
            .get(pk=episode_id)
        )

    def latest(start: date, offset: int, cap: date) -> date:
        """A day from ``start`` to ``cap``, ``offset`` days in (clamped)."""
        return min(cap, start + timedelta(days=offset))

    class KeptMachine(RuleBasedStateMachine):
        episodes = Bundle("episodes")
        sessions = Bundle("sessions")
        assessments = Bundle("assessments")

        def __init__(self) -> None:
            super().__init__()
            # Each run works inside a savepoint rolled back at teardown: every run starts from the same rows.
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.placed = False
            self.period_changes = 0
            self.children = 0
            self.revisions: list[Any] = []

        def teardown(self) -> None:
            for revision in reversed(self.revisions):
                revision.stop()
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        # A few children a run, so that the steps go to their care rather than to new referrals.
        @precondition(lambda self: self.children < 4)
        @rule(
            target=episodes,
            at_other_cac=st.booleans(),
            days_ago=st.integers(0, 800),
            age=st.integers(3, 17),
            gender=st.sampled_from(["girl", "boy", "not_recorded"]),
            race=st.sampled_from(["white", "black", "not_recorded"]),
            model=st.sampled_from(["tf-cbt", "cftsi"]),
        )
        def register_child(
            self, at_other_cac: bool, days_ago: int, age: int, gender: str, race: str, model: str
        ) -> int:
            where = other_cac if at_other_cac else cac
            self.children += 1
            return services.child_register(
                actor=staff[where.pk][0],
                cac=where,
                program=program,
                case_number=f"K-{next(case_numbers)}",
                clinician=staff[where.pk][0],
                treatment_model=models[model],
                age_at_referral=age,
                gender=gender,
                race_ethnicity=race,
                trauma_types=["physical_abuse"],
                referred_on=today - timedelta(days=days_ago),
            ).pk

        @rule(target=episodes, of=episodes, later=st.integers(0, 200))
        def open_another_episode(self, of: int, later: int) -> int | MultipleResults[int]:
            first = episode(of)
            model = models["cftsi" if first.treatment_model.code == "tf-cbt" else "tf-cbt"]
            if (
                Episode.objects.in_org(first.organization_id)
                .filter(child=first.child, treatment_model=model, status=EpisodeStatus.OPEN)
                .exists()
            ):
                return multiple()  # the child has an open episode of that model: nothing to open
            return services.episode_open(
                actor=first.clinician,
                child=first.child,
                program=program,
                clinician=first.clinician,
                treatment_model=model,
                referred_on=latest(first.referred_on, later, today),
            ).pk

        @rule(
            target=sessions,
            of=episodes,
            offset=st.integers(0, 400),
            kind=st.sampled_from(["child", "caregiver", "conjoint"]),
            present=st.booleans(),
            components=st.sets(st.sampled_from(Practice.values)),
        )
        def record_session(self, of: int, offset: int, kind: str, present: bool, components: set[str]) -> int:
            current = episode(of)
            return services.session_record(
                actor=current.clinician,
                episode=current,
                held_on=latest(current.referred_on, offset, current.closed_on or today),
                minutes=50,
                kind=kind,
                components=components if current.treatment_model.uses_practice else [],
                caregiver_present=present,
                modality="in_person",
            ).pk

        @rule(session_id=consumes(sessions))
        def delete_session(self, session_id: int) -> None:
            session = Session.objects.dangerously_unscoped().select_related("episode__program").get(pk=session_id)
            services.session_delete(actor=session.clinician, session=session)

        @rule(
            target=assessments,
            of=episodes,
            code=st.sampled_from([CATS, SMFQ]),
            timepoint=st.sampled_from(["baseline", "post", "periodic"]),
            items=st.lists(st.integers(0, 3), min_size=20, max_size=20),
            offset=st.integers(0, 400),
        )
        def record_measure(self, of: int, code: str, timepoint: str, items: list[int], offset: int) -> int:
            current = episode(of)
            return services.assessment_record(
                actor=current.clinician,
                episode=current,
                instrument_code=code,
                timepoint=timepoint,
                administered_on=latest(current.referred_on, offset, current.closed_on or today),
                responses=_answers(code, items),
            ).pk

        @rule(assessment_id=consumes(assessments))
        def delete_measure(self, assessment_id: int) -> None:
            assessment = (
                Assessment.objects.dangerously_unscoped().select_related("episode__program").get(pk=assessment_id)
            )
            services.assessment_delete(actor=assessment.recorded_by, assessment=assessment)

        @rule(of=episodes, completed=st.booleans(), offset=st.integers(0, 100))
        def close(self, of: int, completed: bool, offset: int) -> None:
            current = episode(of)
            if current.status != EpisodeStatus.OPEN:
                return
            start = max(current.referred_on, current.last_session_on or current.referred_on)
            services.episode_close(
                actor=current.clinician,
                episode=current,
                status=EpisodeStatus.COMPLETED if completed else EpisodeStatus.ENDED,
                closed_on=latest(start, offset, today),
                reason="" if completed else "stopped_attending",
            )

        @rule(of=episodes)
        def reopen(self, of: int) -> None:
            current = episode(of)
            if current.status == EpisodeStatus.OPEN:
                return
            services.episode_reopen(actor=current.clinician, episode=current)

        @rule(of=episodes, to=st.integers(0, 2))
        def hand_over(self, of: int, to: int) -> None:
            current = episode(of)
            receiver = staff[current.organization_id][to % len(staff[current.organization_id])]
            if current.status != EpisodeStatus.OPEN or receiver.pk == current.clinician_id:
                return
            services.episode_handover(actor=current.clinician, episode=current, to_clinician=receiver)

        @precondition(lambda self: not self.placed)
        @rule()
        def place_the_nominee(self) -> None:
            enrollment = Enrollment.objects.in_org(cac).get(clinician=nominee)
            training_services.enrollment_place(actor=program_admin, enrollment=enrollment, cohort=cohort)
            self.placed = True

        @rule(
            of=episodes,
            pre=st.lists(st.integers(0, 3), min_size=20, max_size=20),
            post=st.lists(st.integers(0, 3), min_size=20, max_size=20),
            code=st.sampled_from([CATS, SMFQ]),
        )
        def complete_with_measures(self, of: int, pre: list[int], post: list[int], code: str) -> None:
            """The common course: a baseline, a post measure on the last session, and the episode completed."""
            current = episode(of)
            if current.status != EpisodeStatus.OPEN:
                return
            if current.last_session_on is None:
                self.record_session(of, 7, "child", False, set())
                current = episode(of)
            for timepoint, items, day in (
                ("baseline", pre, current.first_session_on),
                ("post", post, current.last_session_on),
            ):
                services.assessment_record(
                    actor=current.clinician,
                    episode=current,
                    instrument_code=code,
                    timepoint=timepoint,
                    administered_on=day,
                    responses=_answers(code, items),
                )
            current.refresh_from_db()
            services.episode_close(
                actor=current.clinician,
                episode=current,
                status=EpisodeStatus.COMPLETED,
                closed_on=current.last_session_on,
            )

        # A period change recounts the whole program: twice a run at most, so the care writes get the steps.
        @precondition(lambda self: self.period_changes < 2)
        @rule(period=st.sampled_from(periods))
        def change_the_programs_period(self, period: tuple[date, date]) -> None:
            self.period_changes += 1
            program.refresh_from_db()
            program_services.program_save(
                actor=program_admin,
                organization=national,
                program=program,
                name=program.name,
                description=program.description,
                starts_on=period[0],
                ends_on=period[1],
                funders=[],
                targets={},
            )

        # A definition moves its cut-off under a new scoring version, and the measures are rescored. The new
        # cut-off is chosen to move a stored baseline score across it where there is one.
        @precondition(lambda self: len(self.revisions) < 2)
        @rule(code=st.sampled_from([CATS, SMFQ]), cutoff=st.integers(16, 26), pick=st.integers(0, 50))
        def revise_a_definition_and_rescore(self, code: str, cutoff: int, pick: int) -> None:
            current = instruments.load(code)
            baselines = sorted(
                Assessment.objects.of_program(program)
                .filter(instrument=code, timepoint="baseline", total__isnull=False)
                .values_list("total", flat=True)
            )
            if baselines:
                score = baselines[pick % len(baselines)]
                moved = score + 1 if current.cutoff is not None and score >= current.cutoff else score
                floor = current.bands[-2].minimum + 1
                cutoff = min(current.total_maximum, max(floor, moved))
            name = f"{code.replace('_', '-')}.json"
            data = json.loads(files("haven.measures").joinpath("instruments", name).read_text(encoding="utf-8"))
            data["bands"][-1]["minimum"] = cutoff
            data["scoring_version"] = f"revised-{len(self.revisions) + 1}"
            catalog = {**instruments._catalog(), code: instruments.parse(data, name=name)}
            self.revisions.append(mock.patch.object(instruments, "_catalog", lambda: catalog))
            self.revisions[-1].start()
            services.rescore(code)

        @invariant()
        def kept_equals_recomputed(self) -> None:
            program.refresh_from_db()
            assert kept.differences(program) == []
            assert served.kept(program) == served.recompute(program)

    run_state_machine_as_test(KeptMachine, settings=settings(max_examples=12, deadline=None, stateful_step_count=15))
    # Every run was rolled back.
    assert not Episode.objects.of_program(program).exists()
    assert not CacCell.objects.of_program(program).exists()
    assert not ProgramCell.objects.of_program(program).exists()


# --- A write that names its days recounts only their months, and misses none ---------------------------------------


def _session(episode: Episode, held_on: date) -> None:
    sessions(Episode.objects.in_org(episode.organization_id).get(pk=episode.pk), episode.clinician, 1, start=held_on)


def _cell(cac: Organization, program: Program, figure: str) -> dict[tuple[date, str], int]:
    rows = CacCell.objects.in_org(cac).filter(program=program, figure=figure)
    return {(month, key): n for month, key, n in rows.values_list("month", "key", "n")}


def test_a_session_of_a_completed_episode_moves_the_months_it_was_completed_in(
    cac: Organization, program: Program, clinician: User
) -> None:
    """A session months before the close changes the episode's length, counted in the month it closed."""
    today = _today()
    episode = register(cac=cac, program=program, clinician=clinician, referred_on=today - timedelta(days=300))
    for days_ago in (280, 240):
        _session(episode, today - timedelta(days=days_ago))
    episode.refresh_from_db()
    services.episode_close(
        actor=clinician, episode=episode, status=EpisodeStatus.COMPLETED, closed_on=today - timedelta(days=10)
    )
    closed = date(*(today - timedelta(days=10)).timetuple()[:2], 1)
    assert _cell(cac, program, "length") == {(closed, "2"): 1}

    _session(episode, today - timedelta(days=120))
    assert _cell(cac, program, "length") == {(closed, "3"): 1}
    assert kept.differences(program) == []
    added = Session.objects.in_org(cac).get(episode=episode, held_on=today - timedelta(days=120))
    services.session_delete(actor=clinician, session=added)
    assert _cell(cac, program, "length") == {(closed, "2"): 1}
    assert kept.differences(program) == []


def test_a_write_through_an_episode_read_before_another_write_still_moves_the_right_months(
    cac: Organization, program: Program, clinician: User
) -> None:
    """The episode a page read may be older than the last write: the days that write moved are read again under
    the episode's lock, not taken from the page's copy. Here the copy has no first session; another write gave it
    one in one month, and this write gives it an earlier one in another: the start moves from one to the other.
    (The child was first served by another episode before both: the served rows name neither month.)"""
    today = _today()
    episode = register(cac=cac, program=program, clinician=clinician, referred_on=today - timedelta(days=300))
    earlier = services.episode_open(
        actor=clinician,
        child=episode.child,
        program=program,
        clinician=clinician,
        treatment_model=TreatmentModel.objects.get(code="cftsi"),
        referred_on=today - timedelta(days=300),
    )
    _session(earlier, today - timedelta(days=250))
    read_by_the_page = Episode.objects.in_org(cac).get(pk=episode.pk)
    _session(episode, today - timedelta(days=100))
    sessions(read_by_the_page, clinician, 1, start=today - timedelta(days=200))
    started = _cell(cac, program, "started")
    assert started[date(*(today - timedelta(days=200)).timetuple()[:2], 1), ""] == 1
    assert (date(*(today - timedelta(days=100)).timetuple()[:2], 1), "") not in started
    assert kept.differences(program) == []


def test_closing_and_reopening_through_a_page_read_before_another_users_close_act_on_the_committed_close(
    cac: Organization, program: Program, clinician: User
) -> None:
    """Two pages on one episode: while one was open, the other reopened the episode and closed it again, in
    another month. Reopening through the older page undoes the close that was committed (its month is counted
    again), and closing through a page that still shows the episode open is refused."""
    today = _today()
    episode = register(cac=cac, program=program, clinician=clinician, referred_on=today - timedelta(days=300))
    _session(episode, today - timedelta(days=250))
    close = functools.partial(services.episode_close, actor=clinician, status=EpisodeStatus.COMPLETED)
    close(episode=Episode.objects.in_org(cac).get(pk=episode.pk), closed_on=today - timedelta(days=200))
    older_page = Episode.objects.in_org(cac).get(pk=episode.pk)
    services.episode_reopen(actor=clinician, episode=Episode.objects.in_org(cac).get(pk=episode.pk))
    open_page = Episode.objects.in_org(cac).get(pk=episode.pk)
    close(episode=Episode.objects.in_org(cac).get(pk=episode.pk), closed_on=today - timedelta(days=100))

    with pytest.raises(ValidationError):
        close(episode=open_page, closed_on=today - timedelta(days=50))
    services.episode_reopen(actor=clinician, episode=older_page)
    assert _cell(cac, program, "completed") == {}
    assert kept.differences(program) == []


def test_a_cac_moved_to_another_state_takes_every_cell_with_it_at_its_next_write(
    cac: Organization, other_cac: Organization, program: Program, clinician: User
) -> None:
    """Haven's screens never move a CAC, but an operator may correct its state: the next write, however little it
    names, moves all its cells, and both states' sums follow."""
    today = _today()
    episode = register(cac=cac, program=program, clinician=clinician, referred_on=today - timedelta(days=300))
    _session(episode, today - timedelta(days=200))
    Organization.objects.filter(pk=cac.pk).update(state=other_cac.state)
    _session(episode, today - timedelta(days=100))
    assert set(CacCell.objects.in_org(cac).filter(program=program).values_list("state", flat=True)) == {other_cac.state}
    assert not StateCell.objects.of_program(program).filter(state=cac.state).exists()
    assert kept.differences(program) == []


def test_a_cacs_cells_and_its_states_sum_are_written_as_records_are(
    cac: Organization, other_cac: Organization, program: Program, clinician: User, other_clinician: User
) -> None:
    """By example: two completed cases in one state and one in the other, each state summing its CACs."""
    for n in range(2):
        completed_case(cac=cac, program=program, clinician=clinician, case_number=f"E-{n}")
    completed_case(cac=other_cac, program=program, clinician=other_clinician, case_number="E-9")

    def by_state(figure: str) -> dict[str, int]:
        rows = StateCell.objects.of_program(program).filter(figure=figure, key="").values_list("state", "n")
        result: Counter[str] = Counter()
        for state, n in rows:
            result[state] += n
        return dict(result)

    for figure in ("children", "caregivers", "referred", "started", "completed", "pre_post", "practice_episodes"):
        assert by_state(figure) == {cac.state: 2, other_cac.state: 1}, figure
    assert by_state("sessions") == {cac.state: 8, other_cac.state: 4}
    # The program's cells are the states' sums.
    program_sessions = ProgramCell.objects.of_program(program).filter(figure="sessions").values_list("n", flat=True)
    assert sum(program_sessions) == 12
    assert kept.differences(program) == []


# --- reporting_verify -------------------------------------------------------------------------------------------


@pytest.fixture
def cases(cac: Organization, other_cac: Organization, program: Program, clinician: User, other_clinician: User) -> None:
    completed_case(cac=cac, program=program, clinician=clinician, case_number="V-1")
    completed_case(cac=other_cac, program=program, clinician=other_clinician, case_number="V-2", caregiver=False)


def test_reporting_verify_passes_on_kept_figures(cases: None, program: Program) -> None:
    out = StringIO()
    call_command("reporting_verify", stdout=out, stderr=StringIO())
    assert out.getvalue() == (f"Program {program.pk}: 2 children served and every figure cell equal the raw rows.\n")


def test_reporting_verify_fails_on_a_tampered_cac_cell(cases: None, program: Program, cac: Organization) -> None:
    cell = CacCell.objects.in_org(cac).get(program=program, figure="children", key="")
    assert cell.n == 1
    CacCell.objects.in_org(cac).filter(pk=cell.pk).update(n=5)
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("reporting_verify", stdout=StringIO(), stderr=err)
    assert str(failed.value) == "1 kept figures differ from the raw rows."
    assert err.getvalue() == (f"Program {program.pk}: CAC {cac.pk} {cell.month:%Y-%m} children:: kept 5, raw rows 1\n")


def test_reporting_verify_fails_on_a_missing_state_cell(cases: None, program: Program, other_cac: Organization) -> None:
    StateCell.objects.of_program(program).filter(state=other_cac.state, figure="completed").delete()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("reporting_verify", stdout=StringIO(), stderr=err)
    assert f"{other_cac.state} " in err.getvalue()
    assert "completed:: kept 0, raw rows 1" in err.getvalue()


def test_a_care_write_nobody_keeps_leaves_figures_the_checks_catch(
    cac: Organization, program: Program, clinician: User
) -> None:
    """The comparisons are not vacuous: with no keeper of care's changes (as if reporting had not registered its
    own), a completed case leaves children served and the cells behind, and the checks name both."""
    with changes.kept_by({CareChanged: []}):
        completed_case(cac=cac, program=program, clinician=clinician, case_number="K-1")
    assert served.kept(program) == {}
    assert len(served.recompute(program)) == 1
    assert kept.differences(program) != []
    with pytest.raises(CommandError):
        call_command("reporting_verify", stdout=StringIO(), stderr=StringIO())


# --- Reliable change from the kept histograms -------------------------------------------------------------------


def _histograms(
    code: str, threshold: float | None, pairs: list[tuple[int, int]]
) -> tuple[dict[str, int], dict[str, int]]:
    """The ``change`` and ``pre`` cells of ``pairs``, keyed as ``kept.compute`` keys them."""
    changes: Counter[str] = Counter()
    pres: Counter[str] = Counter()
    for pre, post in pairs:
        eligible = threshold is not None and pre >= threshold
        below = threshold is not None and post < threshold
        changes[f"{code}|{post - pre}|{int(eligible)}|{int(below)}"] += 1
        pres[f"{code}|{pre}"] += 1
    return dict(changes), dict(pres)


def _assert_same(from_cells: change.Outcomes, from_pairs: change.Outcomes) -> None:
    assert from_cells.n == from_pairs.n
    assert from_cells.counts == from_pairs.counts
    assert from_cells.eligible_for_recovery == from_pairs.eligible_for_recovery
    assert from_cells.recovered == from_pairs.recovered
    assert from_cells.sd_source == from_pairs.sd_source
    assert from_cells.threshold == from_pairs.threshold
    for name in ("mean_pre", "mean_post", "mean_change", "effect_size", "sd_pre"):
        mine, theirs = getattr(from_cells, name), getattr(from_pairs, name)
        assert (mine is None) == (theirs is None), name
        if mine is not None:
            assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-9), name


@st.composite
def instrument_and_pairs(draw: Any) -> tuple[instruments.Instrument, list[tuple[int, int]]]:
    """A shipped instrument as it is, or given population norms and Jacobson and Truax's criterion a, b or c."""
    instrument = draw(st.sampled_from(instruments.all_instruments()))
    criterion = draw(st.sampled_from([None, change.Criterion.A, change.Criterion.B, change.Criterion.C]))
    if criterion is not None:
        top = instrument.total_maximum
        clinical = change.Population(draw(st.floats(top / 2, top)), draw(st.floats(1, top / 4)), "clinical sample")
        community = change.Population(draw(st.floats(0, top / 2)), draw(st.floats(1, top / 4)), "community sample")
        norms = dataclasses.replace(instrument.norms, dysfunctional=clinical, functional=community)
        instrument = dataclasses.replace(instrument, norms=norms, criterion=criterion)
    score = st.integers(instrument.total_minimum, instrument.total_maximum)
    pairs = draw(st.lists(st.tuples(score, score), min_size=1, max_size=40))
    return instrument, pairs


@settings(max_examples=150, deadline=None)
@given(instrument_and_pairs())
def test_reliable_change_from_the_kept_histograms_equals_the_pairs(
    case: tuple[instruments.Instrument, list[tuple[int, int]]],
) -> None:
    instrument, pairs = case
    changes, pres = _histograms(instrument.code, instrument.threshold, pairs)
    rows = []
    for key, n in changes.items():
        _code, delta, eligible, below = key.split("|")
        rows.append((int(delta), eligible == "1", below == "1", n))
    scores = [(int(key.split("|")[1]), n) for key, n in pres.items()]
    expected = change.summarize(
        pairs, sd_pre=instrument.norms.sd_pre, reliability=instrument.norms.reliability, threshold=instrument.threshold
    )
    _assert_same(figures.summarize(rows, scores, instrument=instrument), expected)
    if instrument == instruments.load(instrument.code):  # a shipped definition: the whole reading of the cells
        [outcome] = figures.outcomes(changes, pres)
        assert outcome.code == instrument.code
        _assert_same(outcome.outcome, expected)


@settings(max_examples=100, deadline=None)
@given(
    instrument_and_pairs(),
    st.floats(min_value=0.5, max_value=20, allow_nan=False, allow_infinity=False),
)
def test_reliable_change_with_a_published_sd_equals_the_pairs(
    case: tuple[instruments.Instrument, list[tuple[int, int]]], sd: float
) -> None:
    """An instrument whose norms publish the baseline SD: both sides judge change with it."""
    base, pairs = case
    instrument = dataclasses.replace(base, norms=dataclasses.replace(base.norms, sd_pre=sd))
    changes, pres = _histograms(instrument.code, instrument.threshold, pairs)
    rows = []
    for key, n in changes.items():
        _code, delta, eligible, below = key.split("|")
        rows.append((int(delta), eligible == "1", below == "1", n))
    scores = [(int(key.split("|")[1]), n) for key, n in pres.items()]
    from_cells = figures.summarize(rows, scores, instrument=instrument)
    expected = change.summarize(
        pairs, sd_pre=sd, reliability=instrument.norms.reliability, threshold=instrument.threshold
    )
    assert from_cells.sd_source == change.PUBLISHED
    _assert_same(from_cells, expected)


def test_the_kept_pairs_of_a_program_give_its_outcomes(cac: Organization, program: Program, clinician: User) -> None:
    """End to end: completed cases' first baseline and last post, read back from the cells, as from the pairs."""
    pairs = [(40, 0), (40, 20), (20, 40), (60, 20)]
    for n, (pre, post) in enumerate(pairs):
        episode = services.child_register(
            actor=clinician,
            cac=cac,
            program=program,
            case_number=f"O-{n}",
            clinician=clinician,
            treatment_model=TreatmentModel.objects.get(code="tf-cbt"),
            age_at_referral=12,
            gender="boy",
            race_ethnicity="white",
            trauma_types=["sexual_abuse"],
            referred_on=_today() - timedelta(days=120),
        )
        day = episode.referred_on + timedelta(days=7)
        services.session_record(
            actor=clinician,
            episode=episode,
            held_on=day,
            minutes=60,
            kind="child",
            components=[],
            caregiver_present=False,
            modality="in_person",
        )
        for timepoint, total in (("baseline", pre), ("post", post)):
            services.assessment_record(
                actor=clinician,
                episode=episode,
                instrument_code=CATS,
                timepoint=timepoint,
                administered_on=day,
                responses=_answers(CATS, [total // 20] * 20),
            )
        episode.refresh_from_db()
        services.episode_close(actor=clinician, episode=episode, status=EpisodeStatus.COMPLETED, closed_on=day)
    reached = figures.care(program, figures.Filters())
    [outcome] = reached.outcomes
    instrument = instruments.load(CATS)
    expected = change.summarize(
        pairs, sd_pre=None, reliability=instrument.norms.reliability, threshold=instrument.threshold
    )
    _assert_same(outcome.outcome, expected)
    assert reached.pre_post == 4


def test_reporting_verify_fails_on_a_tampered_program_cell(cases: None, program: Program) -> None:
    cell = ProgramCell.objects.of_program(program).get(figure="referred", key="")
    assert cell.n == 2
    ProgramCell.objects.of_program(program).filter(pk=cell.pk).update(n=3)
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("reporting_verify", stdout=StringIO(), stderr=err)
    assert str(failed.value) == "1 kept figures differ from the raw rows."
    assert err.getvalue() == f"Program {program.pk}: program {cell.month:%Y-%m} referred:: kept 3, raw rows 2\n"
