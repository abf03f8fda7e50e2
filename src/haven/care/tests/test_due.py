"""When an episode's next measure is due and when it is overdue: one rule (``care.due``), read by the caseload, the
episode page and the clinician's to-do list."""

from collections.abc import Callable
from datetime import date, timedelta

from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from hypothesis import given
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.care.due import Kind, MeasureFacts, Schedule, State, measure_due
from haven.care.models import Episode
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.training.tests.pages import facts, table

from .factories import measure, register, sessions

TF_CBT = Schedule(remeasure_days=90, grace_days=14)
REFERRED = date(2026, 3, 2)

days = st.integers(0, 400)
schedules = st.builds(Schedule, remeasure_days=st.integers(7, 180), grace_days=st.integers(0, 30))


@st.composite
def open_facts(draw: st.DrawFn) -> MeasureFacts:
    first = draw(st.none() | days)
    measured = draw(st.none() | days)
    return MeasureFacts(
        status="open",
        referred_on=REFERRED,
        first_session_on=None if first is None else REFERRED + timedelta(days=first),
        closed_on=None,
        has_baseline=measured is not None and draw(st.booleans()),
        has_post=False,
        last_assessed_on=None if measured is None else REFERRED + timedelta(days=measured),
    )


def test_a_new_referral_is_due_a_baseline_and_not_yet_overdue() -> None:
    facts = MeasureFacts("open", REFERRED, None, None, False, False, None)
    due = measure_due(facts, TF_CBT, today=REFERRED + timedelta(days=60))
    assert (due.kind, due.state, due.due_on, due.overdue_on) == (Kind.BASELINE, State.DUE, REFERRED, None)


def test_treatment_that_runs_past_the_grace_days_without_a_baseline_makes_it_overdue() -> None:
    first = REFERRED + timedelta(days=10)
    facts = MeasureFacts("open", REFERRED, first, None, False, False, None)
    assert measure_due(facts, TF_CBT, today=first + timedelta(days=13)).state == State.DUE
    overdue = measure_due(facts, TF_CBT, today=first + timedelta(days=14))
    assert (overdue.state, overdue.overdue_on) == (State.OVERDUE, first + timedelta(days=14))


def test_a_periodic_measure_falls_due_after_the_interval_and_is_overdue_after_the_grace_days() -> None:
    last = REFERRED + timedelta(days=20)
    facts = MeasureFacts("open", REFERRED, REFERRED + timedelta(days=7), None, True, False, last)
    later = measure_due(facts, TF_CBT, today=last + timedelta(days=89))
    assert (later.kind, later.state, later.due_on) == (Kind.PERIODIC, State.LATER, last + timedelta(days=90))
    assert measure_due(facts, TF_CBT, today=last + timedelta(days=90)).state == State.DUE
    assert measure_due(facts, TF_CBT, today=last + timedelta(days=103)).state == State.DUE
    assert measure_due(facts, TF_CBT, today=last + timedelta(days=104)).state == State.OVERDUE


def test_a_completed_episode_without_a_post_measure_is_overdue_then_missed() -> None:
    closed = REFERRED + timedelta(days=120)
    facts = MeasureFacts("completed", REFERRED, REFERRED, closed, True, False, REFERRED)
    overdue = measure_due(facts, TF_CBT, today=closed)
    assert (overdue.kind, overdue.state) == (Kind.POST, State.OVERDUE)
    assert overdue.due_on == overdue.overdue_on == closed
    assert measure_due(facts, TF_CBT, today=closed + timedelta(days=13)).state == State.OVERDUE
    assert measure_due(facts, TF_CBT, today=closed + timedelta(days=14)).state == State.MISSED


def test_nothing_is_due_of_an_episode_ended_early_or_completed_with_its_post_measure() -> None:
    ended = MeasureFacts("ended", REFERRED, REFERRED, REFERRED, False, False, None)
    done = MeasureFacts("completed", REFERRED, REFERRED, REFERRED, True, True, REFERRED)
    for episode in (ended, done):
        due = measure_due(episode, TF_CBT, today=REFERRED)
        assert (due.kind, due.state, due.due_on) == (Kind.NONE, State.NONE, None)


@given(open_facts(), schedules, days, days)
def test_time_only_moves_a_measure_from_later_to_due_to_overdue(
    facts: MeasureFacts, schedule: Schedule, first: int, second: int
) -> None:
    order = [State.LATER, State.DUE, State.OVERDUE]
    early, late = sorted((first, second))
    before = measure_due(facts, schedule, today=REFERRED + timedelta(days=early))
    after = measure_due(facts, schedule, today=REFERRED + timedelta(days=late))
    assert before.kind == after.kind
    assert order.index(before.state) <= order.index(after.state)


@given(open_facts(), schedules, days)
def test_the_state_follows_the_dates(facts: MeasureFacts, schedule: Schedule, offset: int) -> None:
    today = REFERRED + timedelta(days=offset)
    due = measure_due(facts, schedule, today=today)
    assert due.due_on is not None
    assert due.kind == (Kind.PERIODIC if facts.has_baseline else Kind.BASELINE)
    if due.kind == Kind.PERIODIC:
        assert facts.last_assessed_on is not None
        assert due.due_on == facts.last_assessed_on + timedelta(days=schedule.remeasure_days)
    if due.overdue_on is not None:
        assert due.overdue_on >= due.due_on
    expected = (
        State.OVERDUE
        if due.overdue_on is not None and today >= due.overdue_on
        else State.DUE
        if today >= due.due_on
        else State.LATER
    )
    assert due.state == expected
    assert due.listed == (due.state in (State.DUE, State.OVERDUE))


def test_the_caseload_and_the_episode_say_what_is_due_and_flag_what_is_overdue(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    today = timezone.now().date()
    new = register(cac=cac, program=program, clinician=clinician, case_number="new", referred_on=today)
    started = register(cac=cac, program=program, clinician=clinician, case_number="started")
    sessions(started, clinician, 1, start=today - timedelta(days=20))
    measured = register(cac=cac, program=program, clinician=clinician, case_number="measured")
    sessions(measured, clinician, 1, start=today - timedelta(days=150))
    measure(measured, clinician, timepoint="baseline", on=today - timedelta(days=110), symptom=2)
    recent = register(cac=cac, program=program, clinician=clinician, case_number="recent")
    sessions(recent, clinician, 1, start=today - timedelta(days=150))
    measure(recent, clinician, timepoint="baseline", on=today - timedelta(days=95), symptom=2)

    client = signed_in(clinician)
    rows = {row[0]: row for row in table(client.get("/care/"))[1:]}

    def shown(episode: Episode) -> str:
        episode.refresh_from_db()
        return rows[episode.child.display_code][6]

    def short(day: date) -> str:
        return date_format(day, "SHORT_DATE_FORMAT")

    assert shown(new) == "Baseline due"
    assert shown(started) == f"Baseline overdue since {short(today - timedelta(days=6))}"
    # Measured 110 days ago: due 90 days later (20 days ago), overdue 14 days after that (6 days ago).
    assert shown(measured) == f"Periodic measure overdue since {short(today - timedelta(days=6))}"
    assert shown(recent) == f"Periodic measure due since {short(today - timedelta(days=5))}"
    page = client.get("/care/").content.decode()
    assert page.count('class="measure-overdue"') == 2
    assert facts(client.get(f"/care/episodes/{new.pk}/"))["Next measure"] == "Baseline due"
