"""What every part of the API shares: the error body and the errors a keyed operation documents."""

from typing import Any

from ninja import Field, Schema


class Problem(Schema):
    detail: str = Field(..., description="What went wrong, in a sentence.")


def problems(*statuses: int) -> dict[int, Any]:
    """The error answers an operation documents beside its success: 401, 403 and 429 for every keyed one, and
    ``statuses`` (``response={200: Out, **problems(404, 422)}``)."""
    return dict.fromkeys((401, 403, 429, *statuses), Problem)
