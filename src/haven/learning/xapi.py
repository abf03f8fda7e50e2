"""Learning events as xAPI 1.0.3 statements (facts: shared/reference/learning.md).

Every attempt, completion and attestation is also kept as a statement, written in the same transaction as the
event. The learner is an ``account`` agent (the company's home page and our staff id), so no e-mail travels;
sending the statements to the company's learning record store is a separate, retried step."""

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings

from .models import StaffMember, XapiStatement

VERBS = {
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "attested": "https://w3id.org/xapi/adl/verbs/attested",
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "policy": "http://adlnet.gov/expapi/activities/policy",
    "module": "http://adlnet.gov/expapi/activities/module",
}


def home_page() -> str:
    return getattr(settings, "HAVEN_XAPI_HOME_PAGE", "https://haven.example")


def activity_id(kind: str, key: str) -> str:
    return f"{home_page()}/xapi/activities/{kind}/{key}"


def statement(
    *,
    statement_id: uuid.UUID,
    staff: StaffMember,
    verb: str,
    kind: str,
    key: str,
    name: str,
    timestamp: datetime,
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(statement_id),
        "actor": {"objectType": "Agent", "account": {"homePage": home_page(), "name": f"staff-{staff.pk}"}},
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": activity_id(kind, key),
            "definition": {"type": ACTIVITY_TYPES[kind], "name": {"en-US": name}},
        },
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
        "version": "1.0.3",
    }
    if result is not None:
        body["result"] = result
    return body


def score(raw: int, maximum: int) -> dict[str, Any]:
    """An xAPI score: raw between 0 and max, and scaled when there is a maximum."""
    given: dict[str, Any] = {"raw": raw, "min": 0, "max": maximum}
    if maximum:
        given["scaled"] = round(raw / maximum, 4)
    return given


def record(
    *,
    staff: StaffMember,
    verb: str,
    kind: str,
    key: str,
    name: str,
    timestamp: datetime,
    result: dict[str, Any] | None = None,
) -> XapiStatement:
    """Keep one statement (call it inside the transaction of the event it describes)."""
    statement_id = uuid.uuid4()
    body = statement(
        statement_id=statement_id,
        staff=staff,
        verb=verb,
        kind=kind,
        key=key,
        name=name,
        timestamp=timestamp,
        result=result,
    )
    return XapiStatement.objects.create(
        id=statement_id,
        organization_id=staff.organization_id,
        staff=staff,
        verb=verb,
        statement=body,
        timestamp=timestamp,
    )
