"""Webhooks: an organization subscribes a URL to some events; Haven posts each event there, signed, from the task
worker, and retries with backoff.

- **Subscribe** (``endpoint_create``): an org admin or program admin gives a label, an ``https`` URL and the
  events; the endpoint's secret is returned once, to be shown once (it stays stored: Haven signs with it).
- **Emit** (``emit``): the pillars announce what happened through ``core.changes`` (``ReportReady``,
  ``TranchesDue``, ``ReviewApproved``, ``AlertsRaised``); the keepers here make one ``WebhookDelivery`` per
  subscribed, active endpoint of the organizations concerned, in the write's transaction, and the delivery task is
  enqueued once it commits. A rolled-back write delivers nothing.
- **Payload**: the event, its id (a receiver drops a repeat by it), when, the organization and the record's kind
  and id. Never a child-level value (no score, pseudonym or case number): the receiver asks the API for more.
- **Deliver** (``attempt``): a POST of the JSON body with ``X-Haven-Event``, ``X-Haven-Timestamp`` (Unix seconds)
  and ``X-Haven-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>``. A 2xx answer
  delivers it; anything else (another status, a timeout, a refused address) is retried after 1 minute,
  5 minutes, 30 minutes, 2 hours and 12 hours (``BACKOFF``), then the delivery is failed. Redirects are not
  followed, and a URL whose host resolves to a private, loopback or reserved address is refused at each attempt
  (``HAVEN_WEBHOOK_LOCAL_HOSTS`` names the hosts exempt from this and from ``https``: tests and local setups).
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts import second_factor
from haven.audit import services as audit
from haven.core import changes
from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.programs.models import Program

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
ATTEMPTS = len(BACKOFF) + 1  # the first, then one per step of the backoff
TIMEOUT = 10  # seconds a receiver has to answer
LEASE = timedelta(seconds=3 * TIMEOUT)  # an attempt under way holds its delivery this long
SECRET_MARKER = "whsec_"  # noqa: S105 (a marker, not a secret)
# The associated data of a secret sealed under the otp key (``accounts.second_factor``): it opens as nothing else.
SECRET_CONTEXT = b"haven webhook secret"
WEBHOOK_ADMINS = frozenset({Role.ORG_ADMIN, Role.PROGRAM_ADMIN})
MAX_ENDPOINTS = 20  # per organization


def check_admin(membership: Membership) -> None:
    if not membership.is_active or membership.role not in WEBHOOK_ADMINS:
        raise PermissionDenied


def local_hosts() -> frozenset[str]:
    return frozenset(getattr(settings, "HAVEN_WEBHOOK_LOCAL_HOSTS", ()))


def check_url(url: str) -> str:
    """An endpoint's URL: ``https`` with a host (``http`` only for ``HAVEN_WEBHOOK_LOCAL_HOSTS``)."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.hostname or parts.username or parts.password:
        raise ValidationError({"url": _("Give the full address, such as https://example.org/haven-events.")})
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in local_hosts()):
        raise ValidationError({"url": _("The address must begin with https://: events are sent encrypted.")})
    return url


def seal_secret(secret: str) -> str:
    """An endpoint's secret as stored: sealed under the current otp key, which never enters the database."""
    return second_factor.seal(secret.encode(), context=SECRET_CONTEXT)


def secret_of(endpoint: WebhookEndpoint) -> str:
    """The secret Haven signs an endpoint's deliveries with (sealed; or in clear, stored before it was sealed)."""
    stored = endpoint.secret
    if not second_factor.is_sealed(stored):
        return stored
    return second_factor.open_key(stored, context=SECRET_CONTEXT).decode()


def secrets_reseal() -> tuple[int, int]:
    """Every endpoint's secret sealed under the current otp key (after ``keys_rotate otp``, or one in clear):
    (resealed, already current). A secret is replaced only if it is still the one read (a background command,
    across every organization)."""
    resealed = current = 0
    for pk, stored in WebhookEndpoint.objects.dangerously_unscoped().order_by("pk").values_list("pk", "secret"):
        if second_factor.is_current(stored):
            current += 1
            continue
        clear = (
            stored
            if not second_factor.is_sealed(stored)
            else second_factor.open_key(stored, context=SECRET_CONTEXT).decode()
        )
        resealed += (
            WebhookEndpoint.objects.dangerously_unscoped()
            .filter(pk=pk, secret=stored)
            .update(secret=seal_secret(clear))
        )
    audit.record(actor=None, action="webhook.reseal", detail={"resealed": resealed, "current": current})
    return resealed, current


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``X-Haven-Signature``: ``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with the secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver checks: the signature is the secret's, and the timestamp is recent (a replay is refused)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


