from typing import Any

from django.http import HttpRequest
from django.urls import resolve

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
        "nav_items": items_for(membership.role if membership else None),
        "current_view": current,
    }
