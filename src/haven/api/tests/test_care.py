"""A CAC's case system pushes a batch of care records: what the pages would show is created and refreshed, a second
send changes nothing, every CAC's ids are its own, each bad record is answered with its errors (the good ones
written), the audit names the key, and no case number is kept anywhere."""

import contextlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.api import keys
from haven.api.models import ApiKey
from haven.audit.models import AuditEntry
from haven.care.models import Assessment, Child, CriticalAlert, Episode, Session
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting.models import CacCell, ChildServed
from haven.training.tests.factories import enroll, make_cohort, make_program

CASE, OTHER_CASE = "NCA-2025-00417", "NCA-2025-00988"
URL = "/api/v1/care/batch"


def _day(days_ago: int) -> str:
    return (timezone.now().date() - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


@pytest.fixture
def enrolled(
    program: Program, national: Organization, provider: Organization, make_member: Callable[..., User]
) -> Callable[[Organization, str], User]:
    admin = make_member(Role.PROGRAM_ADMIN, national)
    cohort = make_cohort(program=program, actor=admin, trainers=[make_member(Role.TRAINER, provider)])

    def make(cac: Organization, email: str) -> User:
        user = make_member(Role.CLINICIAN, cac, email=email)
        enroll(program=program, cac=cac, clinician=user, actor=admin, cohort=cohort)
        return user

    return make


@pytest.fixture
def clinician(cac: Organization, enrolled: Callable[[Organization, str], User]) -> User:
    return enrolled(cac, "dana@cac.example")


@pytest.fixture
def send(cac: Organization, make_key: Callable[..., str], api_client: Callable[[str], Client]) -> Callable[..., Any]:
    clients: dict[int, Client] = {}

    def post(body: dict[str, Any], organization: Organization | None = None) -> Any:
        organization = organization or cac
        if organization.pk not in clients:
            clients[organization.pk] = api_client(make_key(organization, [keys.CARE_WRITE]))
        return clients[organization.pk].post(URL, json.dumps(body), content_type="application/json")

    return post


def _batch(email: str = "dana@cac.example", *, case: str = CASE, sessions: int = 3) -> dict[str, Any]:
    return {
        "children": [
            {
                "id": "c-1",
                "case_number": case,
                "age_at_referral": 14,
                "gender": "girl",
                "trauma_types": ["sexual_abuse"],
                "referred_on": _day(60),
            }
        ],
        "episodes": [
            {"id": "e-1", "case_number": case, "treatment_model": "tf-cbt", "clinician": email, "referred_on": _day(60)}
        ],
        "sessions": [
            {
                "id": f"s-{n}",
                "episode": "e-1",
                "clinician": email,
                "held_on": _day(50 - n),
                "minutes": 60,
                "kind": "conjoint" if n == 2 else "child",
                "components": ["p", "r"],
            }
            for n in range(1, sessions + 1)
        ],
        "assessments": [
            {
                "id": "a-1",
                "episode": "e-1",
                "instrument": "phq_a",
                "timepoint": "baseline",
                "administered_on": _day(50),
                "responses": {str(n): 1 for n in range(1, 10)},
            }
        ],
    }


def test_a_batch_creates_what_the_pages_show_and_refreshes_the_figures(
    send: Callable[..., Any], cac: Organization, clinician: User, program: Program
) -> None:
    assert not ChildServed.objects.of_program(program).exists()
    response = send(_batch())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["errors"] == []
    assert body["created"] == {"children": 1, "episodes": 1, "sessions": 3, "assessments": 1}
    episode = Episode.objects.in_org(cac).get(pk=body["ids"]["episodes"]["e-1"])
    assert episode.clinician == clinician and episode.program == program
    # The write-time refresh ran: the caseload's counters, children served and the CAC's figure cells.
    assert episode.sessions_count == 3 and episode.caregiver_sessions == 1
    assert episode.practice == ["p", "r"] and episode.has_baseline
    assert list(ChildServed.objects.of_program(program).values_list("child_id", flat=True)) == [episode.child_id]
    assert CacCell.objects.in_org(cac).exists()
    assert sorted(Session.objects.in_org(cac).values_list("pk", flat=True)) == sorted(body["ids"]["sessions"].values())
    assert Assessment.objects.in_org(cac).get().total == 9


def test_the_same_batch_sent_twice_creates_nothing_and_answers_the_same_ids(
    send: Callable[..., Any], cac: Organization, clinician: User
) -> None:
    first = send(_batch()).json()
    entries = AuditEntry.objects.in_org(cac).count()
    second = send(_batch()).json()
    assert second["created"] == {"children": 0, "episodes": 0, "sessions": 0, "assessments": 0}
    assert second["unchanged"] == {"children": 1, "episodes": 1, "sessions": 3, "assessments": 1}
    assert second["ids"] == first["ids"] and second["errors"] == []
    assert (Child.objects.in_org(cac).count(), Episode.objects.in_org(cac).count()) == (1, 1)
    assert (Session.objects.in_org(cac).count(), Assessment.objects.in_org(cac).count()) == (3, 1)
    assert AuditEntry.objects.in_org(cac).count() == entries  # nothing written, nothing to audit


def test_sessions_and_measures_of_a_later_batch_find_the_episode_sent_before(
    send: Callable[..., Any], cac: Organization, clinician: User
) -> None:
    batch = _batch(sessions=5)
    first = send({"children": batch["children"], "episodes": batch["episodes"]}).json()
    later = send({"sessions": batch["sessions"], "assessments": batch["assessments"]}).json()
    assert later["errors"] == []
    assert later["created"] == {"children": 0, "episodes": 0, "sessions": 5, "assessments": 1}
    episode = Episode.objects.in_org(cac).get(pk=first["ids"]["episodes"]["e-1"])
    assert (episode.sessions_count, episode.has_baseline) == (5, True)


def test_ids_are_per_cac_and_a_key_of_another_cac_cannot_touch_this_cacs_episodes(
    send: Callable[..., Any],
    cac: Organization,
    other_cac: Organization,
    clinician: User,
    enrolled: Callable[[Organization, str], User],
) -> None:
    enrolled(other_cac, "olive@other.example")
    mine = send(_batch()).json()
    # The other CAC pushes sessions to "e-1": its own sender ids know no such episode.
    sessions_only = {"sessions": _batch("olive@other.example")["sessions"]}
    refused = send(sessions_only, other_cac).json()
    assert {e["id"] for e in refused["errors"]} == {"s-1", "s-2", "s-3"}
    assert all(e["errors"] == {"episode": [e["errors"]["episode"][0]]} for e in refused["errors"])
    assert Session.objects.in_org(other_cac).count() == 0
    assert Episode.objects.in_org(cac).get().sessions_count == 3
    # The same ids (and even the same case number) at the other CAC are its own records.
    theirs = send(_batch("olive@other.example"), other_cac).json()
    assert theirs["created"] == {"children": 1, "episodes": 1, "sessions": 3, "assessments": 1}
    assert set(theirs["ids"]["episodes"].values()).isdisjoint(mine["ids"]["episodes"].values())
    assert Episode.objects.in_org(other_cac).get().organization_id == other_cac.pk
    assert Session.objects.in_org(cac).count() == 3


def test_each_bad_record_is_answered_with_its_errors_and_the_good_ones_are_written(
    send: Callable[..., Any], cac: Organization, clinician: User, make_member: Callable[..., User]
) -> None:
    make_member(Role.CLINICIAN, cac, email="unenrolled@cac.example")
    batch = _batch()
    batch["sessions"] += [
        {"id": "s-future", "episode": "e-1", "clinician": clinician.email, "held_on": _day(-3), "minutes": 50,
         "kind": "child"},
        {"id": "s-before", "episode": "e-1", "clinician": clinician.email, "held_on": _day(90), "minutes": 50,
         "kind": "child"},
        {"id": "s-nobody", "episode": "e-1", "clinician": "unenrolled@cac.example", "held_on": _day(20),
         "minutes": 50, "kind": "child"},
        {"id": "s-orphan", "episode": "e-404", "clinician": clinician.email, "held_on": _day(20), "minutes": 50,
         "kind": "child"},
    ]  # fmt: skip
    batch["assessments"].append(
        {"id": "a-bad", "episode": "e-1", "instrument": "phq_a", "timepoint": "post",
         "administered_on": _day(10), "responses": {"1": 7}}
    )  # fmt: skip
    batch["episodes"].append(
        {"id": "e-unknown", "case_number": "NOT-SENT", "treatment_model": "tf-cbt", "clinician": clinician.email,
         "referred_on": _day(10)}
    )  # fmt: skip
    body = send(batch).json()
    errors = {(e["kind"], e["id"]): set(e["errors"]) for e in body["errors"]}
    assert errors == {
        ("session", "s-future"): {"held_on"},
        ("session", "s-before"): {"held_on"},
        ("session", "s-nobody"): {"clinician"},
        ("session", "s-orphan"): {"episode"},
        ("assessment", "a-bad"): {"responses"},
        ("episode", "e-unknown"): {"case_number"},
    }
    assert body["created"] == {"children": 1, "episodes": 1, "sessions": 3, "assessments": 1}
    assert Session.objects.in_org(cac).count() == 3


def test_a_new_child_without_its_episode_is_refused(
    send: Callable[..., Any], cac: Organization, clinician: User
) -> None:
    batch = _batch()
    batch["episodes"] = []
    body = send(batch).json()
    assert [(e["kind"], e["id"], list(e["errors"])) for e in body["errors"]][0] == ("child", "c-1", ["case_number"])
    assert not Child.objects.in_org(cac).exists()


def test_a_critical_answer_raises_its_alert_and_tells_the_cacs_subscribers(
    send: Callable[..., Any], cac: Organization, clinician: User, make_member: Callable[..., User]
) -> None:
    from haven.api import webhooks
    from haven.api.models import WebhookDelivery
    from haven.organizations.models import Membership
    from haven.organizations.roles import Role

    admin = Membership.objects.in_org(cac).get(user=make_member(Role.ORG_ADMIN, cac))
    webhooks.endpoint_create(membership=admin, label="On call", url="https://example.org/hook", events=["alert.raised"])
    batch = _batch()
    batch["assessments"][0]["responses"] = {**{str(n): 1 for n in range(1, 9)}, "9": 3}
    assert send(batch).json()["errors"] == []
    alert = CriticalAlert.objects.in_org(cac).get()
    assert alert.item == "9"
    delivery = WebhookDelivery.objects.in_org(cac).get()
    assert delivery.event == "alert.raised" and delivery.payload["record"] == {"kind": "alert", "id": alert.pk}


def test_the_audit_entry_names_the_key_and_no_case_number_is_kept_or_answered(
    send: Callable[..., Any], cac: Organization, clinician: User
) -> None:
    batch = _batch()
    batch["sessions"][0]["held_on"] = _day(-5)  # an error: its answer must not echo the case number either
    response = send(batch)
    assert response.status_code == 200
    key = ApiKey.objects.in_org(cac).get()
    entry = AuditEntry.objects.in_org(cac).get(action="care.batch")
    assert entry.detail["via"] == f"api:key:{key.pk}" and entry.actor is None
    assert entry.detail["create"] == 5 and entry.detail["episodes"] == list(response.json()["ids"]["episodes"].values())
    assert CASE not in response.content.decode()
    for table in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - the tables' own names
            for row in cursor.fetchall():
                assert CASE not in repr(row) and CASE.replace("-", "") not in repr(row), table


def test_a_document_that_breaks_the_schema_writes_nothing(
    send: Callable[..., Any], cac: Organization, clinician: User
) -> None:
    batch = _batch()
    batch["sessions"][0]["kind"] = "group"
    response = send(batch)
    assert response.status_code == 422
    assert CASE not in response.content.decode()
    assert not Child.objects.in_org(cac).exists()


def test_only_a_cacs_key_pushes_care(
    national: Organization, make_key: Callable[..., str], api_client: Callable[[str], Client]
) -> None:
    secret = make_key(national, [keys.TRAINING_WRITE])
    ApiKey.objects.in_org(national).update(scopes=[keys.CARE_WRITE])  # a key no page could make
    response = api_client(secret).post(URL, json.dumps({}), content_type="application/json")
    assert response.status_code == 403


def test_a_body_that_is_not_an_object_is_refused_not_taken_for_an_empty_batch(
    cac: Organization, make_key: Callable[..., str], api_client: Callable[[str], Any]
) -> None:
    client = api_client(make_key(cac, [keys.CARE_WRITE]))
    response = client.post("/api/v1/care/batch", "[null, null]", content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "payload"]


class _Undo(Exception):
    pass


def test_a_batch_costs_the_same_statements_for_ten_sessions_as_for_thousands(
    send: Callable[..., Any], cac: Organization, clinician: User
) -> None:
    """Written in bulk with its refreshes (the episodes' counters, children served, the figure cells, the audit): the
    number of statements does not grow with the batch, past any size a statement is cut at. Each size is sent on
    the same records, undone after."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    assert send({}).status_code == 200  # the key and its client, kept across the undone sends
    statements = {}
    for size in (10, 2_500):
        with contextlib.suppress(_Undo), transaction.atomic():
            batch = _batch()
            assert send({"children": batch["children"], "episodes": batch["episodes"]}).status_code == 200
            sessions = [
                {"id": f"s-{n}", "episode": "e-1", "clinician": clinician.email, "held_on": _day(1 + n % 55),
                 "minutes": 50, "kind": ("child", "caregiver", "conjoint")[n % 3],
                 "components": ["p", "r", "a"][: 1 + n % 3]}
                for n in range(size)
            ]  # fmt: skip
            with CaptureQueriesContext(connection) as queries:
                body = send({"sessions": sessions}).json()
            assert body["errors"] == [] and body["created"]["sessions"] == size
            episode = Episode.objects.in_org(cac).get()
            assert (episode.sessions_count, episode.practice) == (size, ["p", "r", "a"])
            assert episode.caregiver_sessions == len([s for s in sessions if s["kind"] != "child"])
            assert ChildServed.objects.in_org(cac).count() == 1
            statements[size] = len(queries)
            raise _Undo
    assert statements[10] == statements[2_500], statements
