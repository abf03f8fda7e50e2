"""The certification rules: 9 of 12 calls, the 2-year window, the 6-month retake, derived status."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from haven.training.path import (
    PathFacts,
    PathRules,
    Requirement,
    Status,
    add_months,
    calls_counted,
    evaluate,
    retake_allowed,
)

RULES = PathRules()
LIVE = date(2025, 3, 10)


def _facts(**overrides: object) -> PathFacts:
    base: dict[str, object] = {
        "online_course_on": date(2025, 2, 1),
        "live_training_on": LIVE,
        "live_training_days": 2,
        "calls_attended": tuple(LIVE + timedelta(days=14 * i) for i in range(1, 10)),
        "placed": True,
    }
    base.update(overrides)
    return PathFacts(**base)  # type: ignore[arg-type]


def test_nine_calls_after_two_days_of_live_training_make_a_clinician_trained() -> None:
    state = evaluate(RULES, _facts())
    assert state.status == Status.TRAINED
    assert state.step(Requirement.CONSULTATION).progress == (9, 9)
    assert state.step(Requirement.CONSULTATION).due_by == date(2027, 3, 10)


def test_eight_calls_are_not_enough() -> None:
    state = evaluate(RULES, _facts(calls_attended=tuple(LIVE + timedelta(days=14 * i) for i in range(1, 9))))
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


@given(
    course=st.none() | dates,
    days=st.integers(0, 5),
    months=st.integers(0, 18),
    calls=call_lists,
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
        completed_cases=cases,
        completed_cases_with_caregiver=min(cases, with_caregiver),
        certified_on=certified,
        test_attempts=tests,
    )
    state = evaluate(RULES, facts)
    in_window = [c for c in calls if LIVE <= c <= add_months(LIVE, 24)]
    trained = course is not None and (days >= 2 or months >= 6) and len(in_window) >= 9
    certified_ok = (
        trained
        and certified is not None
        and cases >= 3
        and min(cases, with_caregiver) >= 2
        and any(passed for _d, passed in tests)
    )
    expected = Status.CERTIFIED if certified_ok else Status.TRAINED if trained else Status.ENROLLED
    assert state.status == expected


@given(day=dates, months=st.integers(0, 120))
def test_add_months_lands_in_the_right_month(day: date, months: int) -> None:
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day <= day.day


def test_trained_on_is_the_day_the_last_requirement_was_met() -> None:
    state = evaluate(RULES, _facts())
    assert state.trained_on == LIVE + timedelta(days=14 * 9)
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
