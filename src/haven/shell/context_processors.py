from typing import Any

from django.http import HttpRequest
from django.urls import resolve

from haven.care import selectors as care_selectors

from .navigation import items_for


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    current = ""
    if request.resolver_match is not None:
        current = request.resolver_match.view_name
    elif request.path_info:
        try:
            current = resolve(request.path_info).view_name
        except Exception:  # noqa: BLE001 - a 404 page has no view; the menu then marks nothing
            current = ""
    return {
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "nav_items": items_for(membership.role, membership.organization.kind, membership) if membership else [],
        "current_view": current,
        # Read only when the page shows it: the number of critical answers waiting for this person.
        "critical_alerts": lambda: care_selectors.open_alert_count(membership),
    }
