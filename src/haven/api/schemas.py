"""What every part of the API shares: the error body and the errors a keyed operation documents."""

from datetime import date
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, StringConstraints


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
    """The error answers an operation documents beside its success: 400 for a body that is not JSON, 401, 403 and
    429 for every keyed one, 422 for a request whose parameters or body do not match the description, and
    ``statuses`` (``response={200: Out, **problems(404)}``)."""
    return {**dict.fromkeys((400, 401, 403, 429, *statuses), Problem), 422: Invalid}


def _date_as_text(value: object) -> object:
    """A date arrives as text (``2026-11-30``): pydantic would otherwise take a number for a Unix time."""
    if not isinstance(value, str | date):
        raise ValueError("Give the date as text: YYYY-MM-DD.")
    return value


IsoDate = Annotated[date, BeforeValidator(_date_as_text)]


def _a_whole_number(value: object) -> object:
    """A whole number as JSON writes one (``3`` or ``3.0``), never text or true/false, which pydantic would take."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Give a whole number.")
    return value


WholeNumber = Annotated[int, BeforeValidator(_a_whole_number)]


# Text as the API takes it: anything but the NUL character, which PostgreSQL cannot store in a text column (and no
# person types). The description says so, so a caller's tools never send it as valid.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
