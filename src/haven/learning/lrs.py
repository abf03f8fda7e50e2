"""xAPI statements out: the learning admin's download, and the sending to the company's learning record store.

``send`` POSTs a company's unsent statements, oldest first, in batches, to ``<endpoint>/statements`` (a JSON array,
``X-Experience-API-Version: 1.0.3``, basic authentication with the key and the secret). A batch the store accepts is
marked sent; a batch it refuses, or a store that does not answer, keeps its statements unsent with one more attempt
and the error, and the next run (``manage.py learning_send_statements``) tries again. A company's statements go only
to its own store: every query is scoped to the company.
"""

import base64
import dataclasses
import json
import urllib.error
import urllib.request
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Organization

from . import secrets as stored_secrets
from .models import LearningSettings, XapiStatement
from .sso import check_url

XAPI_VERSION = "1.0.3"
BATCH_SIZE = 50
HTTP_TIMEOUT_SECONDS = 15


@dataclasses.dataclass(frozen=True)
class SendResult:
    sent: int = 0
    failed: int = 0
    error: str = ""


class StoreError(Exception):
    """The store refused or did not answer; the message names the status or the failure, never a secret."""


def is_configured(found: LearningSettings | None) -> bool:
    return bool(found and found.lrs_endpoint)


def _request(found: LearningSettings, path: str, *, body: bytes | None = None) -> int:
    try:
        secret = stored_secrets.unseal(found.lrs_password)
    except stored_secrets.SecretUnreadable as error:
        raise StoreError("the stored secret cannot be read: enter it again") from error
    headers = {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if found.lrs_username or secret:
        pair = f"{found.lrs_username}:{secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    url = found.lrs_endpoint.rstrip("/") + path
    if not check_url(url):
        raise StoreError("the endpoint must be an https:// address")
    method = "POST" if body is not None else "GET"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read(100_000)
            return int(response.status)
    except urllib.error.HTTPError as error:
        raise StoreError(f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise StoreError(f"not reached: {type(reason).__name__}") from error


def check_connection(found: LearningSettings) -> str:
    """Empty when the store answers its ``/about`` resource; otherwise what went wrong."""
    try:
        _request(found, "/about")
    except StoreError as error:
        return str(error)
    return ""


def unsent(company: Organization) -> Any:
    return XapiStatement.objects.in_org(company).filter(sent_at__isnull=True).order_by("stored_at", "pk")


def send(*, company: Organization, batch_size: int = BATCH_SIZE) -> SendResult:
    """Send the company's unsent statements to its store; stop at the first batch that fails (retried next run)."""
    found = LearningSettings.objects.in_org(company).first()
    if found is None or not is_configured(found):
        return SendResult()
    sent = 0
    while True:
        batch = list(unsent(company).values_list("pk", "statement")[:batch_size])
        if not batch:
            break
        ids = [pk for pk, _body in batch]
        try:
            _request(found, "/statements", body=json.dumps([body for _pk, body in batch]).encode())
        except StoreError as error:
            XapiStatement.objects.in_org(company).filter(pk__in=ids).update(
                send_attempts=F("send_attempts") + 1, last_error=str(error)[:400]
            )
            audit.record(
                actor=None,
                action="learning.statements_send_failed",
                organization=company,
                detail={"sent": sent, "failed": len(ids)},
            )
            return SendResult(sent=sent, failed=len(ids), error=str(error))
        sent += XapiStatement.objects.in_org(company).filter(pk__in=ids).update(sent_at=timezone.now(), last_error="")
    if sent:
        audit.record(actor=None, action="learning.statements_sent", organization=company, detail={"sent": sent})
    return SendResult(sent=sent)


def send_all(*, batch_size: int = BATCH_SIZE) -> dict[int, SendResult]:
    """Every company with a store: what was sent and what failed, by company id."""
    companies = (
        LearningSettings.objects.dangerously_unscoped()
        .exclude(lrs_endpoint="")
        .select_related("organization")
        .order_by("organization_id")
    )
    return {found.organization_id: send(company=found.organization, batch_size=batch_size) for found in companies}


def statements_export(
    *, actor: User, company: Organization, since: date | None = None, until: date | None = None
) -> list[dict[str, Any]]:
    """The company's statements of a period (by when they happened, both days included), for its learning admin."""
    found = XapiStatement.objects.in_org(company).order_by("timestamp", "pk")
    if since is not None:
        found = found.filter(timestamp__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until is not None:
        found = found.filter(timestamp__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)))
    statements = list(found.values_list("statement", flat=True))
    audit.record(
        actor=actor, action="learning.statements_download", organization=company, detail={"count": len(statements)}
    )
    return statements
