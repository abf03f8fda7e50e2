"""Webhooks, against a receiver started here on 127.0.0.1: a delivery arrives signed and verifies, a receiver that
fails is tried again on the backoff until the last attempt fails it, another organization never hears this one's
events, and no event's payload carries a child-level value."""

# ruff: noqa: F811 (the fixtures of the grants and the creative review, imported to raise their events)

import contextlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.api import webhooks
from haven.api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from haven.care import services as care_services
from haven.care.models import CriticalAlert, Episode
from haven.care.tests import factories as care_factories
from haven.core.money import Money
from haven.grants import services as grant_services
from haven.grants.models import Fund
from haven.grants.tests.conftest import chapter, euro_rates, fund, program, program_admin  # noqa: F401
from haven.grants.tests.payment_builders import approved_grant
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import services as reporting_services
from haven.reporting.models import QuarterlyReport
from haven.safeguarding import services as safeguarding_services
from haven.safeguarding.models import Outcome, Submission
from haven.safeguarding.tests.conftest import (  # noqa: F401
    answer_all,
    asset_store,
    brand,
    company,
    creative,
    draft,
    safeguarder,
)

ALL_EVENTS = list(WebhookEvent.values)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST with the next status of ``answers`` (the last one kept)."""

    base: str
    answers: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)

    def at(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.HAVEN_WEBHOOK_LOCAL_HOSTS = ["127.0.0.1"]
    state = Receiver(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def _admin(make_member: Callable[..., User], organization: Organization) -> Membership:
    role = Role.PROGRAM_ADMIN if organization.kind == "national_office" else Role.ORG_ADMIN
    return Membership.objects.in_org(organization).get(user=make_member(role, organization))


def _subscribe(
    make_member: Callable[..., User], organization: Organization, url: str, events: list[str] = ALL_EVENTS
) -> tuple[WebhookEndpoint, str]:
    return webhooks.endpoint_create(
        membership=_admin(make_member, organization), label="Case system", url=url, events=events
    )


def _raise_alert(
    cac: Organization, program: Program, make_member: Callable[..., User], capture: Callable[..., Any]
) -> Episode:
    """A clinician records a PHQ-A answering item 9 above 0: a critical alert is raised."""
    clinician = make_member(Role.CLINICIAN, cac)
    episode = care_factories.register(cac=cac, program=program, clinician=clinician)
    with capture(execute=True):
        care_services.assessment_record(
            actor=clinician,
            episode=episode,
            instrument_code="phq_a",
            timepoint="baseline",
            administered_on=episode.referred_on + timedelta(days=7),
            responses={str(n): 1 for n in range(1, 10)},
        )
    return episode


def test_a_delivery_arrives_signed_and_verifies(
    receiver: Receiver,
    cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    endpoint, secret = _subscribe(make_member, cac, f"{receiver.base}/hook", [WebhookEvent.ALERT_RAISED])
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)

    [request] = receiver.received
    alert = CriticalAlert.objects.in_org(cac).get()
    assert request.headers["X-Haven-Event"] == "alert.raised"
    assert request.headers["Content-Type"] == "application/json"
    now = int(timezone.now().timestamp())
    assert webhooks.verify(
        secret, request.headers["X-Haven-Timestamp"], request.body, request.headers["X-Haven-Signature"], now=now
    )
    # Signed with this endpoint's secret only: another secret, or a body changed in transit, does not verify.
    assert not webhooks.verify(
        "whsec_other", request.headers["X-Haven-Timestamp"], request.body, request.headers["X-Haven-Signature"], now=now
    )
    tampered = request.body.replace(b'"organization"', b'"organisation"')
    assert not webhooks.verify(
        secret, request.headers["X-Haven-Timestamp"], tampered, request.headers["X-Haven-Signature"], now=now
    )
    payload = json.loads(request.body)
    assert payload["event"] == "alert.raised"
    assert payload["organization"] == cac.pk
    assert payload["record"] == {"kind": "alert", "id": alert.pk}
    delivery = WebhookDelivery.objects.in_org(cac).get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert delivery.event_id == payload["id"]


def test_a_write_rolled_back_delivers_nothing(
    receiver: Receiver, cac: Organization, program: Program, make_member: Callable[..., User]
) -> None:
    """Deliveries are made in the write's transaction and sent once it commits: without a commit, nothing goes."""
    _subscribe(make_member, cac, f"{receiver.base}/hook")
    clinician = make_member(Role.CLINICIAN, cac)
    episode = care_factories.register(cac=cac, program=program, clinician=clinician)
    care_services.assessment_record(
        actor=clinician,
        episode=episode,
        instrument_code="phq_a",
        timepoint="baseline",
        administered_on=episode.referred_on + timedelta(days=7),
        responses={str(n): 1 for n in range(1, 10)},
    )  # the test's transaction never commits
    assert WebhookDelivery.objects.in_org(cac).count() == 1
    assert receiver.received == []