# -- Subscriptions ------------------------------------------------------------------------------------------------


@transaction.atomic
def endpoint_create(
    *, membership: Membership, label: str, url: str, events: Iterable[str]
) -> tuple[WebhookEndpoint, str]:
    """A new subscription of the member's organization; its secret is returned once, to be shown once."""
    check_admin(membership)
    label = label.strip()
    if not label:
        raise ValidationError({"label": _("Give the subscription a label: the system that receives it.")})
    url = check_url(url)
    chosen = sorted(set(events))
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")})
    if not set(chosen) <= set(WebhookEvent.values):
        raise ValidationError({"events": _("Choose among the events listed.")})
    if WebhookEndpoint.objects.in_org(membership.organization_id).count() >= MAX_ENDPOINTS:
        raise ValidationError(_("An organization has at most %(count)d subscriptions.") % {"count": MAX_ENDPOINTS})
    secret = SECRET_MARKER + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        organization_id=membership.organization_id,
        label=label,
        url=url,
        events=chosen,
        secret=seal_secret(secret),
        created_by=membership.user,
    )
    audit.record(
        actor=membership.user,
        action="webhook.subscribe",
        organization=membership.organization_id,
        target=endpoint,
        detail={"events": chosen},
    )
    return endpoint, secret


def _own(membership: Membership, endpoint: WebhookEndpoint) -> None:
    check_admin(membership)
    if endpoint.organization_id != membership.organization_id:
        raise PermissionDenied


@transaction.atomic
def endpoint_pause(*, membership: Membership, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Pause a subscription (no new deliveries; those waiting are not sent while it is paused) or resume it."""
    _own(membership, endpoint)
    if endpoint.is_active != active:
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
        audit.record(
            actor=membership.user,
            action="webhook.resume" if active else "webhook.pause",
            organization=endpoint.organization_id,
            target=endpoint,
        )
    return endpoint


@transaction.atomic
def endpoint_delete(*, membership: Membership, endpoint: WebhookEndpoint) -> None:
    """Delete a subscription and its delivery log."""
    _own(membership, endpoint)
    endpoint_id = endpoint.pk
    deliveries = WebhookDelivery.objects.in_org(endpoint.organization_id).filter(endpoint=endpoint).count()
    endpoint.delete()
    audit.record(
        actor=membership.user,
        action="webhook.delete",
        organization=endpoint.organization_id,
        target_type="api.webhookendpoint",
        target_id=endpoint_id,
        detail={"count": deliveries},
    )


# -- Events -------------------------------------------------------------------------------------------------------


def payload_of(*, event_id: str, event: str, organization_id: int, kind: str, record_id: int) -> dict[str, object]:
    """The body of every delivery: what happened, to which record of which organization. Ids only."""
    return {
        "id": event_id,
        "event": event,
        "created": timezone.now().isoformat(timespec="seconds"),
        "organization": organization_id,
        "record": {"kind": kind, "id": record_id},
    }


def emit(
    *, event: WebhookEvent, organization_id: int, kind: str, record_id: int, recipients: Iterable[int] = ()
) -> list[WebhookDelivery]:
    """One event about a record of ``organization_id``: a delivery for every active endpoint subscribed to it of
    that organization (and of ``recipients``), made in the caller's transaction and sent once it commits."""
    organizations = {organization_id, *recipients}
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.in_orgs(organizations).filter(is_active=True)
        if event.value in endpoint.events
    ]
    if not endpoints:
        return []
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = payload_of(
        event_id=event_id,
        event=event.value,
        organization_id=organization_id,
        kind=kind,
        record_id=record_id,
    )
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            organization_id=endpoint.organization_id,
            endpoint=endpoint,
            event=event.value,
            event_id=event_id,
            payload=payload,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _send(ids))
    return deliveries


