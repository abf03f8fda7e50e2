"""Single sign-on pages: the companies to sign in with, the start of a flow, the provider's answer (see sso.py)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import sso


@never_cache
@require_GET
def sso_choose(request: HttpRequest) -> HttpResponse:
    """The companies whose staff sign in through their own provider."""
    if request.user.is_authenticated:
        return redirect("shell:home")
    return TemplateResponse(request, "learning/sso_choose.html", {"companies": sso.companies_with_sso()})


@never_cache
@require_GET
def sso_start(request: HttpRequest, company_id: int) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("shell:home")
    configured = sso.company_settings(company_id)
    if configured is None:
        raise Http404
    company, found = configured
    try:
        url = sso.begin(request=request, company=company, found=found)
    except sso.Refused as refused:
        return _refused(request, refused)
    return redirect(url)


@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("shell:home")
    try:
        sso.finish(
            request=request,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
    except sso.Refused as refused:
        return _refused(request, refused)
    return redirect("shell:home")


def _refused(request: HttpRequest, refused: sso.Refused) -> HttpResponse:
    status = 400 if refused.reason == "unknown_state" else 403
    context = {"message": refused.message, "reason": refused.reason, "company": refused.company}
    return TemplateResponse(request, "learning/sso_refused.html", context, status=status)
