"""Planning a cohort through the page a program admin uses: calendar, calls, trainers, audit."""

from collections.abc import Callable
from datetime import date, time

import pytest
from django.test import Client
from django.utils.html import escape

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations import services as org_services
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import NationalOfficeFactory, OrganizationFactory
from haven.programs.models import Program
from haven.training.closed_days import Calendar
from haven.training.models import Cohort, CohortEvent, CohortTrainer, ConsultationCall
from haven.training.schedule import consultation_dates

from .pages import facts


def _form(trainers: list[User], **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Spring Collaborative",
        "region": "Midwest",
        "states": ["OH", "IN"],
        "modality": "hybrid",
        "capacity": "18",
        "starts_on": "2025-03-01",
        "ends_on": "2026-03-01",
        "live_training_on": "2025-03-03",
        "live_training_days": "2",
        "call_schedule": "monthly",
        "trainers": [t.pk for t in trainers],
    }
    data.update(overrides)
    return data


@pytest.fixture
def co_trainer(make_member: Callable[..., User]) -> User:
    other_provider = OrganizationFactory(name="Second Network", kind=OrganizationKind.TRAINING_PROVIDER)
    return make_member(Role.TRAINER, other_provider, full_name="Cole Cotrainer")


def test_program_admin_plans_a_monthly_cohort(
    national: Organization,
    program: Program,
    program_admin: User,
    trainer: User,
    co_trainer: User,
    signed_in: Callable[[User], Client],
) -> None:
    data = _form([trainer, co_trainer])
    response = signed_in(program_admin).post("/training/cohorts/new/", data)

    cohort = Cohort.objects.in_org(national).get()
    assert response.status_code == 302
    assert response["Location"] == f"/training/cohorts/{cohort.pk}/"
    assert cohort.program == program
    assert (cohort.name, cohort.region, cohort.states, cohort.modality, cohort.capacity) == (
        "Spring Collaborative",
        "Midwest",
        ["OH", "IN"],
        "hybrid",
        18,
    )
    assert (cohort.starts_on, cohort.ends_on, cohort.live_training_on) == (
        date(2025, 3, 1),
        date(2026, 3, 1),
        date(2025, 3, 3),
    )
    calls = list(ConsultationCall.objects.in_org(national).filter(cohort=cohort).order_by("number"))
    assert [c.number for c in calls] == list(range(1, 13))
    held = [c.held_on for c in calls]
    # Monthly from the live training's first day: the twelfth call is twelve months after it. A call due on a
    # weekend is held the Monday after: 3 May 2025, 3 August 2025 and 3 January 2026 are Saturdays and a Sunday.
    due = [date(2025, m, 3) for m in range(4, 13)] + [date(2026, m, 3) for m in range(1, 4)]
    moved = {date(2025, 5, 3): date(2025, 5, 5), date(2025, 8, 3): date(2025, 8, 4), date(2026, 1, 3): date(2026, 1, 5)}
    assert held == [moved.get(day, day) for day in due]
    assert all(c.attendance_recorded_at is None for c in calls)
    events = list(
        CohortEvent.objects.in_org(national).filter(cohort=cohort).values_list("kind", "starts_on", "ends_on")
    )
    # The live training entered is the first learning session (not the start, a Saturday); the second, due on
    # Saturday 26 July, goes to the nearest two open days.
    assert events == [
        ("pre_work", date(2025, 2, 1), date(2025, 3, 2)),
        ("learning_session", date(2025, 3, 3), date(2025, 3, 4)),
        ("action_period", date(2025, 3, 5), date(2025, 7, 27)),
        ("learning_session", date(2025, 7, 28), date(2025, 7, 29)),
        ("action_period", date(2025, 7, 30), date(2025, 12, 17)),
        ("learning_session", date(2025, 12, 18), date(2025, 12, 19)),
        ("action_period", date(2025, 12, 20), date(2026, 3, 1)),
    ]
    links = CohortTrainer.objects.in_org(national).filter(cohort=cohort)
    assert sorted(links.values_list("trainer_id", flat=True)) == sorted([trainer.pk, co_trainer.pk])
    entry = AuditEntry.objects.in_org(national).get()
    assert (entry.action, entry.actor, entry.target_type, entry.target_id) == (
        "cohort.create",
        program_admin,
        "training.cohort",
        str(cohort.pk),
    )
    assert entry.detail == {"trainers": sorted([trainer.pk, co_trainer.pk]), "capacity": 18}

    shown = facts(signed_in(program_admin).get(f"/training/cohorts/{cohort.pk}/"))
    assert sorted(shown["Trainers"].split(", ")) == ["Cole Cotrainer", "Tess Trainer"]
    assert shown["Region"] == "Midwest (OH, IN)"
    assert shown["Consultation calls"] == "Monthly for 12 months, time not set"
    assert shown["Seats"] == "0 / 18"


