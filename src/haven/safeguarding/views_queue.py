"""The reviewers' queue: what waits for review at the company, the first due first, and what was decided lately."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import OrganizationKind, Role

from . import queue
from .links import submission_url

QUEUE_ROLES = (Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER, Role.ORG_ADMIN)
PAGE_SIZE = 25


def company_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """One of ``roles`` at a corporate partner (anyone else gets 404)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @role_required(*roles)
        @wraps(view)
        def wrapper(request: MemberRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.membership.organization.kind != OrganizationKind.CORPORATE_PARTNER:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@require_GET
@company_required(*QUEUE_ROLES)
def queue_page(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    tab = "decided" if request.GET.get("tab") == "decided" else "waiting"
    show = request.GET.get("show", "all")
    if show not in queue.FILTERS:
        show = "all"
    context: dict[str, Any] = {
        "tab": tab,
        "show": show,
        "settings_url": reverse("safeguarding:settings") if membership.role == Role.ORG_ADMIN else None,
    }
    number = request.GET.get("page")
    if tab == "decided":
        decided = Paginator(queue.decided(membership), PAGE_SIZE, allow_empty_first_page=True).get_page(number)
        context["decided"] = [{"submission": s, "url": submission_url(s.pk, membership.role)} for s in decided]
        context["page"] = decided
    else:
        waiting = Paginator(queue.waiting(membership, show=show), PAGE_SIZE, allow_empty_first_page=True)
        rows = waiting.get_page(number)
        context["rows"] = [{"row": row, "url": submission_url(row.submission.pk, membership.role)} for row in rows]
        context["page"] = rows
    return TemplateResponse(request, "safeguarding/queue.html", context)