def _send(delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook  # the task attempts through this module

    for delivery_id in delivery_ids:
        deliver_webhook.enqueue(delivery_id)


def report_ready(change: changes.ReportReady) -> None:
    emit(
        event=WebhookEvent.REPORT_READY,
        organization_id=change.organization_id,
        kind="report",
        record_id=change.report_id,
    )


def tranches_due(change: changes.TranchesDue) -> None:
    """The grantee is told, and the program's office (which releases the tranche)."""
    office = Program.objects.dangerously_unscoped().values_list("organization_id", flat=True).get(pk=change.program_id)
    for grantee, tranche in sorted(change.tranches):
        emit(
            event=WebhookEvent.TRANCHE_DUE,
            organization_id=grantee,
            kind="tranche",
            record_id=tranche,
            recipients=[office],
        )


def review_approved(change: changes.ReviewApproved) -> None:
    emit(
        event=WebhookEvent.REVIEW_APPROVED,
        organization_id=change.organization_id,
        kind="submission",
        record_id=change.submission_id,
    )


def alerts_raised(change: changes.AlertsRaised) -> None:
    for alert_id in sorted(change.alert_ids):
        emit(event=WebhookEvent.ALERT_RAISED, organization_id=change.organization_id, kind="alert", record_id=alert_id)


def keep_events() -> None:
    """Register the keepers (``ApiConfig.ready``)."""
    changes.keep(changes.ReportReady, report_ready)
    changes.keep(changes.TranchesDue, tranches_due)
    changes.keep(changes.ReviewApproved, review_approved)
    changes.keep(changes.AlertsRaised, alerts_raised)


# -- Delivery -----------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is an answer like any other that is not 2xx: retried, never followed


_opener = urllib.request.build_opener(_NoRedirect)


class Refused(Exception):
    """The endpoint's address may not be reached."""


def _check_address(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host in local_hosts():
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except OSError as error:
        raise Refused("unknown host") from error
    for address in addresses:
        if not ipaddress.ip_address(str(address).split("%")[0]).is_global:
            raise Refused("address not public")


def _post(delivery: WebhookDelivery, body: bytes) -> tuple[int | None, str]:
    """POST the body once: the status code (None when none came) and a short error ("" on a 2xx)."""
    hook = delivery.endpoint
    timestamp = int(timezone.now().timestamp())
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked: https, or http to a local host)
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Haven-Webhooks/1",
            "X-Haven-Event": delivery.event,
            "X-Haven-Timestamp": str(timestamp),
            "X-Haven-Signature": sign(secret_of(hook), timestamp, body),
        },
    )
    try:
        check_url(hook.url)
        _check_address(hook.url)
        with _opener.open(request, timeout=TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"HTTP {error.code}"
    except Refused as error:
        return None, str(error)
    except ValidationError:
        return None, "address refused"
    except (OSError, ValueError) as error:
        return None, type(error).__name__
    if 200 <= status < 300:
        return status, ""
    return status, f"HTTP {status}"


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def attempt(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Try a waiting delivery once, if it is due (``next_attempt_at`` has come) and its endpoint active: delivered
    on a 2xx, else due again after the next step of ``BACKOFF``, or failed after ``ATTEMPTS``. None when there was
    nothing to try (delivered, failed, not yet due, paused, or taken by another worker)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.dangerously_unscoped().filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    )
    with transaction.atomic():
        claimed = due.select_related("endpoint").select_for_update(of=("self",)).first()
        if claimed is None:
            return None
        # Held for the attempt's length, so a second worker leaves it alone without a lock kept over the network.
        WebhookDelivery.objects.in_org(claimed.organization_id).filter(pk=claimed.pk).update(
            next_attempt_at=now + LEASE
        )
    status, error = _post(claimed, body_of(claimed))
    claimed.attempts += 1
    claimed.last_status_code, claimed.last_error = status, error
    if not error:
        claimed.status, claimed.delivered_at, claimed.next_attempt_at = DeliveryStatus.DELIVERED, timezone.now(), None
    elif claimed.attempts >= ATTEMPTS:
        claimed.status, claimed.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        claimed.next_attempt_at = now + BACKOFF[claimed.attempts - 1]
    WebhookDelivery.objects.in_org(claimed.organization_id).filter(pk=claimed.pk).update(
        attempts=claimed.attempts,
        last_status_code=claimed.last_status_code,
        last_error=claimed.last_error,
        status=claimed.status,
        delivered_at=claimed.delivered_at,
        next_attempt_at=claimed.next_attempt_at,
    )
    return claimed


def due_ids(*, now: datetime) -> list[int]:
    """The deliveries waiting whose next attempt has come (the worker's sweep: ``manage.py webhooks_deliver``)."""
    return list(
        WebhookDelivery.objects.dangerously_unscoped()
        .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
    )


def deliver_due(*, now: datetime | None = None) -> int:
    """Attempt every delivery that is due: how many were attempted."""
    now = now or timezone.now()
    return sum(attempt(delivery_id, now=now) is not None for delivery_id in due_ids(now=now))


# -- Reading ------------------------------------------------------------------------------------------------------


def endpoints_of(organization_id: int) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.in_org(organization_id).select_related("created_by"))


def deliveries_of(organization_id: int, *, limit: int = 100) -> list[WebhookDelivery]:
    """The delivery log: the organization's latest deliveries, newest first."""
    return list(WebhookDelivery.objects.in_org(organization_id).select_related("endpoint")[:limit])
