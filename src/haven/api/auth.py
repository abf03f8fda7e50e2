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

import functools
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.db import connection
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
    """Count one request of ``key`` in the current minute; raise ``RateLimited`` beyond the rate.

    One statement counts it and answers the count (an UPSERT with ``RETURNING``, SQLite and PostgreSQL alike), so
    two processes counting at once each see their own request counted: the minute's row is made by the first and
    added to by the others. The first request of a new minute (a count of 1) clears the key's past minutes."""
    now = now or timezone.now()
    minute = int(now.timestamp() // 60)
    with connection.cursor() as cursor:
        cursor.execute(_count_statement(), [key.organization_id, key.pk, minute])
        (count,) = cursor.fetchone()
    if count == 1:  # a new minute: the past ones are done with
        RateWindow.objects.in_org(key.organization_id).filter(key=key, minute__lt=minute).delete()
    if count > settings.HAVEN_API_RATE_PER_MINUTE:
        raise RateLimited(retry_after=max(1, 60 - int(now.timestamp()) % 60))


@functools.cache
def _count_statement() -> str:
    meta = RateWindow._meta
    table, q = meta.db_table, connection.ops.quote_name
    fields = {field.name: field for field in meta.concrete_fields}
    column = {
        name: q(fields[name].column or fields[name].attname) for name in ("organization", "key", "minute", "count")
    }
    # Names from the model's own metadata, quoted; the values go as parameters.
    return (
        f"INSERT INTO {q(table)} AS w ({column['organization']}, {column['key']}, {column['minute']}, "  # noqa: S608
        f"{column['count']}) VALUES (%s, %s, %s, 1) ON CONFLICT ({column['key']}, {column['minute']}) "
        f"DO UPDATE SET {column['count']} = w.{column['count']} + 1 RETURNING {column['count']}"
    )
