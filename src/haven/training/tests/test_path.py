"""The certification rules: 9 of 12 calls over 6 months (twice a month) or 12 (monthly), the 2-year window, the
6-month retake, derived status."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from haven.core.dates import add_months
from haven.training.path import (
    PathFacts,
    PathRules,
    Requirement,
    Status,
    calls_counted,
    consultation_met_on,
    dated,
    evaluate,
    on,
    retake_allowed,
)
from haven.training.schedule import consultation_dates

RULES = PathRules()
LIVE = date(2025, 3, 10)
# The twelve calls of a twice-monthly cohort: every half month from 25 March 2025 to 10 September 2025.
TWICE = tuple(consultation_dates(live_training_on=LIVE, schedule="twice_monthly"))
MONTHLY = tuple(consultation_dates(live_training_on=LIVE, schedule="monthly"))


def _facts(**overrides: object) -> PathFacts:
    """Two days of live training, the course, and the first nine of a twice-monthly cohort's twelve calls."""
    base: dict[str, object] = {
        "online_course_on": date(2025, 2, 1),
        "live_training_on": LIVE,
        "live_training_days": 2,
        "calls_attended": TWICE[:9],
        "calls_held": TWICE,
        "call_schedule": "twice_monthly",
        "placed": True,
    }
    base.update(overrides)
    return PathFacts(**base)  # type: ignore[arg-type]


def test_nine_of_twelve_calls_over_six_months_make_a_clinician_trained() -> None:
    assert TWICE[-1] == date(2025, 9, 10) == add_months(LIVE, 6)
    state = evaluate(RULES, _facts())
    assert state.status == Status.TRAINED
    step = state.step(Requirement.CONSULTATION)
    assert step.progress == (9, 9)
    assert step.due_by == date(2027, 3, 10)
    assert step.runs_until == date(2025, 9, 10)
    # The ninth call was on 25 July; the consultation ran its six months on 10 September, the twelfth call, which
    # the clinician need not attend.
    assert TWICE[8] == date(2025, 7, 25)
    assert step.done_on == state.trained_on == date(2025, 9, 10)


def test_nine_calls_within_three_months_are_not_enough() -> None:
    weekly = tuple(LIVE + timedelta(days=7 * i) for i in range(1, 13))  # twelve calls in twelve weeks
    state = evaluate(RULES, _facts(calls_attended=weekly[:9], calls_held=weekly))
    assert state.status == Status.ENROLLED
    step = state.step(Requirement.CONSULTATION)
    assert (step.done, step.progress, step.runs_until) == (False, (9, 9), date(2025, 9, 10))
    # Once a call of the cohort is held six months after the live training, the same nine calls suffice.
    later = evaluate(RULES, _facts(calls_attended=weekly[:9], calls_held=(*weekly, date(2025, 9, 12))))
    assert later.status == Status.TRAINED
    assert later.trained_on == date(2025, 9, 12)


def test_a_consultation_not_yet_run_its_length_is_not_met_on_the_day_read() -> None:
    assert evaluate(RULES, _facts(as_of=date(2025, 9, 9))).status == Status.ENROLLED
    assert evaluate(RULES, _facts(as_of=date(2025, 9, 10))).status == Status.TRAINED


def test_monthly_calls_run_twelve_months() -> None:
    assert MONTHLY[-1] == add_months(LIVE, 12)
    nine = evaluate(RULES, _facts(call_schedule="monthly", calls_attended=MONTHLY[:9], calls_held=MONTHLY[:9]))
    assert nine.status == Status.ENROLLED
    assert nine.step(Requirement.CONSULTATION).runs_until == date(2026, 3, 10)
    twelve = evaluate(RULES, _facts(call_schedule="monthly", calls_attended=MONTHLY[:9], calls_held=MONTHLY))
    assert twelve.status == Status.TRAINED
    assert twelve.trained_on == date(2026, 3, 10)
    # Twelve calls in six months on a monthly schedule: the consultation has not run its twelve months.
    assert consultation_met_on(RULES, _facts(call_schedule="monthly", calls_attended=TWICE)) is None


def test_the_lengths_are_program_data() -> None:
    shorter = PathRules(consultation_months_twice_monthly=4)
    weekly = tuple(LIVE + timedelta(days=7 * i) for i in range(1, 19))  # four months of weekly calls
    assert evaluate(shorter, _facts(calls_attended=weekly[:9], calls_held=weekly)).trained_on == date(2025, 7, 14)
    assert evaluate(RULES, _facts(calls_attended=weekly[:9], calls_held=weekly)).status == Status.ENROLLED