def test_twice_monthly_calls_are_every_half_month_and_monthly_ones_clamp_to_the_month_end(
    national: Organization,
    program: Program,
    program_admin: User,
    trainer: User,
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(program_admin)
    data = _form([trainer], name="Fortnightly", starts_on="2025-01-15", live_training_on="2025-01-17")
    assert client.post("/training/cohorts/new/", {**data, "call_schedule": "twice_monthly"}).status_code == 302
    data = _form([trainer], name="Month ends", starts_on="2025-01-29", live_training_on="2025-01-31")
    assert client.post("/training/cohorts/new/", data).status_code == 302

    def held(name: str) -> list[date]:
        cohort = Cohort.objects.in_org(national).get(name=name)
        return list(
            ConsultationCall.objects.in_org(national)
            .filter(cohort=cohort)
            .order_by("number")
            .values_list("held_on", flat=True)
        )

    fortnightly = held("Fortnightly")
    assert fortnightly == consultation_dates(
        live_training_on=date(2025, 1, 17), schedule="twice_monthly", calendar=Calendar()
    )
    # A half month after the live training's first day, then each month's 17th and 15 days later: the twelfth call
    # falls six months after the live training, when the path's consultation has run its length. Those due on a
    # closed day are held on the next open one (Washington's Birthday, 17 February, among them).
    assert fortnightly == [
        date(2025, 2, 3),  # 1 February is a Saturday
        date(2025, 2, 18),  # Washington's Birthday
        date(2025, 3, 4),
        date(2025, 3, 17),
        date(2025, 4, 1),
        date(2025, 4, 17),
        date(2025, 5, 2),
        date(2025, 5, 19),  # a Saturday
        date(2025, 6, 2),  # a Sunday
        date(2025, 6, 17),
        date(2025, 7, 2),
        date(2025, 7, 17),
    ]
    # A live training on 31 January: calls fall on each month's last day, never drifting to the 28th (or on the
    # first open day after it).
    assert held("Month ends") == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 6, 2),  # 31 May is a Saturday
        date(2025, 6, 30),
        date(2025, 7, 31),
        date(2025, 9, 2),  # 31 August is a Sunday, 1 September Labor Day
        date(2025, 9, 30),
        date(2025, 10, 31),
        date(2025, 12, 1),  # 30 November is a Sunday
        date(2025, 12, 31),
        date(2026, 2, 2),  # 31 January is a Saturday
    ]
    assert AuditEntry.objects.in_org(national).filter(action="cohort.create").count() == 2


