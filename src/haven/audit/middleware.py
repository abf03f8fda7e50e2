import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from .context import RequestContext, current

logger = logging.getLogger("haven.requests")

# A request id a proxy may hand us (nginx's $request_id is 32 hex digits): letters, digits, "-" and "_", 8 to 32 of
# them (the audit log's column). Anything else is replaced by one of ours.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxies saw, counted from the right of X-Forwarded-For."""
    trusted = settings.HAVEN_TRUSTED_PROXIES
    if trusted:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR") or None


def request_id_of(request: HttpRequest) -> str:
    """The X-Request-ID the request came with if well formed, else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if WELL_FORMED_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def user_id_of(request: HttpRequest) -> int | None:
    """The signed-in user's id, if the request already looked its user up (never a lookup of its own)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestContextMiddleware:
    """Gives each request an id (the proxy's X-Request-ID if well formed, sent back as X-Request-ID), remembers its
    client address, and logs one line when it is answered: method, path (never the query string), status,
    duration, request id and user id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_of(request)
        token = current.set(RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id_of(request),
            }
            logger.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={"fields": fields},
            )
        finally:
            current.reset(token)
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "" outside a request) on every log record, as ``record.request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get().request_id
        return True