def test_eight_calls_are_not_enough() -> None:
    state = evaluate(RULES, _facts(calls_attended=TWICE[:8]))
    assert state.status == Status.ENROLLED
    assert state.step(Requirement.CONSULTATION).progress == (8, 9)


def test_one_day_of_live_training_does_not_count_but_a_six_month_collaborative_does() -> None:
    assert evaluate(RULES, _facts(live_training_days=1)).status == Status.ENROLLED
    assert evaluate(RULES, _facts(live_training_days=1, collaborative_months=5)).status == Status.ENROLLED
    assert evaluate(RULES, _facts(live_training_days=1, collaborative_months=6)).status == Status.TRAINED


def test_calls_outside_the_two_year_window_do_not_count() -> None:
    late = tuple(add_months(LIVE, 24) + timedelta(days=i) for i in range(1, 10))
    before = tuple(LIVE - timedelta(days=i) for i in range(1, 10))
    assert calls_counted(RULES, _facts(calls_attended=late + before)) == 0
    on_the_last_day = (add_months(LIVE, 24),)
    assert calls_counted(RULES, _facts(calls_attended=on_the_last_day)) == 1
    # Nine calls in time, but the consultation ran six months only after the window closed.
    assert evaluate(RULES, _facts(calls_held=TWICE[:9] + late)).status == Status.ENROLLED


def test_certified_needs_every_prerequisite() -> None:
    recorded = {"certified_on": date(2026, 6, 1)}
    assert evaluate(RULES, _facts(**recorded)).status == Status.TRAINED
    complete = _facts(
        **recorded,
        completed_cases=3,
        completed_cases_with_caregiver=2,
        test_attempts=((date(2026, 5, 1), True),),
    )
    state = evaluate(RULES, complete)
    assert state.status == Status.CERTIFIED
    assert state.certification_expires_on == date(2031, 6, 1)
    assert state.renewal_reminders == (date(2030, 12, 3), date(2031, 4, 2))
    only_one_with_caregiver = _facts(
        **recorded, completed_cases=3, completed_cases_with_caregiver=1, test_attempts=((date(2026, 5, 1), True),)
    )
    assert evaluate(RULES, only_one_with_caregiver).status == Status.TRAINED


def test_a_failed_test_may_be_retaken_after_six_months() -> None:
    facts = _facts(test_attempts=((date(2025, 8, 31), False),))
    assert not retake_allowed(RULES, facts, date(2026, 2, 27))
    assert retake_allowed(RULES, facts, date(2026, 2, 28))
    assert evaluate(RULES, facts).step(Requirement.KNOWLEDGE_TEST).available_from == date(2026, 2, 28)


def test_withdrawn_wins_over_everything() -> None:
    assert evaluate(RULES, _facts(withdrawn=True)).status == Status.WITHDRAWN


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
call_lists = st.lists(dates, max_size=30).map(tuple)


@given(calls=call_lists, extra=dates)
def test_attending_another_call_never_lowers_the_count(calls: tuple[date, ...], extra: date) -> None:
    before = calls_counted(RULES, _facts(calls_attended=calls))
    after = calls_counted(RULES, _facts(calls_attended=(*calls, extra)))
    assert before <= after <= RULES.calls_counted


schedules = st.sampled_from(["twice_monthly", "monthly"])


def _runs_its_length(held: tuple[date, ...], schedule: str) -> bool:
    """A call held from 6 (twice a month) or 12 (monthly) months after the live training, within 2 years."""
    length = add_months(LIVE, 6 if schedule == "twice_monthly" else 12)
    return any(length <= day <= add_months(LIVE, 24) for day in held)


