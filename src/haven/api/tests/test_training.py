"""The training systems' pushes: the online course's completions and a trainer's tool's call attendance, written
by the workforce pillar's services (the figures move, once), only where the key's organization trains, with
errors per record in one answer, and audited with the key."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.api import keys
from haven.api.models import ApiKey
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import NationalOfficeFactory, OrganizationFactory
from haven.programs.models import Program
from haven.training import funnel, version
from haven.training.models import Attendance, Cohort, Enrollment, Milestone, MilestoneKind
from haven.training.tests.factories import calls_of, enroll, make_cohort, make_program, today

COMPLETIONS = "/api/v1/training/completions"
ATTENDANCE = "/api/v1/training/attendance"


@pytest.fixture
def world(
    national: Organization, cac: Organization, provider: Organization, make_member: Callable[..., User]
) -> dict[str, Any]:
    admin = make_member(Role.PROGRAM_ADMIN, national)
    trainer = make_member(Role.TRAINER, provider)
    program = make_program(national)
    cohort = make_cohort(program=program, actor=admin, trainers=[trainer])
    clinicians = [make_member(Role.CLINICIAN, cac, email=f"clinician.{i}@example.org") for i in range(2)]
    enrollments = [enroll(program=program, cac=cac, clinician=c, actor=admin, cohort=cohort) for c in clinicians]
    return {"program": program, "cohort": cohort, "clinicians": clinicians, "enrollments": enrollments}


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def _trained(program: Program) -> int:
    """The workforce figure: clinicians trained within the program's period (cached under the version)."""
    return funnel.funnel(funnel.program_clinicians(program), funnel.program_period(program)).trained


def _marks(cohort: Cohort, emails: list[str], numbers: range, *, present: bool = True) -> list[dict[str, Any]]:
    return [
        {"id": f"{n}-{email}", "cohort": cohort.pk, "call_number": n, "email": email, "present": present}
        for n in numbers
        for email in emails
    ]


def _completion(sender_id: str, email: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": sender_id,
        "email": email,
        "course": "TF-CBTWeb",
        "completed_on": (today() - timedelta(days=3)).isoformat(),
        "certificate_id": "C-1",
        **fields,
    }


