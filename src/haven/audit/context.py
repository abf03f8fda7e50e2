"""What an audit entry was written in: the request (set by middleware), or the task or management command that
wrote it without one (``running``); read by ``audit.record``."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    # The task or command at work, as "task:<name>" or "command:<name>"; "" in a request.
    via: str = ""


current: ContextVar[RequestContext] = ContextVar("haven_audit_request", default=RequestContext())  # noqa: B039 - frozen

TASK, COMMAND = "task", "command"


@contextmanager
def running(kind: str, name: str) -> Iterator[None]:
    """Entries written inside the block were written by this task or command (``kind`` TASK or COMMAND)."""
    token = current.set(replace(current.get(), via=f"{kind}:{name}"))
    try:
        yield
    finally:
        current.reset(token)