@given(
    course=st.none() | dates,
    days=st.integers(0, 5),
    months=st.integers(0, 18),
    calls=call_lists,
    held=call_lists,
    schedule=schedules,
    cases=st.integers(0, 5),
    with_caregiver=st.integers(0, 5),
    certified=st.none() | dates,
    tests=st.lists(st.tuples(dates, st.booleans()), max_size=3).map(tuple),
)
def test_status_is_derived_from_the_rules(
    course: date | None,
    days: int,
    months: int,
    calls: tuple[date, ...],
    held: tuple[date, ...],
    schedule: str,
    cases: int,
    with_caregiver: int,
    certified: date | None,
    tests: tuple[tuple[date, bool], ...],
) -> None:
    facts = _facts(
        online_course_on=course,
        live_training_days=days,
        collaborative_months=months,
        calls_attended=calls,
        calls_held=held,
        call_schedule=schedule,
        completed_cases=cases,
        completed_cases_with_caregiver=min(cases, with_caregiver),
        certified_on=certified,
        test_attempts=tests,
    )
    state = evaluate(RULES, facts)
    in_window = [c for c in calls if LIVE <= c <= add_months(LIVE, 24)]
    trained = (
        course is not None
        and (days >= 2 or months >= 6)
        and len(in_window) >= 9
        and _runs_its_length(held + calls, schedule)
    )
    certified_ok = (
        trained
        and certified is not None
        and cases >= 3
        and min(cases, with_caregiver) >= 2
        and any(passed for _d, passed in tests)
    )
    expected = Status.CERTIFIED if certified_ok else Status.TRAINED if trained else Status.ENROLLED
    assert state.status == expected


@given(calls=call_lists, held=call_lists, schedule=schedules)
def test_consultation_is_met_on_the_first_day_nine_calls_were_attended_and_it_had_run_its_length(
    calls: tuple[date, ...], held: tuple[date, ...], schedule: str
) -> None:
    met_on = consultation_met_on(RULES, _facts(calls_attended=calls, calls_held=held, call_schedule=schedule))
    if met_on is None:
        return
    length = add_months(LIVE, 6 if schedule == "twice_monthly" else 12)
    assert length <= met_on <= add_months(LIVE, 24)
    assert sum(1 for day in calls if LIVE <= day <= met_on) >= 9
    assert met_on in held + calls  # a day a call was held
    # Read on any earlier day, the same facts do not meet it.
    day_before = met_on - timedelta(days=1)
    seen = {
        "calls_attended": tuple(d for d in calls if d <= day_before),
        "calls_held": tuple(d for d in held if d <= day_before),
    }
    assert consultation_met_on(RULES, _facts(**seen, call_schedule=schedule)) is None


@given(
    live=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    schedule=schedules,
    missed=st.sets(st.integers(0, 11), max_size=3),
)
def test_any_nine_of_a_cohorts_twelve_calls_meet_consultation_on_its_last_call(
    live: date, schedule: str, missed: set[int]
) -> None:
    calls = tuple(consultation_dates(live_training_on=live, schedule=schedule))
    attended = tuple(day for index, day in enumerate(calls) if index not in missed)
    facts = _facts(live_training_on=live, calls_attended=attended, calls_held=calls, call_schedule=schedule)
    assert evaluate(RULES, facts).trained_on == max(calls[-1], date(2025, 2, 1))
    # Before the last call is held, the consultation has not run its length.
    early = _facts(
        live_training_on=live, calls_attended=attended, calls_held=calls, call_schedule=schedule, as_of=calls[-2]
    )
    assert consultation_met_on(RULES, early) is None


@given(calls=call_lists, held=call_lists, extra=dates, schedule=schedules)
def test_attending_another_call_never_delays_consultation(
    calls: tuple[date, ...], held: tuple[date, ...], extra: date, schedule: str
) -> None:
    before = consultation_met_on(RULES, _facts(calls_attended=calls, calls_held=held, call_schedule=schedule))
    after = consultation_met_on(RULES, _facts(calls_attended=(*calls, extra), calls_held=held, call_schedule=schedule))
    if before is not None:
        assert after is not None and after <= before


def test_trained_on_is_the_day_the_last_requirement_was_met() -> None:
    state = evaluate(RULES, _facts())
    assert state.trained_on == add_months(LIVE, 6)
    late_course = evaluate(RULES, _facts(online_course_on=date(2026, 1, 5)))
    assert late_course.trained_on == date(2026, 1, 5)


def test_certification_needs_a_masters_degree_and_a_permanent_license() -> None:
    complete = {
        "certified_on": date(2026, 6, 1),
        "completed_cases": 3,
        "completed_cases_with_caregiver": 2,
        "test_attempts": ((date(2026, 5, 1), True),),
    }
    assert evaluate(RULES, _facts(**complete)).status == Status.CERTIFIED
    provisional = evaluate(RULES, _facts(**complete, license_permanent=False))
    assert provisional.status == Status.TRAINED  # may train, and apply once licensed
    assert not provisional.step(Requirement.ELIGIBILITY).done
    assert evaluate(RULES, _facts(**complete, degree_qualifies=False)).status == Status.TRAINED


