"""The request an audit entry belongs to: set by middleware, read by ``audit.record``."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


current: ContextVar[RequestContext] = ContextVar("haven_audit_request", default=RequestContext())  # noqa: B039 - frozen