ENDS_BEFORE_START = "The cohort must end after it starts."
LIVE_OUTSIDE = "The live training must fall within the cohort's dates."


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        # Ending before the start also puts the live training outside the dates: both fields say so.
        ({"ends_on": "2025-02-01"}, {"ends_on": [ENDS_BEFORE_START], "live_training_on": [LIVE_OUTSIDE]}),
        ({"ends_on": "2025-03-01", "live_training_on": "2025-03-01"}, {"ends_on": [ENDS_BEFORE_START]}),
        ({"live_training_on": "2026-03-02"}, {"live_training_on": [LIVE_OUTSIDE]}),
        ({"live_training_on": "2025-02-28"}, {"live_training_on": [LIVE_OUTSIDE]}),
    ],
)
def test_bad_dates_show_the_message_next_to_the_field_and_keep_what_was_typed(
    national: Organization,
    program: Program,
    program_admin: User,
    trainer: User,
    signed_in: Callable[[User], Client],
    overrides: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    data = _form([trainer], **overrides)
    response = signed_in(program_admin).post("/training/cohorts/new/", data)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    page = response.content.decode()
    for field, [message] in errors.items():
        assert f'<ul class="errorlist" id="id_{field}_error"><li>{escape(message)}</li></ul>' in page
    for field in ("starts_on", "ends_on", "live_training_on"):
        assert f'name="{field}" value="{data[field]}"' in page
    assert 'name="name" value="Spring Collaborative"' in page
    assert 'name="capacity" value="18"' in page
    assert '<option value="IN" selected>' in page
    assert '<option value="OH" selected>' in page
    assert f'<option value="{trainer.pk}" selected>' in page
    assert not Cohort.objects.in_org(national).exists()
    assert not ConsultationCall.objects.in_org(national).exists()
    assert not CohortEvent.objects.in_org(national).exists()
    assert not AuditEntry.objects.in_org(national).exists()


def test_only_active_trainers_the_program_admin_can_see_may_lead_a_cohort(
    national: Organization,
    cac: Organization,
    program: Program,
    program_admin: User,
    trainer: User,
    provider: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    elsewhere = OrganizationFactory(kind=OrganizationKind.TRAINING_PROVIDER, parent=NationalOfficeFactory())
    hidden_trainer = make_member(Role.TRAINER, elsewhere)
    clinician = make_member(Role.CLINICIAN, cac)
    former = make_member(Role.TRAINER, provider)
    org_services.membership_deactivate(
        actor=program_admin, membership=Membership.objects.in_org(provider).get(user=former)
    )
    client = signed_in(program_admin)

    form_page = client.get("/training/cohorts/new/").content.decode()
    assert f'<option value="{trainer.pk}">Tess Trainer</option>' in form_page
    for outsider in (hidden_trainer, clinician, former):
        response = client.post("/training/cohorts/new/", _form([outsider]))
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["trainers"]
        assert (
            f"Select a valid choice. {outsider.pk} is not one of the available choices."
            in (response.context["form"].errors["trainers"][0])
        )
    assert not Cohort.objects.in_org(national).exists()
    assert not AuditEntry.objects.in_org(national).exists()


def test_the_calls_time_of_day_and_time_zone_are_kept_and_shown(
    national: Organization, program: Program, program_admin: User, trainer: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(program_admin)
    assert client.post("/training/cohorts/new/", _form([trainer])).status_code == 302
    cohort = Cohort.objects.in_org(national).get()
    assert (cohort.call_time, cohort.call_time_zone) == (None, "America/New_York")
    assert facts(client.get(f"/training/cohorts/{cohort.pk}/"))["Consultation calls"] == (
        "Monthly for 12 months, time not set"
    )

    edited = _form([trainer], call_time="15:30", call_time_zone="America/Chicago")
    assert client.post(f"/training/cohorts/{cohort.pk}/edit/", edited).status_code == 302
    cohort.refresh_from_db()
    assert (cohort.call_time, cohort.call_time_zone) == (time(15, 30), "America/Chicago")
    assert facts(client.get(f"/training/cohorts/{cohort.pk}/"))["Consultation calls"] == (
        "Monthly for 12 months, at 3:30 p.m. Central time"
    )
    # A time of day does not move the calls.
    assert [c.held_on for c in ConsultationCall.objects.in_org(national).filter(cohort=cohort)] == consultation_dates(
        live_training_on=date(2025, 3, 3), schedule="monthly", calendar=Calendar()
    )
