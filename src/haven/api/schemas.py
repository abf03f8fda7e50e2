"""What every part of the API shares: the error body and the errors a keyed operation documents."""

from typing import Any

from ninja import Field, Schema


class Problem(Schema):
    detail: str = Field(..., description="What went wrong, in a sentence.")


class Invalid(Schema):
    detail: str | list[dict[str, Any]] = Field(
        ...,
        description=(
            "Why the request was refused: one entry per value that does not match the description (where it is, "
            "loc; why, msg; the kind of error, type), or a sentence."
        ),
    )


def problems(*statuses: int) -> dict[int, Any]:
    """The error answers an operation documents beside its success: 401, 403 and 429 for every keyed one, 422 for
    a request whose parameters or body do not match the description, and ``statuses``
    (``response={200: Out, **problems(404)}``)."""
    return {**dict.fromkeys((401, 403, 429, *statuses), Problem), 422: Invalid}
