"""A CAC's case system replays a month of its sessions through the API, and the program's dashboard, the CAC's own
figures and its caseload read exactly as when the same month is entered through the pages (the care services the
pages call). Each way runs from the same database: it is rolled back after its reading."""

import dataclasses
import json
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.api import keys
from haven.care import selectors as care_selectors
from haven.care import services
from haven.care.tests.factories import CATS, cats_answers, tf_cbt
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import figures
from haven.training.tests.factories import enroll, make_cohort, make_program

URL = "/api/v1/care/batch"
EMAILS = ("dana@cac.example", "eli@cac.example")


@dataclasses.dataclass(frozen=True)
class Visit:
    held_on: date
    minutes: int
    kind: str
    components: list[str]
    caregiver_present: bool
    modality: str


@dataclasses.dataclass(frozen=True)
class Case:
    """One child of the month: their intake, their episode's sessions and, for some, a baseline measure."""

    number: int
    clinician: str
    age: int
    gender: str
    race_ethnicity: str
    trauma_types: list[str]
    referred_on: date
    visits: list[Visit]
    baseline: dict[str, int | None] | None

    @property
    def case_number(self) -> str:
        return f"2025-{self.number:05d}"


def _month() -> date:
    """The first day of the month before last: the whole month (and its sessions) is in the past."""
    return (timezone.now().date().replace(day=1) - timedelta(days=40)).replace(day=1)


def _month_of_work(rng: random.Random, first: date) -> list[Case]:
    cases = []
    for number in range(1, 9):
        referred_on = first + timedelta(days=rng.randint(0, 9))
        visits = [
            Visit(
                held_on=referred_on + timedelta(days=2 + 4 * n),
                minutes=rng.choice([45, 60, 90]),
                kind=rng.choice(["child", "caregiver", "conjoint"]),
                components=sorted(rng.sample(["p", "r", "a", "c", "t", "i", "cj", "e"], rng.randint(0, 3))),
                caregiver_present=rng.random() < 0.5,
                modality=rng.choice(["in_person", "telehealth"]),
            )
            for n in range(rng.randint(2, 4))
        ]
        cases.append(
            Case(
                number=number,
                clinician=EMAILS[number % 2],
                age=rng.randint(7, 17),
                gender=rng.choice(["girl", "boy", "another"]),
                race_ethnicity=rng.choice(["black", "hispanic", "asian", "not_recorded"]),
                trauma_types=sorted(rng.sample(["sexual_abuse", "physical_abuse", "neglect"], rng.randint(1, 2))),
                referred_on=referred_on,
                visits=visits,
                baseline=cats_answers(rng.randint(0, 3)) if rng.random() < 0.6 else None,
            )
        )
    return cases


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


@pytest.fixture
def clinicians(
    program: Program,
    national: Organization,
    provider: Organization,
    cac: Organization,
    make_member: Callable[..., User],
) -> dict[str, User]:
    admin = make_member(Role.PROGRAM_ADMIN, national)
    cohort = make_cohort(program=program, actor=admin, trainers=[make_member(Role.TRAINER, provider)])
    made = {}
    for email in EMAILS:
        made[email] = make_member(Role.CLINICIAN, cac, email=email)
        enroll(program=program, cac=cac, clinician=made[email], actor=admin, cohort=cohort)
    return made


@pytest.fixture
def cac_admin(cac: Organization, make_member: Callable[..., User]) -> Membership:
    return Membership.objects.in_org(cac).get(user=make_member(Role.ORG_ADMIN, cac))


def _plain(value: Any) -> Any:
    """Dataclasses and dates as JSON-like values, so a reading keeps no row and no database id."""
    return json.loads(json.dumps(dataclasses.asdict(value), default=str))


def _reading(program: Program, cac: Organization, admin: Membership) -> dict[str, Any]:
    """What the program admin's dashboard shows (as ``reporting.views.dashboard`` computes it), the CAC's own
    figures (``reporting.views.outcomes`` for its admin), and the CAC's caseload row by row (without the random
    display codes and the ids)."""
    today = timezone.now().date()
    whole = figures.Filters()
    work = figures.workforce(program, whole, today=today)
    reached = figures.care(program, whole, today=today)
    caseload = sorted(
        (
            row.episode.child.age_at_referral,
            row.episode.child.gender,
            row.episode.referred_on.isoformat(),
            row.episode.clinician.email,
            row.episode.sessions_count,
            row.episode.caregiver_sessions,
            str(row.episode.first_session_on),
            str(row.episode.last_session_on),
            row.episode.has_baseline,
            row.episode.practice,
            row.open_alerts,
            str(row.measure),
        )
        for row in care_selectors.caseload(admin)
    )
    return {
        "program": _plain(reached),
        "progress": [_plain(p) for p in figures.progress(program, work, reached)],
        "series": json.loads(json.dumps(figures.series(work, reached), default=str)),
        "cac": _plain(figures.care(program, whole, today=today, organization_id=cac.pk)),
        "caseload": caseload,
    }