def test_a_live_training_still_ahead_is_not_counted() -> None:
    ahead = evaluate(RULES, _facts(as_of=LIVE - timedelta(days=1)))
    assert not ahead.step(Requirement.LIVE_TRAINING).done
    assert evaluate(RULES, _facts(as_of=LIVE)).step(Requirement.LIVE_TRAINING).done is False  # day 1 of 2
    assert evaluate(RULES, _facts(as_of=LIVE + timedelta(days=1))).step(Requirement.LIVE_TRAINING).done


def test_a_certification_lapses_after_five_years() -> None:
    complete = {
        "certified_on": date(2026, 6, 1),
        "completed_cases": 3,
        "completed_cases_with_caregiver": 2,
        "test_attempts": ((date(2026, 5, 1), True),),
    }
    assert evaluate(RULES, _facts(**complete, as_of=date(2031, 5, 31))).status == Status.CERTIFIED
    lapsed = evaluate(RULES, _facts(**complete, as_of=date(2031, 6, 1)))
    assert lapsed.status == Status.TRAINED
    assert lapsed.certification_expires_on == date(2031, 6, 1)


def test_two_attended_calls_on_one_day_count_twice() -> None:
    day = LIVE + timedelta(days=30)
    assert calls_counted(RULES, _facts(calls_attended=(day, day))) == 2


def test_a_collaborative_counts_whole_months() -> None:
    from haven.training.models import Cohort

    assert Cohort(starts_on=date(2025, 1, 31), ends_on=date(2025, 7, 1)).collaborative_months == 5
    assert Cohort(starts_on=date(2025, 1, 1), ends_on=date(2025, 7, 1)).collaborative_months == 6


offsets = st.lists(st.integers(-30, 800), min_size=4, max_size=14)


@given(
    live=dates,
    days=st.integers(0, 40),
    months=st.integers(0, 18),
    course=st.none() | dates | dates,
    attended=st.lists(st.integers(-30, 800), min_size=8, max_size=14),
    held=offsets,
    schedule=schedules,
    cases=st.integers(1, 5),
    with_caregiver=st.integers(1, 5),
    certified=st.none() | st.integers(0, 1500),
    tests=st.lists(st.tuples(dates, st.booleans()), min_size=1, max_size=3).map(tuple),
    placement=st.sampled_from(["nominated", "waitlisted", "enrolled", "enrolled", "withdrawn"]),
    qualifies=st.booleans(),
    day=st.integers(-30, 3000),
)
def test_a_paths_kept_dates_read_on_any_day_give_what_evaluating_it_that_day_gives(
    live: date,
    days: int,
    months: int,
    course: date | None,
    attended: list[int],
    held: list[int],
    schedule: str,
    cases: int,
    with_caregiver: int,
    certified: int | None,
    tests: tuple[tuple[date, bool], ...],
    placement: str,
    qualifies: bool,
    day: int,
) -> None:
    """What ``training.kept`` stores (the dates) and compares to the day at read time is the derivation of that
    day: the kept rows never hold a status that went stale overnight."""
    placed = placement == "enrolled"
    read_on = live + timedelta(days=day)
    facts = PathFacts(
        online_course_on=course,
        live_training_on=live if placed else None,
        live_training_days=days if placed else 0,
        collaborative_months=months if placed else 0,
        calls_attended=tuple(live + timedelta(days=n) for n in attended),
        calls_held=tuple(live + timedelta(days=n) for n in held),
        call_schedule=schedule,
        completed_cases=cases,
        completed_cases_with_caregiver=min(cases, with_caregiver),
        test_attempts=tests,
        certified_on=None if certified is None else live + timedelta(days=certified),
        withdrawn=placement == "withdrawn",
        placed=placed,
        waitlisted=placement == "waitlisted",
        license_permanent=qualifies,
        as_of=read_on,
    )
    state = evaluate(RULES, facts)
    read = on(dated(RULES, facts), read_on)
    assert (read.status, read.trained_on, read.certified_on) == (state.status, state.trained_on, state.certified_on)
    assert dated(RULES, facts).consultation_due == state.step(Requirement.CONSULTATION).due_by
