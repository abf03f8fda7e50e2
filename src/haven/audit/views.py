from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from .labels import ACTION_GROUPS
from .selectors import audit_entries_for, audit_rows

PAGE_SIZE = 50


@require_GET
@role_required(Role.PROGRAM_ADMIN, Role.ORG_ADMIN)
def audit_list(request: MemberRequest) -> HttpResponse:
    action = request.GET.get("action", "")
    if action not in ACTION_GROUPS:
        action = ""
    membership = request.membership
    entries = audit_entries_for(membership=membership, action=action)
    page = Paginator(entries, PAGE_SIZE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    rows = audit_rows(membership=membership, entries=page.object_list)
    context = {"page": page, "rows": rows, "action": action, "groups": ACTION_GROUPS.items()}
    template = "audit/list.html#entries" if request.headers.get("HX-Request") else "audit/list.html"
    return TemplateResponse(request, template, context)
