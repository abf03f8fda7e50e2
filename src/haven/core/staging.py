"""An upload's dry run, carried to its confirmation: the rows it planned, signed, never stored.

Both imports (care's CAC export, training's rosters and course completions) read the file once, show what each
row would do, and offer a confirmation only when no row is in error. The planned rows travel in the confirmation
form, signed (``django.core.signing``) for one purpose, one person and one scope (the CAC, or the program), and
for an hour: a payload altered, expired, or made for another purpose reads as :class:`Expired`; one made for
someone else, or for another scope, answers 404 like anything out of reach.
"""

from typing import Any

from django.core import signing
from django.http import Http404

MAX_AGE = 60 * 60  # seconds from the dry run to its confirmation


class Expired(Exception):
    """The payload expired, was altered, or was made for another kind of import."""


def _salt(purpose: str) -> str:
    return f"haven.{purpose}.import"


def stage(*, purpose: str, user_id: int, scope: int, **data: Any) -> str:
    """The signed payload of a dry run: ``data`` (its rows and what describes them), for ``user_id`` in ``scope``."""
    return signing.dumps({**data, "user": user_id, "scope": scope}, salt=_salt(purpose), compress=True)


def unstage(payload: str, *, purpose: str, user_id: int, scope: int) -> dict[str, Any]:
    """What :func:`stage` signed, for the same person in the same scope."""
    try:
        data: dict[str, Any] = signing.loads(payload, salt=_salt(purpose), max_age=MAX_AGE)
    except signing.BadSignature:
        raise Expired from None
    if data.pop("user") != user_id or data.pop("scope") != scope:
        raise Http404
    return data
