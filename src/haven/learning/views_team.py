"""The manager's team page: their direct reports' learning, by name. Only their own reports."""

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import selectors


@require_GET
@role_required(Role.LEARNER)
def team(request: MemberRequest) -> HttpResponse:
    staff = selectors.staff_of(request.membership)
    if staff is None or not selectors.has_reports(staff):
        raise Http404
    context = {"team": selectors.team_of(staff, timezone.localdate()), "today": timezone.localdate()}
    return TemplateResponse(request, "learning/team.html", context)
