"""A program admin closes and opens days of the program's calendar; cohorts that took no attendance follow."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.training.closed_days import Calendar, holidays
from haven.training.models import ClosedDay, CohortEvent
from haven.training.selectors import calendar_of
from haven.training.tests.factories import calls_of, make_cohort, record_calls, today

URL = "/training/closed-days/"


def _monday_after(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def _events(cohort: object) -> list[tuple[str, date, date]]:
    return list(
        CohortEvent.objects.in_org(cohort.organization_id)  # type: ignore[attr-defined]
        .filter(cohort=cohort)
        .values_list("kind", "starts_on", "ends_on")
    )


def test_closing_a_day_moves_the_calls_of_cohorts_without_attendance_and_keeps_the_others(
    national: Organization, program: Program, program_admin: User, trainer: User, signed_in: Callable[[User], Client]
) -> None:
    start = _monday_after(today() + timedelta(days=60))
    planned = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[trainer],
        name="Planned",
        starts_on=start,
        ends_on=start + timedelta(days=365),
        live_training_on=start,
        call_schedule="monthly",
    )
    # Running since 200 days, ending before the planned one starts: its calls are held, attendance taken.
    running = make_cohort(
        program=program, actor=program_admin, trainers=[trainer], name="Running", ends_on=today() + timedelta(days=5)
    )
    record_calls(cohort=running, actor=program_admin, present={1: []})
    running_calls = [c.held_on for c in calls_of(running)]
    first = calls_of(planned)[0].held_on
    client = signed_in(program_admin)

    response = client.post(URL, {"day": first.isoformat(), "name": "Staff retreat", "closed": "1"})

    assert response.status_code == 302
    assert calls_of(planned)[0].held_on == Calendar(added={first: "Staff retreat"}).next_open(first)
    assert [c.held_on for c in calls_of(running)] == running_calls
    entry = AuditEntry.objects.in_org(national).get(action="calendar.change")
    assert entry.detail == {"day": first.isoformat(), "closed": True, "cohorts_moved": 1, "cohorts_kept": 0}
    assert (entry.target_type, entry.target_id) == ("programs.program", str(program.pk))
    page = client.get(URL).content.decode()
    assert "Staff retreat" in page

    # A day of the running cohort, which took attendance already: it keeps its dates.
    response = client.post(URL, {"day": running_calls[-1].isoformat(), "name": "", "closed": "1"})
    assert response.status_code == 302
    assert [c.held_on for c in calls_of(running)] == running_calls
    latest = AuditEntry.objects.in_org(national).filter(action="calendar.change").latest("seq")
    assert (latest.detail["cohorts_moved"], latest.detail["cohorts_kept"]) == (0, 1)

    # Opened again, the day is back to what the rules say, and the planned cohort's first call with it.
    assert client.post(URL, {"day": first.isoformat(), "closed": "0"}).status_code == 302
    assert calls_of(planned)[0].held_on == first
    assert not ClosedDay.objects.in_org(national).filter(day=first).exists()


def test_a_holiday_the_program_works_on_can_hold_a_session(
    national: Organization, program: Program, program_admin: User, trainer: User, signed_in: Callable[[User], Client]
) -> None:
    year = today().year + 1
    columbus = next(day for day, rule in holidays(year).items() if rule.key == "columbus_day")
    client = signed_in(program_admin)

    assert client.post(URL, {"day": columbus.isoformat(), "closed": "0"}).status_code == 302

    assert calendar_of(program).is_open(columbus)
    assert ClosedDay.objects.in_org(national).get(day=columbus).closed is False
    page = client.get(URL).content.decode()
    assert "Holidays the program works on" in page and "Columbus Day" in page
    # Cohorts planned now may meet that day: a live training entered on it is kept, and calls due then are held.
    cohort = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[trainer],
        name="Autumn",
        starts_on=columbus - timedelta(days=7),
        ends_on=columbus + timedelta(days=300),
        live_training_on=columbus,
    )
    assert ("learning_session", columbus, columbus + timedelta(days=1)) in _events(cohort)


@pytest.mark.parametrize("weekday", [5, 6])
def test_weekends_are_always_closed(
    program: Program, program_admin: User, signed_in: Callable[[User], Client], weekday: int
) -> None:
    day = today() + timedelta(days=(weekday - today().weekday()) % 7 + 7)

    response = signed_in(program_admin).post(URL, {"day": day.isoformat(), "closed": "0"})

    assert response.status_code == 200
    assert "Weekends are always closed." in response.content.decode()
    assert not ClosedDay.objects.in_org(program.organization_id).exists()
