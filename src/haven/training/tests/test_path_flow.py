"""The path end to end: course, calls, test attempts and certification, as users record them, and the status
each page derives from them."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils.formats import date_format

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.core.dates import add_months
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.closed_days import holidays, is_weekend
from haven.training.models import Cohort, Enrollment, Milestone

from .factories import calls_of, enroll, make_cohort, today
from .pages import facts, table, text

ELIGIBILITY = (
    "A master's degree or higher and a permanent license (a provisional license may train, and apply once licensed)"
)
COURSE = "Online course (TF-CBTWeb)"
LIVE = "Live training of 2 days or more (or a learning collaborative of 6 months)"
CALLS = (
    "Consultation calls: 9 of 12, twice a month for 6 months or monthly for 12, within 24 months of the live training"
)
CASES = (
    "Completed TF-CBT cases (at least 2 with a caregiver, each with a standardized measure), counted from the care "
    "records"
)
TEST = "Knowledge test (a retake waits 6 months after a failure)"
CERTIFICATION = "Certification, valid 5 years"


@pytest.fixture
def cohort(program: Program, program_admin: User, trainer: User) -> Cohort:
    return make_cohort(program=program, actor=program_admin, trainers=[trainer])


@pytest.fixture
def clinician(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.CLINICIAN, cac, full_name="Rosa Learner")


@pytest.fixture
def enrollment(program: Program, cac: Organization, cohort: Cohort, clinician: User, program_admin: User) -> Enrollment:
    return enroll(program=program, cac=cac, clinician=clinician, actor=program_admin, cohort=cohort)


def _record(client: Client, enrollment: Enrollment, kind: str, on: date, passed: bool = True) -> object:
    data = {"kind": kind, "achieved_on": on.isoformat()}
    if passed:
        data["passed"] = "on"
    return client.post(f"/training/enrollments/{enrollment.pk}/milestones/", data)


def _attend(client: Client, cohort: Cohort, enrollment: Enrollment, numbers: range) -> None:
    for call in calls_of(cohort):
        if call.number in numbers:
            response = client.post(f"/training/cohorts/{cohort.pk}/calls/{call.pk}/", {"present": [enrollment.pk]})
            assert response.status_code == 302


def test_course_and_nine_calls_make_a_clinician_trained_but_never_certified_without_cases(
    cac: Organization,
    cohort: Cohort,
    enrollment: Enrollment,
    clinician: User,
    program_admin: User,
    trainer: User,
    signed_in: Callable[[User], Client],
) -> None:
    admin = signed_in(program_admin)
    trainer_client = signed_in(trainer)
    own = signed_in(clinician)
    enrollment_url = f"/training/enrollments/{enrollment.pk}/"

    response = _record(admin, enrollment, "online_course", today() + timedelta(days=1))
    assert response.status_code == 400
    assert response.context["milestone_form"].errors == {"achieved_on": ["The date cannot be in the future."]}
    assert not Milestone.objects.in_org(cac).exists()

    course_on = cohort.live_training_on - timedelta(days=10)
    assert _record(admin, enrollment, "online_course", course_on).status_code == 302
    entry = AuditEntry.objects.in_org(cac).get(action="milestone.record")
    assert (entry.actor, entry.detail) == (program_admin, {"kind": "online_course", "passed": True})

    _attend(trainer_client, cohort, enrollment, range(1, 9))
    page = own.get("/training/my-path/")
    assert "Enrolled" in text(page)
    due = date_format(add_months(cohort.live_training_on, 24))
    runs_until = date_format(add_months(cohort.live_training_on, 6))
    assert table(page)[4] == [
        CALLS,
        "to do",
        f"8 attended, 9 needed · consultation must run until {runs_until} · by {due}",
    ]

    # Nine calls attended, but the consultation has not run six months yet: the cohort's last call is still to be
    # recorded.
    assert all(call.held_on > cohort.live_training_on for call in calls_of(cohort))
    _attend(trainer_client, cohort, enrollment, range(9, 10))
    assert table(own.get("/training/my-path/"))[4] == [
        CALLS,
        "to do",
        f"9 attended, 9 needed · consultation must run until {runs_until} · by {due}",
    ]
    # The twelfth call, six months after the live training, is held; the clinician missed it.
    last_call = calls_of(cohort)[11]
    assert last_call.held_on == _open_on_or_after(add_months(cohort.live_training_on, 6))
    response = trainer_client.post(f"/training/cohorts/{cohort.pk}/calls/{last_call.pk}/", {"present": []})
    assert response.status_code == 302
    met_on = last_call.held_on
    expected = [
        ["Step", "Done", "Progress and dates"],
        [ELIGIBILITY, "done", ""],
        [COURSE, "done", date_format(course_on)],
        [LIVE, "done", date_format(cohort.live_training_on)],
        [CALLS, "done", f"{date_format(met_on)} · 9 attended, 9 needed"],
        [CASES, "to do", "0 of 3"],
        [TEST, "to do", ""],
        [CERTIFICATION, "to do", ""],
    ]
    page = own.get("/training/my-path/")
    assert f"Partnership · Trained · {cohort.name}" in text(page)
    assert table(page) == expected
    detail = admin.get(enrollment_url)
    assert facts(detail)["Status"] == "Trained"
    assert table(detail) == expected

    # The knowledge test: a failure, a retake too soon (the day before six months), then one six months on.
    failed_on = today() - timedelta(days=190)
    six_months_on = add_months(failed_on, 6)
    assert _record(admin, enrollment, "knowledge_test", failed_on, passed=False).status_code == 302
    retake_row = table(own.get("/training/my-path/"))[6]
    assert retake_row == [
        TEST,
        "to do",
        f"retake from {date_format(six_months_on)}",
    ]
    for too_soon in (add_months(failed_on, 3), six_months_on - timedelta(days=1)):
        response = _record(admin, enrollment, "knowledge_test", too_soon)
        assert response.status_code == 400
        message = "The test was passed already, or a retake must wait 6 months after a failure."
        assert response.context["milestone_form"].errors == {"achieved_on": [message]}
        assert message in text(response)
    assert _record(admin, enrollment, "knowledge_test", six_months_on).status_code == 302
    attempts = Milestone.objects.in_org(cac).filter(kind="knowledge_test").order_by("achieved_on")
    assert list(attempts.values_list("achieved_on", "passed")) == [(failed_on, False), (six_months_on, True)]
    assert table(own.get("/training/my-path/"))[6] == [TEST, "done", date_format(six_months_on)]

    # Cases are 0 of 3: certification is refused and the status stays Trained.
    response = _record(admin, enrollment, "certification", today())
    assert response.status_code == 400
    assert response.context["milestone_form"].non_field_errors() == [
        "Certification needs every earlier step of the path to be met."
    ]
    assert "Certification needs every earlier step of the path to be met." in text(response)
    assert not Milestone.objects.in_org(cac).filter(kind="certification").exists()
    assert facts(admin.get(enrollment_url))["Status"] == "Trained"
    assert table(own.get("/training/my-path/"))[5] == [CASES, "to do", "0 of 3"]
    recorded = AuditEntry.objects.in_org(cac).filter(action="milestone.record").order_by("seq")
    assert [e.detail for e in recorded] == [
        {"kind": "online_course", "passed": True},
        {"kind": "knowledge_test", "passed": False},
        {"kind": "knowledge_test", "passed": True},
    ]


def test_cases_cannot_be_typed_and_a_course_is_recorded_once(
    cac: Organization, enrollment: Enrollment, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    admin = signed_in(program_admin)
    response = _record(admin, enrollment, "cases", today())
    assert response.status_code == 400
    assert list(response.context["milestone_form"].errors) == ["kind"]
    assert _record(admin, enrollment, "online_course", today() - timedelta(days=30)).status_code == 302
    response = _record(admin, enrollment, "online_course", today() - timedelta(days=20))
    assert response.status_code == 400
    assert response.context["milestone_form"].errors == {"kind": ["This milestone is already recorded."]}
    assert Milestone.objects.in_org(cac).count() == 1


def _open_on_or_after(day: date) -> date:
    """The day a call planned for ``day`` is held: the schedule moves it off weekends and federal holidays."""
    closed = {**holidays(day.year), **holidays(day.year + 1)}
    while is_weekend(day) or day in closed:
        day += timedelta(days=1)
    return day
