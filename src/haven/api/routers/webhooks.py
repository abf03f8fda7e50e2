"""The organization's webhook deliveries, read by its systems (any live key of the organization): what was sent,
whether it arrived, and when it is tried again. Subscriptions are managed on the organization's Webhooks page."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from haven.api import webhooks
from haven.api.auth import KeyAuth
from haven.api.schemas import problems

router = Router(tags=["webhooks"])


class DeliveryOut(Schema):
    id: int = Field(..., description="The delivery's id.")
    subscription: str = Field(..., description="The label of the subscription it was sent to.")
    event: str = Field(..., description="The event: report.ready, tranche.due, review.approved or alert.raised.")
    event_id: str = Field(..., description="The event's id, as sent in the payload's id (a repeat has the same).")
    status: str = Field(..., description="pending (waiting or retrying), delivered, or failed (no attempt left).")
    attempts: int = Field(..., description="How many times it was posted.")
    last_status_code: int | None = Field(None, description="The HTTP status the receiver last answered, if any.")
    created_at: datetime = Field(..., description="When the event happened.")
    next_attempt_at: datetime | None = Field(None, description="When it is tried again, while pending.")
    delivered_at: datetime | None = Field(None, description="When the receiver accepted it.")


@router.get(
    "/deliveries",
    response={200: list[DeliveryOut], **problems()},
    auth=KeyAuth(None),
    url_name="webhook_deliveries",
    summary="The latest webhook deliveries of the key's organization",
    description=(
        "The 100 latest deliveries of the organization's subscriptions, the newest first: a receiver that missed "
        "events finds here which, and their ids. Payloads are not repeated here; they name records by id only."
    ),
)
def deliveries(request: HttpRequest) -> list[dict[str, Any]]:
    key = request.auth  # type: ignore[attr-defined]
    return [
        {
            "id": d.pk,
            "subscription": d.endpoint.label,
            "event": d.event,
            "event_id": d.event_id,
            "status": d.status,
            "attempts": d.attempts,
            "last_status_code": d.last_status_code,
            "created_at": d.created_at,
            "next_attempt_at": d.next_attempt_at,
            "delivered_at": d.delivered_at,
        }
        for d in webhooks.deliveries_of(key.organization_id)
    ]
