"""Who calls the API: a key, presented as ``Authorization: Bearer hvn_...``, holding the operation's scope, within
its rate limit.

- An unknown, revoked or expired key answers 401 alike (``WWW-Authenticate: Bearer``), as does no key.
- A live key without the operation's scope answers 403.
- A key over its rate (``settings.HAVEN_API_RATE_PER_MINUTE`` requests in a clock minute) answers 429 with
  ``Retry-After``: the seconds to the next minute. The count is kept in the database (``RateWindow``), so every
  server process counts the same requests.
- Every audit entry written while a key's request runs names the key (``via = "api:key:<id>"``): a child-level
  record pushed through the API is audited like one written through a page, with the key in place of a person.
"""

from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from haven.audit.context import current

from . import keys
from .models import ApiKey, RateWindow


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class KeyAuth(HttpBearer):
    """The operation's authentication: ``auth=KeyAuth(keys.CARE_WRITE)``. ``request.auth`` is then the key."""

    openapi_description = "An API key of your organization (made by its admin on the page API keys), with the scope."

    def __init__(self, scope: str | None) -> None:
        """``scope`` None: any live key of any scope (the key's own description)."""
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = keys.key_use(token)
        if key is None:
            return None
        if self.scope is not None and self.scope not in key.scopes:
            raise MissingScope(self.scope)
        count_request(key)
        # Named in every audit entry of this request; the request's middleware resets the context when it ends.
        current.set(replace(current.get(), via=f"api:key:{key.pk}"))
        return key


def count_request(key: ApiKey, *, now: datetime | None = None) -> None:
    """Count one request of ``key`` in the current minute; raise ``RateLimited`` beyond the rate."""
    now = now or timezone.now()
    minute = int(now.timestamp() // 60)
    windows = RateWindow.objects.in_org(key.organization_id)
    with transaction.atomic():
        if not windows.filter(key=key, minute=minute).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateWindow.objects.create(organization_id=key.organization_id, key=key, minute=minute, count=1)
                windows.filter(key=key, minute__lt=minute).delete()  # a new minute: the past ones are done with
            except IntegrityError:  # another process made the minute's row first
                windows.filter(key=key, minute=minute).update(count=F("count") + 1)
        count = windows.filter(key=key, minute=minute).values_list("count", flat=True).first() or 0
    if count > settings.HAVEN_API_RATE_PER_MINUTE:
        raise RateLimited(retry_after=max(1, 60 - int(now.timestamp()) % 60))
