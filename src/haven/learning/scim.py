"""The company's SCIM 2.0 endpoint: its identity provider (Okta, Entra ID...) creates, changes and deactivates its
staff and groups here. The provider presents a token the learning admin made (``Authorization: Bearer ...``); the
company is the token's, and nothing of another company can be named. Every write goes through the pillar's
services, audited with no person as actor and the token under ``via`` ("scim:<token id>").

No session, no CSRF (token authentication), answers in ``application/scim+json``.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from haven.audit.context import running

from . import services
from .models import ScimToken, StaffGroup, StaffMember
from .scim_protocol import (
    ENTERPRISE,
    GROUP,
    MAX_COUNT,
    MEDIA_TYPE,
    RESOURCE_TYPE,
    SCHEMA,
    SERVICE_PROVIDER_CONFIG,
    USER,
    GroupInput,
    ScimError,
    UserInput,
    apply_patch,
    list_response,
    paging,
    parse_filter,
    read_group,
    read_user,
    scim_id,
)

VIA_SCIM = "scim"  # audit.context: entries written for a token show "scim:<token id>" under ``via``

Handler = Callable[..., HttpResponse]


def _answer(body: dict[str, Any] | None, status: int = 200, **headers: str) -> HttpResponse:
    content = json.dumps(body) if body is not None else ""
    response = HttpResponse(content, status=status, content_type=MEDIA_TYPE if body is not None else None)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(error: ScimError) -> HttpResponse:
    return _answer(error.body(), error.status)


def _token_of(request: HttpRequest) -> ScimToken:
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    token = services.scim_token_use(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
    if token is None:
        raise ScimError(401, "A valid bearer token is required.")
    return token


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None


def endpoint(*methods: str) -> Callable[[Handler], Handler]:
    """A SCIM view: the methods it answers (405 with ``Allow`` otherwise, before anything else), the token
    checked (401), the handler run as the token with its errors answered as SCIM Error messages."""

    def decorator(handler: Handler) -> Handler:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                error = _error(ScimError(405, f"{request.method} is not supported here."))
                error["Allow"] = ", ".join(methods)
                return error
            try:
                token = _token_of(request)
                with running(VIA_SCIM, str(token.pk)):
                    return handler(request, token, **kwargs)
            except ScimError as error:
                response = _error(error)
                if error.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="scim"'
                return response
            except ValidationError as error:
                uniqueness = getattr(error, "code", "") == "uniqueness"
                return _error(
                    ScimError(409 if uniqueness else 400, " ".join(error.messages), _scim_type(error, uniqueness))
                )

        return view

    return decorator


def _scim_type(error: ValidationError, uniqueness: bool) -> str:
    return "uniqueness" if uniqueness else "invalidValue"


def _location(request: HttpRequest, name: str, pk: int) -> str:
    return request.build_absolute_uri(reverse(name, kwargs={"scim_id": str(pk)}))


# -- users -----------------------------------------------------------------------------------------------------


def _user_resource(request: HttpRequest, staff: StaffMember) -> dict[str, Any]:
    enterprise: dict[str, Any] = {
        "employeeNumber": staff.employee_number,
        "department": staff.department,
        "division": staff.team,
    }
    if staff.manager_id:
        enterprise["manager"] = {"value": str(staff.manager_id)}
    resource: dict[str, Any] = {
        "schemas": [USER, ENTERPRISE],
        "id": str(staff.pk),
        "externalId": staff.external_id,
        "userName": staff.user_name,
        "name": {"givenName": staff.given_name, "familyName": staff.family_name},
        "displayName": staff.user.full_name,
        "emails": [{"value": staff.user.email, "type": "work", "primary": True}],
        "active": staff.is_active,
        "preferredLanguage": staff.language,
        ENTERPRISE: enterprise,
        "meta": {
            "resourceType": "User",
            "created": staff.created_at.isoformat(),
            "lastModified": staff.updated_at.isoformat(),
            "location": _location(request, "scim:user", staff.pk),
        },
    }
    if staff.country:
        resource["addresses"] = [{"type": "work", "country": staff.country, "primary": True}]
    if not staff.external_id:
        del resource["externalId"]
    return resource


def _staff(token: ScimToken) -> Any:
    return StaffMember.objects.in_org(token.organization_id).select_related("user")


def _one_staff(token: ScimToken, value: str) -> StaffMember:
    pk = scim_id(value)
    staff = _staff(token).filter(pk=pk).first() if pk is not None else None
    if staff is None:
        raise ScimError(404, f"No User {value}.")
    return staff


def _save_user(token: ScimToken, given: UserInput, staff: StaffMember | None) -> StaffMember:
    manager_id = scim_id(given.manager) if given.manager else None
    fields = services.StaffFields(
        user_name=given.user_name,
        email=given.email,
        given_name=given.given_name,
        family_name=given.family_name,
        display_name=given.display_name,
        external_id=given.external_id,
        employee_number=given.employee_number,
        department=given.department,
        team=given.team,
        country=given.country,
        language=given.language,
        hired_on=staff.hired_on if staff is not None else None,
        is_active=given.active,
    )
    return services.staff_provision(
        actor=None, organization=token.organization, fields=fields, manager_id=manager_id, staff=staff
    )


@endpoint("GET", "POST")
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "POST":
        staff = _save_user(token, read_user(_body(request)), None)
        return _answer(_user_resource(request, staff), 201, Location=_location(request, "scim:user", staff.pk))
    found = _staff(token).order_by("pk")
    if request.GET.get("filter"):
        attribute, value = parse_filter(request.GET["filter"], attributes=("userName", "externalId"))
        found = found.filter(**({"user_name__iexact": value} if attribute == "userName" else {"external_id": value}))
    start, count = paging(request.GET.dict())
    page = list(found[start - 1 : start - 1 + count]) if count else []
    resources = [_user_resource(request, staff) for staff in page]
    return _answer(list_response(resources, total=found.count(), start=start))


@endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    staff = _one_staff(token, scim_id)
    if request.method == "DELETE":
        # A deletion keeps the person's learning history: they are deactivated, as on a PATCH active false.
        if staff.is_active:
            services.staff_deactivate(actor=None, staff=staff)
        return _answer(None, 204)
    if request.method == "PUT":
        staff = _save_user(token, read_user(_body(request)), staff)
    elif request.method == "PATCH":
        patched = apply_patch(_user_resource(request, staff), _body(request))
        staff = _save_user(token, read_user(patched), staff)
    staff = _one_staff(token, str(staff.pk))
    return _answer(_user_resource(request, staff))


# -- groups ----------------------------------------------------------------------------------------------------


def _group_resource(request: HttpRequest, group: StaffGroup, *, members: bool = True) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [GROUP],
        "id": str(group.pk),
        "displayName": group.display_name,
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.updated_at.isoformat(),
            "location": _location(request, "scim:group", group.pk),
        },
    }
    if group.external_id:
        resource["externalId"] = group.external_id
    if members:
        resource["members"] = [
            {"value": str(pk), "type": "User"}
            for pk in StaffMember.objects.in_org(group.organization_id)
            .filter(staff_groups=group)
            .order_by("pk")
            .values_list("pk", flat=True)
        ]
    return resource


def _with_members(request: HttpRequest) -> bool:
    excluded = {name.strip().lower() for name in request.GET.get("excludedAttributes", "").split(",")}
    return "members" not in excluded


def _one_group(token: ScimToken, value: str) -> StaffGroup:
    pk = scim_id(value)
    group = StaffGroup.objects.in_org(token.organization_id).filter(pk=pk).first() if pk is not None else None
    if group is None:
        raise ScimError(404, f"No Group {value}.")
    return group


def _member_ids(given: GroupInput) -> list[int]:
    ids = [scim_id(value) for value in given.members]
    if None in ids:
        raise ScimError(400, "A member's value must be a User id.", "invalidValue")
    return [pk for pk in ids if pk is not None]


def _save_group(token: ScimToken, given: GroupInput, group: StaffGroup | None) -> StaffGroup:
    return services.staff_group_save(
        actor=None,
        organization=token.organization,
        display_name=given.display_name,
        external_id=given.external_id,
        member_ids=_member_ids(given),
        group=group,
    )


@endpoint("GET", "POST")
def groups(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "POST":
        group = _save_group(token, read_group(_body(request)), None)
        return _answer(_group_resource(request, group), 201, Location=_location(request, "scim:group", group.pk))
    found = StaffGroup.objects.in_org(token.organization_id).order_by("pk")
    if request.GET.get("filter"):
        attribute, value = parse_filter(request.GET["filter"], attributes=("displayName", "externalId"))
        found = found.filter(
            **({"display_name__iexact": value} if attribute == "displayName" else {"external_id": value})
        )
    start, count = paging(request.GET.dict())
    page = list(found[start - 1 : start - 1 + count]) if count else []
    members = _with_members(request)
    resources = [_group_resource(request, group, members=members) for group in page]
    return _answer(list_response(resources, total=found.count(), start=start))


@endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    found = _one_group(token, scim_id)
    if request.method == "DELETE":
        services.staff_group_delete(actor=None, group=found)
        return _answer(None, 204)
    if request.method == "PUT":
        found = _save_group(token, read_group(_body(request)), found)
    elif request.method == "PATCH":
        patched = apply_patch(_group_resource(request, found), _body(request))
        _save_group(token, read_group(patched), found)
        return _answer(None, 204)
    return _answer(_group_resource(request, found, members=_with_members(request)))


# -- discovery -------------------------------------------------------------------------------------------------


@endpoint("GET")
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _answer(
        {
            "schemas": [SERVICE_PROVIDER_CONFIG],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A token the company's learning admin makes in Haven.",
                    "primary": True,
                }
            ],
            "meta": {"resourceType": "ServiceProviderConfig"},
        }
    )


def _resource_types(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "schema": USER,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": request.build_absolute_uri(reverse("scim:users"))},
        },
        {
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "schema": GROUP,
            "meta": {"resourceType": "ResourceType", "location": request.build_absolute_uri(reverse("scim:groups"))},
        },
    ]


@endpoint("GET")
def resource_types(request: HttpRequest, token: ScimToken) -> HttpResponse:
    found = _resource_types(request)
    return _answer(list_response(found, total=len(found), start=1))


def _attribute(name: str, kind: str = "string", **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": False,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
        **more,
    }


def _schemas() -> list[dict[str, Any]]:
    return [
        {
            "schemas": [SCHEMA],
            "id": USER,
            "name": "User",
            "attributes": [
                _attribute("userName", required=True, uniqueness="server"),
                _attribute("externalId", caseExact=True),
                _attribute("name", "complex", subAttributes=[_attribute("givenName"), _attribute("familyName")]),
                _attribute("displayName"),
                _attribute("emails", "complex", multiValued=True, subAttributes=[_attribute("value")]),
                _attribute("addresses", "complex", multiValued=True, subAttributes=[_attribute("country")]),
                _attribute("preferredLanguage"),
                _attribute("active", "boolean"),
            ],
            "meta": {"resourceType": "Schema"},
        },
        {
            "schemas": [SCHEMA],
            "id": ENTERPRISE,
            "name": "EnterpriseUser",
            "attributes": [
                _attribute("employeeNumber"),
                _attribute("department"),
                _attribute("division"),
                _attribute("manager", "complex", subAttributes=[_attribute("value")]),
            ],
            "meta": {"resourceType": "Schema"},
        },
        {
            "schemas": [SCHEMA],
            "id": GROUP,
            "name": "Group",
            "attributes": [
                _attribute("displayName", required=True, uniqueness="server"),
                _attribute("members", "complex", multiValued=True, subAttributes=[_attribute("value")]),
            ],
            "meta": {"resourceType": "Schema"},
        },
    ]


@endpoint("GET")
def schemas(request: HttpRequest, token: ScimToken) -> HttpResponse:
    found = _schemas()
    return _answer(list_response(found, total=len(found), start=1))
