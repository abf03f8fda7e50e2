"""A trainer records a whole consultation call at once; the cohort page shows the marks."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.closed_days import holidays, is_weekend
from haven.training.models import Attendance, Cohort, ConsultationCall, Enrollment, Placement

from .factories import calls_of, enroll, make_cohort, nominate, today
from .pages import table, text


@pytest.fixture
def cohort(program: Program, program_admin: User, trainer: User) -> Cohort:
    return make_cohort(program=program, actor=program_admin, trainers=[trainer], capacity=3)


@pytest.fixture
def roster(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    cohort: Cohort,
    program_admin: User,
    make_member: Callable[..., User],
) -> dict[str, Enrollment]:
    """Three enrolled from two CACs, and one on the waitlist."""
    people = {}
    for name, where in (("Ada", cac), ("Bo", other_cac), ("Cy", cac), ("Di", other_cac)):
        clinician = make_member(Role.CLINICIAN, where, full_name=name)
        people[name] = enroll(program=program, cac=where, clinician=clinician, actor=program_admin, cohort=cohort)
    assert people["Di"].placement == Placement.WAITLISTED
    return people


def _marks(cac: Organization, other_cac: Organization, call: ConsultationCall) -> dict[str, bool]:
    rows = Attendance.objects.in_orgs([cac, other_cac]).filter(call=call).select_related("enrollment__clinician")
    return {row.enrollment.clinician.full_name: row.attended for row in rows}


def test_trainer_records_a_whole_call_and_re_recording_updates_it(
    cac: Organization,
    other_cac: Organization,
    national: Organization,
    cohort: Cohort,
    trainer: User,
    roster: dict[str, Enrollment],
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(trainer)
    call = calls_of(cohort)[2]
    url = f"/training/cohorts/{cohort.pk}/calls/{call.pk}/"
    form = client.get(url)
    assert form.status_code == 200
    assert f'name="present" value="{roster["Di"].pk}"' not in form.content.decode()

    response = client.post(url, {"present": [roster["Ada"].pk, roster["Cy"].pk]}, follow=True)

    assert response.redirect_chain == [(f"/training/cohorts/{cohort.pk}/", 302)]
    assert "Attendance saved: 2 of 3 present." in text(response)
    assert _marks(cac, other_cac, call) == {"Ada": True, "Bo": False, "Cy": True}
    # Each row belongs to the clinician's CAC.
    assert Attendance.objects.in_org(other_cac).filter(call=call).count() == 1
    call.refresh_from_db()
    assert call.attendance_recorded_at is not None
    entry = AuditEntry.objects.in_org(national).get(action="attendance.record")
    assert (entry.actor, entry.target_id, entry.detail) == (trainer, str(call.pk), {"present": 2, "enrolled": 3})

    # The cohort page: call 3 marked, the others not recorded.
    rows = {row[0]: row for row in table(response, labelledby="roster-heading")[1:]}
    not_recorded = "[not recorded]"
    assert rows["Ada"][3:15] == [not_recorded, not_recorded, "[present]"] + [not_recorded] * 9
    assert rows["Bo"][3:6] == [not_recorded, not_recorded, "[absent]"]
    assert rows["Cy"][5] == "[present]"
    assert rows["Bo"][1] == other_cac.name
    assert "Di" not in rows

    response = client.post(url, {"present": [roster["Bo"].pk]})
    assert response.status_code == 302
    assert _marks(cac, other_cac, call) == {"Ada": False, "Bo": True, "Cy": False}
    assert Attendance.objects.in_orgs([cac, other_cac]).count() == 3
    entries = AuditEntry.objects.in_org(national).filter(action="attendance.record").order_by("seq")
    assert [e.detail for e in entries] == [{"present": 2, "enrolled": 3}, {"present": 1, "enrolled": 3}]
    form = client.get(url).content.decode()
    assert f'name="present" value="{roster["Bo"].pk}" checked>' in form
    assert f'name="present" value="{roster["Ada"].pk}">' in form


@pytest.mark.parametrize("stranger", ["waitlisted", "unknown", "not a number"])
def test_someone_not_on_the_roster_is_refused_and_nothing_is_saved(
    cac: Organization,
    other_cac: Organization,
    national: Organization,
    program: Program,
    cohort: Cohort,
    trainer: User,
    program_admin: User,
    roster: dict[str, Enrollment],
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
    stranger: str,
) -> None:
    # A nominee never placed in this cohort has a real enrollment id, but is not on the roster.
    outsider = nominate(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin)
    value = {"waitlisted": roster["Di"].pk, "unknown": outsider.pk, "not a number": "Ada"}[stranger]
    call = calls_of(cohort)[0]

    response = signed_in(trainer).post(
        f"/training/cohorts/{cohort.pk}/calls/{call.pk}/", {"present": [roster["Ada"].pk, value]}
    )

    assert response.status_code == 200
    message = {
        "waitlisted": "Some people marked present are not enrolled in this cohort.",
        "unknown": "Some people marked present are not enrolled in this cohort.",
        "not a number": "The attendance could not be saved: reload the page and try again.",
    }[stranger]
    assert message in text(response)
    assert not Attendance.objects.in_orgs([cac, other_cac]).exists()
    call.refresh_from_db()
    assert call.attendance_recorded_at is None
    assert not AuditEntry.objects.in_org(national).filter(action="attendance.record").exists()


def test_a_trainer_of_another_cohort_gets_404(
    national: Organization,
    cac: Organization,
    other_cac: Organization,
    program: Program,
    cohort: Cohort,
    program_admin: User,
    provider: Organization,
    roster: dict[str, Enrollment],
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    stranger = make_member(Role.TRAINER, provider)
    make_cohort(program=program, actor=program_admin, trainers=[stranger], name="Their own cohort")
    call = calls_of(cohort)[0]
    client = signed_in(stranger)
    url = f"/training/cohorts/{cohort.pk}/calls/{call.pk}/"

    assert client.get(url).status_code == 404
    assert client.post(url, {"present": [roster["Ada"].pk]}).status_code == 404
    assert client.get(f"/training/cohorts/{cohort.pk}/").status_code == 404
    assert not Attendance.objects.in_orgs([cac, other_cac]).exists()
    assert not AuditEntry.objects.in_org(national).filter(action="attendance.record").exists()


def test_a_call_of_another_cohort_is_404(
    program: Program, cohort: Cohort, program_admin: User, trainer: User, signed_in: Callable[[User], Client]
) -> None:
    other = make_cohort(program=program, actor=program_admin, trainers=[trainer], name="Second")
    foreign_call = calls_of(other)[0]
    assert signed_in(trainer).get(f"/training/cohorts/{cohort.pk}/calls/{foreign_call.pk}/").status_code == 404


def test_a_call_not_yet_held_cannot_be_recorded(
    cac: Organization,
    other_cac: Organization,
    national: Organization,
    program: Program,
    program_admin: User,
    trainer: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    """Marks at a future call would count towards the path (and make the call 'held') before it took place."""
    upcoming = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[trainer],
        name="Upcoming",
        starts_on=today() - timedelta(days=5),
        ends_on=today() + timedelta(days=360),
        live_training_on=today() - timedelta(days=3),
    )
    person = enroll(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=upcoming
    )
    first, second = calls_of(upcoming)[:2]
    assert first.held_on == _open_on_or_after(today() + timedelta(days=12))  # 15 days after the live training

    response = signed_in(trainer).post(f"/training/cohorts/{upcoming.pk}/calls/{first.pk}/", {"present": [person.pk]})

    assert response.status_code == 200
    assert "The date cannot be in the future." in text(response)
    assert not Attendance.objects.in_org(cac).exists()
    first.refresh_from_db()
    assert first.attendance_recorded_at is None
    assert not AuditEntry.objects.in_org(national).filter(action="attendance.record").exists()
    assert second.held_on > first.held_on


def test_everyone_was_there_in_one_click(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member, signed_in
) -> None:
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    people = [
        enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort)
        for _ in range(3)
    ]
    call = calls_of(cohort)[0]
    response = signed_in(trainer).post(f"/training/cohorts/{cohort.pk}/calls/{call.pk}/", {"everyone": "1"})
    assert response.status_code == 302
    marks = Attendance.objects.in_org(cac).filter(call=call).values_list("enrollment_id", "attended")
    assert sorted(marks) == sorted((e.pk, True) for e in people)


def _open_on_or_after(day: date) -> date:
    """The day a call planned for ``day`` is held: the schedule moves it off weekends and federal holidays."""
    closed = {**holidays(day.year), **holidays(day.year + 1)}
    while is_weekend(day) or day in closed:
        day += timedelta(days=1)
    return day