def test_a_receiver_answering_500_then_200_gets_it_on_the_retry(
    receiver: Receiver,
    cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    receiver.answers = [500, 200]
    _subscribe(make_member, cac, f"{receiver.base}/hook")
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.in_org(cac).get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert delivery.next_attempt_at is not None
    assert webhooks.deliver_due() == 0  # not due yet: the first step of the backoff
    assert len(receiver.received) == 1

    assert webhooks.deliver_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    first, second = receiver.received
    assert first.body == second.body  # the same event: the receiver can drop a repeat by its id
    assert webhooks.deliver_due(now=delivery.created_at + timedelta(days=2)) == 0


def test_after_the_last_attempt_a_delivery_is_failed(
    receiver: Receiver,
    cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    receiver.answers = [500]
    _subscribe(make_member, cac, f"{receiver.base}/hook")
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.in_org(cac).get()
    gaps = []
    while delivery.status == DeliveryStatus.PENDING:
        assert delivery.next_attempt_at is not None
        gaps.append(delivery.next_attempt_at)
        assert webhooks.deliver_due(now=delivery.next_attempt_at) == 1
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 6, 500)
    assert len(receiver.received) == webhooks.ATTEMPTS == 6
    # Each wait longer than the one before (exponential backoff).
    waits = [later - earlier for earlier, later in zip(gaps, gaps[1:], strict=False)]
    assert waits == sorted(waits) and len(set(waits)) == len(waits)
    assert webhooks.deliver_due(now=delivery.created_at + timedelta(days=30)) == 0
    assert len(receiver.received) == 6


def test_a_paused_subscription_gets_nothing_until_resumed(
    receiver: Receiver,
    cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    endpoint, _secret = _subscribe(make_member, cac, f"{receiver.base}/hook")
    admin = _admin(make_member, cac)
    webhooks.endpoint_pause(membership=admin, endpoint=endpoint, active=False)
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)
    assert receiver.received == []
    assert WebhookDelivery.objects.in_org(cac).count() == 0


def test_another_organizations_subscription_never_receives_this_ones_events(
    receiver: Receiver,
    cac: Organization,
    other_cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _subscribe(make_member, cac, f"{receiver.base}/ours")
    _subscribe(make_member, other_cac, f"{receiver.base}/theirs")
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)

    assert len(receiver.at("/ours")) == 1
    assert receiver.at("/theirs") == []
    assert WebhookDelivery.objects.in_org(other_cac).count() == 0


def test_only_an_https_url_is_subscribed_and_a_private_address_is_refused_when_sending(
    settings: Any, cac: Organization, make_member: Callable[..., User]
) -> None:
    settings.HAVEN_WEBHOOK_LOCAL_HOSTS = []
    with pytest.raises(webhooks.ValidationError):
        _subscribe(make_member, cac, "http://example.org/hook")
    endpoint, _secret = _subscribe(make_member, cac, "https://127.0.0.1:9/hook")
    delivery = webhooks.emit(event=WebhookEvent.REPORT_READY, organization_id=cac.pk, kind="report", record_id=1)[0]
    attempted = webhooks.attempt(delivery.pk)
    assert attempted is not None
    assert (attempted.attempts, attempted.last_status_code, attempted.last_error) == (1, None, "address not public")


def test_only_an_admin_subscribes_and_the_secret_is_returned_once(
    cac: Organization, make_member: Callable[..., User]
) -> None:
    clinician = Membership.objects.in_org(cac).get(user=make_member(Role.CLINICIAN, cac))
    with pytest.raises(webhooks.PermissionDenied):
        webhooks.endpoint_create(membership=clinician, label="X", url="https://example.org/h", events=ALL_EVENTS)
    endpoint, secret = _subscribe(make_member, cac, "https://example.org/h")
    assert secret.startswith("whsec_") and len(secret) > 40
    other, other_secret = _subscribe(make_member, cac, "https://example.org/h")
    assert other_secret != secret


# -- Every event, from the pillar that raises it ------------------------------------------------------------------


def _approve(draft: Submission, creative: Membership, reviewers: list[Membership]) -> None:
    safeguarding_services.submit(membership=creative, submission=draft)
    for reviewer in reviewers:
        answer_all(reviewer, draft)
        safeguarding_services.decide(membership=reviewer, submission=draft, outcome=Outcome.APPROVE)


def test_every_event_reaches_its_organization_with_ids_only(
    receiver: Receiver,
    national: Organization,
    cac: Organization,
    chapter: Organization,
    program: Program,
    fund: Fund,
    program_admin: User,
    company: Organization,
    draft: Submission,
    creative: Membership,
    safeguarder: Membership,
    brand: Membership,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Report ready (reporting), tranche due (grants), review approved (safeguarding) and critical alert raised
    (care), each announced by the pillar's own service: each payload names the event, its id, when, the
    organization and the record, and nothing else (no score, pseudonym or case number)."""
    for organization in (national, cac, chapter, company):
        _subscribe(make_member, organization, f"{receiver.base}/{organization.pk}")

    episode = _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        report = QuarterlyReport.objects.create(
            organization=national, program=program, quarter=program.starts_on, language="en", requested_by=program_admin
        )
        reporting_services.report_store(report=report, content=b"%PDF-1.7")
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    day = fund.starts_on + timedelta(days=60)
    tranche = grant_services.tranche_save(
        actor=program_admin, grant=grant, tranche=None, amount=Money.of("500", "USD"), due_on=day
    )
    with django_capture_on_commit_callbacks(execute=True):
        grant_services.tranches_evaluate(program=program, on=day, actor=program_admin)
    with django_capture_on_commit_callbacks(execute=True):
        _approve(draft, creative, [safeguarder, brand])

    alert = CriticalAlert.objects.in_org(cac).get()
    seen = {
        (request.path, json.loads(request.body)["event"], json.loads(request.body)["record"]["id"])
        for request in receiver.received
    }
    assert seen == {
        (f"/{cac.pk}", "alert.raised", alert.pk),
        (f"/{national.pk}", "report.ready", report.pk),
        (f"/{chapter.pk}", "tranche.due", tranche.pk),
        (f"/{national.pk}", "tranche.due", tranche.pk),  # the office that releases it
        (f"/{company.pk}", "review.approved", draft.pk),
    }
    child = episode.child
    child_values = {child.display_code, child.case_key}
    for request in receiver.received:
        payload = json.loads(request.body)
        assert set(payload) == {"id", "event", "created", "organization", "record"}
        assert set(payload["record"]) == {"kind", "id"}
        assert payload["record"]["kind"] in {"alert", "report", "tranche", "submission"}
        assert isinstance(payload["organization"], int) and isinstance(payload["record"]["id"], int)
        assert not any(f'"{value}"' in request.body.decode() for value in child_values)
        assert request.headers["X-Haven-Event"] == payload["event"]


# -- The page -----------------------------------------------------------------------------------------------------


def test_the_admin_subscribes_on_the_page_sees_the_secret_once_and_reads_the_delivery_log(
    receiver: Receiver,
    cac: Organization,
    other_cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = signed_in(make_member(Role.ORG_ADMIN, cac))
    _subscribe(make_member, other_cac, "https://example.org/theirs")
    url = reverse("webhooks:list")

    refused = client.post(url, {"label": "Case system", "url": "http://example.org/hook", "events": ["alert.raised"]})
    assert refused.status_code == 400
    assert WebhookEndpoint.objects.in_org(cac).count() == 0

    made = client.post(url, {"label": "Case system", "url": f"{receiver.base}/hook", "events": ["alert.raised"]})
    assert made.status_code == 200
    endpoint = WebhookEndpoint.objects.in_org(cac).get()
    secret = webhooks.secret_of(endpoint)  # stored sealed: the page shows it in clear, once
    assert secret.startswith(webhooks.SECRET_MARKER) and secret in made.content.decode()
    assert endpoint.events == ["alert.raised"]
    page = client.get(url).content.decode()
    assert secret not in page
    assert "Case system" in page and "example.org/theirs" not in page

    receiver.answers = [503]
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)
    log = client.get(url).content.decode()
    assert "alert.raised" in log and "503" in log and "Waiting" in log

    paused = client.post(reverse("webhooks:pause", kwargs={"endpoint_id": endpoint.pk}))
    assert paused.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert webhooks.deliver_due(now=timezone.now() + timedelta(days=1)) == 0  # paused: nothing is sent
    client.post(reverse("webhooks:pause", kwargs={"endpoint_id": endpoint.pk}), {"active": "yes"})
    endpoint.refresh_from_db()
    assert endpoint.is_active


# -- The task worker ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_posts_the_delivery_and_schedules_its_retry(
    receiver: Receiver, settings: Any, cac: Organization, program: Program, make_member: Callable[..., User]
) -> None:
    """With the database backend: the write enqueues the delivery on commit, ``db_worker`` posts it, and a failed
    attempt enqueues the next one for its time (not run before)."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    receiver.answers = [500, 200]
    _subscribe(make_member, cac, f"{receiver.base}/hook")
    _raise_alert(cac, program, make_member, lambda execute: contextlib.nullcontext())
    assert receiver.received == []  # enqueued, not yet run

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    delivery = WebhookDelivery.objects.in_org(cac).get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert len(receiver.received) == 1
    waiting = DBTaskResult.objects.filter(status="READY")
    assert [(task.args_kwargs["args"], task.run_after) for task in waiting] == [
        ([delivery.pk], delivery.next_attempt_at)
    ]
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert len(receiver.received) == 1  # its time has not come


def test_a_system_reads_its_own_deliveries_through_the_api_and_never_another_organizations(
    receiver: Receiver,
    cac: Organization,
    other_cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    make_key: Callable[..., str],
    api_client: Callable[[str], Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _subscribe(make_member, cac, f"{receiver.base}/ours")
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)
    ours = api_client(make_key(cac, ["care:write"])).get("/api/v1/webhooks/deliveries")
    assert ours.status_code == 200
    (delivery,) = ours.json()
    assert (delivery["event"], delivery["status"], delivery["attempts"]) == ("alert.raised", "delivered", 1)
    assert delivery["last_status_code"] == 200 and delivery["event_id"].startswith("evt_")
    theirs = api_client(make_key(other_cac, ["care:write"])).get("/api/v1/webhooks/deliveries")
    assert theirs.status_code == 200 and theirs.json() == []


def test_an_endpoints_secret_is_sealed_at_rest_and_still_signs_after_the_otp_key_rotates(
    receiver: Receiver,
    cac: Organization,
    program: Program,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
    settings: Any,
) -> None:
    """A copy of the database alone cannot sign as Haven: the secret is kept sealed under the otp key, which never
    enters the database. After a rotation it still signs (the older key opens it) and ``webhook_reseal`` moves it
    under the new key; an endpoint kept in clear from before is sealed by it too, and signs the same."""
    from django.core.management import call_command

    from haven.accounts import second_factor
    from haven.audit.models import AuditEntry

    settings.HAVEN_OTP_KEY, settings.HAVEN_OTP_KEYS_OLD = "old otp key " * 3, []
    endpoint, secret = _subscribe(make_member, cac, f"{receiver.base}/hook", [WebhookEvent.ALERT_RAISED])
    stored = WebhookEndpoint.objects.in_org(cac).values_list("secret", flat=True).get(pk=endpoint.pk)
    assert secret not in stored and second_factor.is_current(stored)

    settings.HAVEN_OTP_KEY, settings.HAVEN_OTP_KEYS_OLD = "new otp key " * 3, ["old otp key " * 3]
    _raise_alert(cac, program, make_member, django_capture_on_commit_callbacks)
    [request] = receiver.received
    now = int(timezone.now().timestamp())
    headers = request.headers
    assert webhooks.verify(secret, headers["X-Haven-Timestamp"], request.body, headers["X-Haven-Signature"], now=now)

    in_clear = "whsec_" + "a" * 43  # a secret stored before secrets were sealed
    WebhookEndpoint.objects.in_org(cac).filter(pk=endpoint.pk).update(secret=in_clear)
    assert webhooks.secret_of(WebhookEndpoint.objects.in_org(cac).get(pk=endpoint.pk)) == in_clear
    WebhookEndpoint.objects.in_org(cac).filter(pk=endpoint.pk).update(secret=stored)
    other, other_secret = _subscribe(make_member, cac, f"{receiver.base}/other", [WebhookEvent.ALERT_RAISED])
    WebhookEndpoint.objects.in_org(cac).filter(pk=other.pk).update(secret=other_secret)

    out = io.StringIO()
    call_command("webhook_reseal", stdout=out)
    assert "Resealed 2 webhook secret(s); 0 already under the current key." in out.getvalue()
    for hook, shown in ((endpoint, secret), (other, other_secret)):
        resealed = WebhookEndpoint.objects.in_org(cac).get(pk=hook.pk)
        assert second_factor.is_current(resealed.secret) and shown not in resealed.secret
        assert webhooks.secret_of(resealed) == shown
    entry = AuditEntry.objects.dangerously_unscoped().filter(action="webhook.reseal").get()
    assert entry.detail == {"resealed": 2, "current": 0}
