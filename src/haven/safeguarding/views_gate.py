"""The publish gate's endpoint (docs/gate.md): ``GET /safeguarding/gate/<sha256>/`` answers JSON.

Asked by the company's asset-management system with a gate token (``Authorization: Bearer hgt_...``), or by a
signed-in member of the company who sees its submissions (to check a file by hand). No token and no session: 401.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from . import gate, selectors

BEARER = 'Bearer realm="haven-gate"'


def _refused(status: int, error: str, **headers: str) -> HttpResponse:
    response = JsonResponse({"error": error}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unauthorized() -> HttpResponse:
    return _refused(401, "A valid bearer token is required.", WWW_Authenticate=BEARER)


@csrf_exempt
@require_GET
def gate_query(request: HttpRequest, sha256: str) -> HttpResponse:
    """The answer for one file's SHA-256 (stored or as uploaded), for the token's company or the member's."""
    asked: dict[str, Any]
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _space, secret = authorization.partition(" ")
        token = gate.token_use(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if token is None:
            return _unauthorized()
        asked = {"company": token.organization_id, "token": token}
    elif request.user.is_authenticated:
        membership = getattr(request, "membership", None)
        if membership is None or not selectors.can_see_submissions(membership):
            raise Http404
        asked = {"company": membership.organization_id, "actor": request.user}
    else:
        return _unauthorized()
    if not gate.is_digest(sha256):
        return _refused(400, "Give the file's SHA-256 as 64 lowercase hexadecimal characters.")
    return JsonResponse(gate.query(sha256=sha256, **asked))
