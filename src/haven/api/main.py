"""Haven's JSON API, version 1, at ``/api/v1/`` (django-ninja: decision 44).

Its OpenAPI 3.1 description is at ``/api/v1/openapi.json`` and its interactive documentation at ``/api/v1/docs``,
both served by Haven from files it ships (no CDN). Each part of the API is a router in ``routers/``; an operation
names the scope its key needs (``auth=KeyAuth(keys.CARE_WRITE)``). Errors share one shape, ``{"detail": ...}``,
as django-ninja writes them; the versioning and deprecation policy is in docs/api.md.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError

from .auth import KeyAuth, MissingScope, RateLimited
from .routers import care, figures, gate, training, webhooks
from .schemas import problems

api = NinjaAPI(
    title="Haven API",
    version="1",
    description=(
        "Haven's JSON API for the systems around the program: a CAC's case system pushes its children, episodes, "
        "sessions and measures; the online course and the trainers' tools push completions and call attendance; "
        "the funder and the program read their figures (released cells only, as their dashboards show them); a "
        "company's asset system asks the publish gate. Every call presents an API key of its organization "
        "(Authorization: Bearer hvn_...) holding the operation's scope."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = api.create_response(request, {"detail": "A valid API key is needed."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(MissingScope)
def missing_scope(request: HttpRequest, exc: MissingScope) -> HttpResponse:
    return api.create_response(request, {"detail": f"This key does not hold the scope {exc.scope}."}, status=403)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request, {"detail": f"Too many requests: try again in {exc.retry_after} seconds."}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


api.add_router("/care/", care.router)
api.add_router("/training/", training.router)
api.add_router("/figures/", figures.router)
api.add_router("/publish-gate/", gate.router)
api.add_router("/webhooks/", webhooks.router)


class KeyOut(Schema):
    organization: str
    label: str
    scopes: list[str]
    expires_at: str


@api.get(
    "/key",
    response={200: KeyOut, **problems()},
    auth=KeyAuth(None),
    summary="The key presented: its organization, scopes and expiry",
    description="Check a key before using it: which organization it acts for, what it may do and until when.",
    tags=["keys"],
)
def key(request: HttpRequest) -> dict[str, Any]:
    presented = request.auth  # type: ignore[attr-defined]
    return {
        "organization": presented.organization.name,
        "label": presented.label,
        "scopes": presented.scopes,
        "expires_at": presented.expires_at.isoformat(),
    }