def test_pushes_move_the_workforce_figures_once(
    world: dict[str, Any],
    provider: Organization,
    national: Organization,
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    program, cohort, clinicians = world["program"], world["cohort"], world["clinicians"]
    trainer_tool = api_client(make_key(provider, [keys.TRAINING_WRITE]))
    course = api_client(make_key(national, [keys.TRAINING_WRITE]))
    email = clinicians[0].email
    assert _trained(program) == 0

    before = version.current(program)
    held = len(calls_of(cohort))  # every call of the cohort is held by today
    marks = _marks(cohort, [email], range(1, held + 1))
    response = _post(trainer_tool, ATTENDANCE, {"records": marks})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == held
    assert version.current(program) != before  # the write-time refresh ran
    attended = Attendance.objects.in_cohort(cohort).filter(attended=True)
    assert sorted(attended.values_list("call__number", flat=True)) == list(range(1, held + 1))
    assert _trained(program) == 0  # the calls alone do not train

    body = {"program": program.pk, "completions": [_completion("course-1", email.upper())]}
    response = _post(course, COMPLETIONS, body)
    assert response.status_code == 200, response.content
    assert response.json()["records"] == [{"id": "course-1", "outcome": "create", "message": ""}]
    assert _trained(program) == 1  # the figures moved: the course and the calls make a trained clinician

    # The same batches again: nothing changes, nothing is audited, the figures keep their version.
    settled, entries = version.current(program), AuditEntry.objects.dangerously_unscoped().count()
    again = _post(course, COMPLETIONS, body).json()
    assert again["unchanged"] == 1 and again["created"] == 0
    again = _post(trainer_tool, ATTENDANCE, {"records": marks}).json()
    assert again["unchanged"] == held and again["created"] == 0
    assert version.current(program) == settled
    assert AuditEntry.objects.dangerously_unscoped().count() == entries
    enrollment = world["enrollments"][0]
    assert Milestone.objects.in_org(enrollment.organization_id).filter(kind=MilestoneKind.ONLINE_COURSE).count() == 1
    assert Attendance.objects.in_cohort(cohort).count() == held * 2  # each call recorded whole: both clinicians


def test_audit_entries_name_the_key(
    world: dict[str, Any],
    provider: Organization,
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    client = api_client(make_key(provider, [keys.TRAINING_WRITE]))
    key = ApiKey.objects.in_org(provider).get()
    marks = _marks(world["cohort"], [world["clinicians"][1].email], range(1, 3), present=False)
    assert _post(client, ATTENDANCE, {"records": marks}).status_code == 200
    entries = AuditEntry.objects.dangerously_unscoped().filter(action="attendance.record").order_by("seq")
    assert [e.detail["via"] for e in entries] == [f"api:key:{key.pk}"] * 2
    assert all(e.actor_id is None for e in entries)


def test_a_completion_is_audited_with_the_key(
    world: dict[str, Any],
    national: Organization,
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    client = api_client(make_key(national, [keys.TRAINING_WRITE]))
    key = ApiKey.objects.in_org(national).get()
    body = {"program": world["program"].pk, "completions": [_completion("c-1", world["clinicians"][0].email)]}
    assert _post(client, COMPLETIONS, body).status_code == 200
    [entry] = AuditEntry.objects.dangerously_unscoped().filter(action="import.apply")
    assert entry.detail["via"] == f"api:key:{key.pk}" and entry.detail["create"] == 1
    milestone = Milestone.objects.in_org(world["enrollments"][0].organization_id).get()
    assert milestone.recorded_by_id == world["clinicians"][0].pk  # the clinician the certificate names


@pytest.mark.parametrize("who", ["another provider", "another national office", "the provider without trainers"])
def test_another_organization_cannot_mark_attendance_in_a_cohort_it_does_not_train(
    who: str,
    world: dict[str, Any],
    make_member: Callable[..., User],
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    cohort = world["cohort"]
    if who == "another national office":
        other = NationalOfficeFactory()
    else:
        other = OrganizationFactory(kind=OrganizationKind.TRAINING_PROVIDER)
        if who == "another provider":
            make_cohort(
                program=world["program"],
                actor=make_member(Role.PROGRAM_ADMIN, cohort.organization),
                trainers=[make_member(Role.TRAINER, other)],
                name="Their own cohort",
            )
    client = api_client(make_key(other, [keys.TRAINING_WRITE]))
    response = _post(client, ATTENDANCE, {"records": _marks(cohort, [world["clinicians"][0].email], range(1, 2))})
    assert response.status_code == 409
    assert response.json()["records"][0]["message"] == "No cohort your organization trains has this id."
    assert not Attendance.objects.in_cohort(cohort).exists()
    if who != "another provider":  # which trains a cohort of the program, so sends its completions
        # Nor write completions for a program it does not train.
        body = {"program": world["program"].pk, "completions": [_completion("c-1", world["clinicians"][0].email)]}
        assert _post(client, COMPLETIONS, body).status_code == 404
        assert not Milestone.objects.in_orgs(Organization.objects.filter(kind=OrganizationKind.CAC)).exists()


def test_errors_come_per_record_and_the_batch_writes_nothing(
    world: dict[str, Any],
    provider: Organization,
    national: Organization,
    make_member: Callable[..., User],
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    cohort, (first, second) = world["cohort"], world["clinicians"]
    stranger = make_member(Role.CLINICIAN, world["enrollments"][0].organization, email="not.enrolled@example.org")
    future = calls_of(cohort)[-1]
    future_day = (today() + timedelta(days=10)).isoformat()
    records = [
        {"id": "ok", "cohort": cohort.pk, "call_number": 1, "email": first.email, "present": True},
        {"id": "twice", "cohort": cohort.pk, "call_number": 1, "email": second.email, "present": True},
        {"id": "twice", "cohort": cohort.pk, "call_number": 2, "email": second.email, "present": True},
        {"id": "stranger", "cohort": cohort.pk, "call_number": 1, "email": stranger.email, "present": True},
        {
            "id": "no call",
            "cohort": cohort.pk,
            "call_number": future.number + 50,
            "email": first.email,
            "present": True,
        },
        {"id": "no day", "cohort": cohort.pk, "call_on": future_day, "email": first.email, "present": True},
        {"id": "no cohort", "cohort": cohort.pk + 1000, "call_number": 1, "email": first.email, "present": True},
    ]
    response = _post(api_client(make_key(provider, [keys.TRAINING_WRITE])), ATTENDANCE, {"records": records})
    assert response.status_code == 409
    answer = response.json()
    assert (answer["accepted"], answer["created"], answer["errors"]) == (False, 1, 6)
    assert [(r["id"], r["outcome"], r["message"]) for r in answer["records"]] == [
        ("ok", "create", ""),
        ("twice", "error", "This id appears twice in the batch."),
        ("twice", "error", "This id appears twice in the batch."),
        ("stranger", "error", "No clinician with this e-mail is enrolled in this cohort."),
        ("no call", "error", "This cohort has no call with this number."),
        ("no day", "error", "This cohort has no call on this date."),
        ("no cohort", "error", "No cohort your organization trains has this id."),
    ]
    assert not Attendance.objects.in_cohort(cohort).exists()

    completions = [
        _completion("fine", first.email),
        _completion("unknown", "nobody@example.org"),
        _completion("course", second.email, course="Another course"),
        _completion("future", second.email, completed_on=future_day),
        _completion("outside", stranger.email),
    ]
    body = {"program": world["program"].pk, "completions": completions}
    response = _post(api_client(make_key(national, [keys.TRAINING_WRITE])), COMPLETIONS, body)
    assert response.status_code == 409
    outcomes = [(r["id"], r["outcome"]) for r in response.json()["records"]]
    assert outcomes == [
        ("fine", "create"),
        ("unknown", "error"),
        ("course", "error"),
        ("future", "error"),
        ("outside", "error"),
    ]
    messages = [r["message"] for r in response.json()["records"]]
    assert messages[1] == "No active clinician with this e-mail in your organizations."
    assert messages[3] == "The completion date is in the future."
    assert messages[4] == "This clinician is not in the program yet."
    assert not Milestone.objects.in_org(world["enrollments"][0].organization_id).exists()
    assert not Enrollment.objects.in_org(world["enrollments"][0].organization_id).filter(clinician=stranger).exists()


def test_a_call_not_yet_held_is_refused_by_the_pages_own_rule(
    world: dict[str, Any],
    cac: Organization,
    national: Organization,
    make_member: Callable[..., User],
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    admin = make_member(Role.PROGRAM_ADMIN, national)
    later = make_cohort(
        program=world["program"],
        actor=admin,
        trainers=[],
        name="Later",
        starts_on=today() + timedelta(days=10),
        ends_on=today() + timedelta(days=375),
        live_training_on=today() + timedelta(days=12),
    )
    newcomer = make_member(Role.CLINICIAN, cac, email="newcomer@example.org")
    enroll(program=world["program"], cac=cac, clinician=newcomer, actor=admin, cohort=later)
    client = api_client(make_key(national, [keys.TRAINING_WRITE]))  # the national office: its programs' cohorts
    records = _marks(world["cohort"], [world["clinicians"][0].email], range(1, 2)) + _marks(
        later, [newcomer.email], range(1, 2)
    )
    response = _post(client, ATTENDANCE, {"records": records})
    assert response.status_code == 409
    assert [(r["outcome"], r["message"]) for r in response.json()["records"]] == [
        ("create", ""),
        ("error", "The date cannot be in the future."),
    ]
    assert not Attendance.objects.in_cohorts([world["cohort"], later]).exists()  # the batch wrote nothing
