"""The caseload says what each row means: how much of PRACTICE each child covered, which measure is overdue, which
child has a critical answer waiting, in words as well as in colour."""

import re
from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.care import services
from haven.organizations.models import Organization
from haven.programs.models import Program

from .factories import measure, register


def _row(page: str, code: str) -> str:
    match = re.search(rf"<tr>\s*<td><a [^>]*>{code}</a>.*?</tr>", page, re.S)
    assert match, code
    return match.group(0)


def test_each_row_shows_its_own_practice_coverage_overdue_measure_and_critical_answer(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    today = timezone.now().date()
    covered = {"few": ["p"], "many": ["p", "r", "a", "c", "t"]}
    episodes = {}
    for name, components in covered.items():
        episode = register(cac=cac, program=program, clinician=clinician, case_number=name)
        services.session_record(
            actor=clinician,
            episode=episode,
            held_on=episode.referred_on + timedelta(days=7),
            minutes=60,
            kind="child",
            components=components,
            caregiver_present=False,
            modality="in_person",
        )
        episodes[name] = episode
    # "few" was measured long ago (overdue); "many" a week ago (due later), with a critical answer.
    measure(
        episodes["few"], clinician, timepoint="baseline", on=episodes["few"].referred_on + timedelta(days=7), symptom=1
    )
    services.assessment_record(
        actor=clinician,
        episode=episodes["many"],
        instrument_code="phq_a",
        timepoint="baseline",
        administered_on=today - timedelta(days=7),
        responses={str(n): 1 for n in range(1, 10)},
    )

    page = signed_in(clinician).get("/care/").content.decode()
    few, many = _row(page, episodes["few"].child.display_code), _row(page, episodes["many"].child.display_code)

    assert few.count('class="done"') == 1 and few.count('class="todo"') == 7 and "1/8" in few
    assert many.count('class="done"') == 5 and many.count('class="todo"') == 3 and "5/8" in many
    assert "5 of 8 PRACTICE components covered" in many

    assert re.search(r'<span class="measure-overdue">Periodic measure overdue since [^<]+</span>', few)
    assert "status-late" not in many and "overdue" not in many

    assert '<span class="badge badge-danger">Critical answer</span>' in many
    assert "badge-danger" not in few