def _through_the_pages(cases: list[Case], program: Program, cac: Organization, clinicians: dict[str, User]) -> None:
    """Each clinician records their own children as the intake, session and measure pages do."""
    for case in cases:
        clinician = clinicians[case.clinician]
        episode = services.child_register(
            actor=clinician,
            cac=cac,
            program=program,
            case_number=case.case_number,
            clinician=clinician,
            treatment_model=tf_cbt(),
            age_at_referral=case.age,
            gender=case.gender,
            race_ethnicity=case.race_ethnicity,
            trauma_types=case.trauma_types,
            referred_on=case.referred_on,
        )
        for visit in case.visits:
            services.session_record(actor=clinician, episode=episode, **dataclasses.asdict(visit))
        if case.baseline is not None:
            episode.refresh_from_db()
            services.assessment_record(
                actor=clinician,
                episode=episode,
                instrument_code=CATS,
                timepoint="baseline",
                administered_on=case.visits[0].held_on,
                responses=case.baseline,
            )


def _batch(cases: list[Case]) -> dict[str, Any]:
    """The same month as the case system sends it: one document, each record with the system's own id."""
    return {
        "children": [
            {
                "id": f"child-{c.number}",
                "case_number": c.case_number,
                "age_at_referral": c.age,
                "gender": c.gender,
                "race_ethnicity": c.race_ethnicity,
                "trauma_types": c.trauma_types,
                "referred_on": c.referred_on.isoformat(),
            }
            for c in cases
        ],
        "episodes": [
            {
                "id": f"episode-{c.number}",
                "case_number": c.case_number,
                "treatment_model": "tf-cbt",
                "clinician": c.clinician,
                "referred_on": c.referred_on.isoformat(),
            }
            for c in cases
        ],
        "sessions": [
            {
                "id": f"session-{c.number}-{n}",
                "episode": f"episode-{c.number}",
                "clinician": c.clinician,
                **dataclasses.asdict(v),
                "held_on": v.held_on.isoformat(),
            }
            for c in cases
            for n, v in enumerate(c.visits)
        ],
        "assessments": [
            {
                "id": f"measure-{c.number}",
                "episode": f"episode-{c.number}",
                "instrument": CATS,
                "timepoint": "baseline",
                "administered_on": c.visits[0].held_on.isoformat(),
                "responses": c.baseline,
            }
            for c in cases
            if c.baseline is not None
        ],
    }


def test_a_month_replayed_through_the_api_reads_as_the_same_month_entered_through_the_pages(
    program: Program,
    cac: Organization,
    clinicians: dict[str, User],
    cac_admin: Membership,
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    cases = _month_of_work(random.Random(7), _month())
    client = api_client(make_key(cac, [keys.CARE_WRITE]))
    empty = _reading(program, cac, cac_admin)

    with transaction.atomic():
        _through_the_pages(cases, program, cac, clinicians)
        by_pages = _reading(program, cac, cac_admin)
        transaction.set_rollback(True)

    assert _reading(program, cac, cac_admin) == empty  # the second way starts from the same database
    with transaction.atomic():
        response = client.post(URL, json.dumps(_batch(cases)), content_type="application/json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["errors"] == []
        sessions = sum(len(c.visits) for c in cases)
        measures = sum(c.baseline is not None for c in cases)
        assert body["created"] == {"children": 8, "episodes": 8, "sessions": sessions, "assessments": measures}
        by_api = _reading(program, cac, cac_admin)
        transaction.set_rollback(True)

    # The month is counted, not two empty readings: every child, session and measure of it.
    assert by_pages["program"]["children"] == 8 and by_pages["cac"]["children"] == 8
    assert by_pages["program"]["sessions"] == sessions and by_pages["program"]["referred"] == 8
    assert len(by_pages["caseload"]) == 8 and sum(row[8] for row in by_pages["caseload"]) == measures
    assert by_pages != empty
    assert by_api == by_pages
