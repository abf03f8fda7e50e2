"""The clinician's pages: the caseload and the session page answer in a fixed number of queries, and a
session can be entered from the keyboard in one post."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.care.models import Episode, Session
from haven.organizations.models import Organization
from haven.programs.models import Program

from .factories import completed_case, measure, register, sessions


def _count(client: Client, url: str, assert_max: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_caseload_does_not_grow_with_the_caseload(
    cac: Organization,
    program: Program,
    clinician: User,
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(client_user := clinician)
    register(cac=cac, program=program, clinician=client_user, case_number="first")
    client.get("/care/")
    small = _count(client, "/care/", django_assert_max_num_queries)
    for n in range(25):
        episode = register(cac=cac, program=program, clinician=clinician, case_number=f"n{n}")
        sessions(episode, clinician, 2)
    large = _count(client, "/care/", django_assert_max_num_queries)
    assert large == small


def test_the_session_page_does_not_grow_with_the_sessions(
    cac: Organization,
    program: Program,
    clinician: User,
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(clinician)
    short = register(cac=cac, program=program, clinician=clinician, case_number="short")
    sessions(short, clinician, 1)
    long = register(cac=cac, program=program, clinician=clinician, case_number="long")
    sessions(long, clinician, 20)
    measure(long, clinician, timepoint="baseline", on=long.referred_on + timedelta(days=7), symptom=2)
    client.get(f"/care/episodes/{short.pk}/")
    assert _count(client, f"/care/episodes/{short.pk}/", None) == _count(client, f"/care/episodes/{long.pk}/", None)


def test_a_session_is_one_post_and_updates_the_caseload(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    episode = register(cac=cac, program=program, clinician=clinician, case_number="s")
    client = signed_in(clinician)
    day = (timezone.now().date() - timedelta(days=3)).isoformat()
    response = client.post(
        f"/care/episodes/{episode.pk}/sessions/",
        {"held_on": day, "minutes": 55, "kind": "conjoint", "components": ["p", "cj"], "modality": "in_person"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="sessions"' in response.content.decode()
    episode.refresh_from_db()
    assert (episode.sessions_count, episode.caregiver_sessions, episode.practice) == (1, 1, ["p", "cj"])
    assert Session.objects.in_org(cac).get().clinician_id == clinician.pk


def test_a_session_before_the_referral_is_refused(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    episode = register(cac=cac, program=program, clinician=clinician, case_number="s")
    response = signed_in(clinician).post(
        f"/care/episodes/{episode.pk}/sessions/",
        {
            "held_on": (episode.referred_on - timedelta(days=1)).isoformat(),
            "minutes": 55,
            "kind": "child",
            "modality": "in_person",
        },
    )
    assert response.status_code == 422
    assert not Session.objects.in_org(cac).exists()


def test_the_outcomes_page_reports_the_completed_cases(
    cac: Organization,
    program: Program,
    clinician: User,
    cac_admin: User,
    program_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    for n in range(3):
        completed_case(cac=cac, program=program, clinician=clinician, case_number=str(n))
    for user in (cac_admin, program_admin):
        page = signed_in(user).get("/reporting/outcomes/").content.decode()
        assert "CATS 7-17" in page
    assert Episode.objects.in_org(cac).filter(status="completed").count() == 3
