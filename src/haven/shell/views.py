from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from haven.accounts.services import recovery_codes_left, user_has_second_factor
from haven.core.permissions import signed_in
from haven.organizations.requests import SignedInRequest
from haven.organizations.selectors import memberships_waiting_of

from . import health as checks
from .selectors import home_summary


@require_GET
@signed_in
def home(request: SignedInRequest) -> HttpResponse:
    membership = request.membership
    context = {
        "summary": home_summary(membership=membership) if membership else None,
        "has_second_factor": user_has_second_factor(request.user),
        "recovery_codes_left": recovery_codes_left(request.user),
        "memberships_waiting": list(memberships_waiting_of(request.user)),
    }
    return TemplateResponse(request, "shell/home.html", context)


@require_GET
@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitors, without signing in: 200 when every check is ok, else 503 naming the failing
    ones (``shell.health``). Ages and flags only: nothing about a child or a user."""
    result = checks.health()
    return JsonResponse(result, status=503 if result["failing"] else 200)
