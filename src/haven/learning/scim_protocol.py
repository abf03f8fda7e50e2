"""SCIM 2.0 (RFC 7643 schema, RFC 7644 protocol) as pure functions: the filters identity providers send, PatchOp,
the resources we render and read, the errors. Nothing here touches the database; ``learning.scim`` does.

Identity providers differ (Okta, Entra): attribute names, operators and ``op`` are read whatever their case, a
boolean may come as the string ``"False"``, a PATCH may name a ``path`` or carry the attributes in its value.
"""

import dataclasses
import re
from typing import Any

MEDIA_TYPE = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MAX_COUNT = 200  # resources per page at most (ServiceProviderConfig says so)
SCHEMA_URNS = (ENTERPRISE, USER, GROUP)


class ScimError(Exception):
    """An error answered as RFC 7644's Error message: ``status`` (an HTTP status) and a ``scim_type`` if any."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


# -- filters ---------------------------------------------------------------------------------------------------

_FILTER = re.compile(r'^\s*([A-Za-z][\w.:]*)\s+(eq)\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def parse_filter(text: str, *, attributes: tuple[str, ...]) -> tuple[str, str]:
    """``attribute eq "value"`` as (the attribute's name as ``attributes`` spells it, the value). The only filter
    identity providers send for provisioning; any other raises ``invalidFilter``."""
    match = _FILTER.match(text)
    if match is None:
        raise ScimError(400, "Only 'attribute eq \"value\"' filters are supported.", "invalidFilter")
    name, _op, value = match.groups()
    known = {attribute.lower(): attribute for attribute in attributes}
    if name.lower() not in known:
        raise ScimError(400, f"Filtering on {name} is not supported.", "invalidFilter")
    return known[name.lower()], re.sub(r"\\(.)", r"\1", value)


def paging(query: dict[str, str]) -> tuple[int, int]:
    """(startIndex, count) of a list request: startIndex 1-based (below 1 reads as 1), count 0..MAX_COUNT."""
    try:
        start = int(query.get("startIndex") or 1)
        count = int(query.get("count") or MAX_COUNT)
    except ValueError:
        raise ScimError(400, "startIndex and count must be integers.", "invalidValue") from None
    return max(start, 1), min(max(count, 0), MAX_COUNT)


def list_response(resources: list[dict[str, Any]], *, total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "startIndex": start,
        "Resources": resources,
    }


# -- values ----------------------------------------------------------------------------------------------------


def boolean(value: Any) -> bool:
    """A SCIM boolean, as JSON or as the strings some providers send ("False", "true")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ScimError(400, "A boolean must be true or false.", "invalidValue")


def _get(resource: dict[str, Any], name: str) -> Any:
    """An attribute of ``resource`` whatever the case of its name (attribute names are case-insensitive)."""
    for key, value in resource.items():
        if key.lower() == name.lower():
            return value
    return None


def _key(resource: dict[str, Any], name: str) -> str:
    """The key ``resource`` already uses for ``name`` (any case), else ``name``."""
    return next((key for key in resource if key.lower() == name.lower()), name)


# -- PatchOp ---------------------------------------------------------------------------------------------------

_PATH = re.compile(
    r'^(?P<attr>[A-Za-z$][\w$]*)(?:\[(?P<fattr>\w+)\s+eq\s+(?:"(?P<fstr>[^"]*)"|(?P<flit>\w+))\])?(?:\.(?P<sub>\w+))?$',
    re.IGNORECASE,
)


@dataclasses.dataclass(frozen=True)
class _Path:
    schema: str  # "" for the core schema
    attr: str
    filter_attr: str = ""
    filter_value: Any = None
    sub: str = ""


def _parse_path(path: str) -> _Path:
    schema = ""
    for urn in SCHEMA_URNS:
        if path.lower().startswith(urn.lower() + ":"):
            schema, path = (urn if urn == ENTERPRISE else ""), path[len(urn) + 1 :]
            break
    match = _PATH.match(path)
    if match is None:
        raise ScimError(400, f"The path {path!r} is not supported.", "invalidPath")
    literal = match["flit"]
    value: Any = match["fstr"]
    if literal is not None:
        value = literal.lower() == "true" if literal.lower() in {"true", "false"} else literal
    return _Path(schema, match["attr"], match["fattr"] or "", value, match["sub"] or "")


def _container(resource: dict[str, Any], path: _Path, *, create: bool) -> dict[str, Any] | None:
    if not path.schema:
        return resource
    key = _key(resource, path.schema)
    if key not in resource and create:
        resource[key] = {}
    found = resource.get(key)
    return found if isinstance(found, dict) else None


def _matches(item: Any, path: _Path) -> bool:
    if not isinstance(item, dict):
        return False
    value = _get(item, path.filter_attr)
    if isinstance(path.filter_value, bool):
        return value is path.filter_value or (
            isinstance(value, str) and value.lower() == str(path.filter_value).lower()
        )
    return isinstance(value, str) and value.lower() == str(path.filter_value).lower()


def _same_item(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a and "value" in b:
        return str(a["value"]) == str(b["value"])
    return bool(a == b)


def _set(resource: dict[str, Any], path: _Path, value: Any, *, add: bool) -> None:
    container = _container(resource, path, create=True)
    if container is None:  # the extension's key holds something else than an object
        raise ScimError(400, f"{path.schema} must be an object.", "invalidValue")
    key = _key(container, path.attr)
    if path.filter_attr:
        items = container.setdefault(key, [])
        if not isinstance(items, list):
            raise ScimError(400, f"{path.attr} is not multi-valued.", "invalidPath")
        chosen = [item for item in items if _matches(item, path)]
        if not chosen:
            chosen = [{path.filter_attr: path.filter_value}]
            items.append(chosen[0])
        for item in chosen:
            if path.sub:
                item[_key(item, path.sub)] = value
            elif isinstance(value, dict):
                item.update(value)
        return
    if path.sub:
        inner = container.get(key)
        if not isinstance(inner, dict):
            inner = container[key] = {}
        inner[_key(inner, path.sub)] = value
        return
    current = container.get(key)
    if add and isinstance(current, list):
        for item in value if isinstance(value, list) else [value]:
            if not any(_same_item(item, have) for have in current):
                current.append(item)
    elif add and isinstance(current, dict) and isinstance(value, dict):
        current.update(value)
    else:
        container[key] = value


def _remove(resource: dict[str, Any], path: _Path, value: Any) -> None:
    container = _container(resource, path, create=False)
    if container is None:
        return
    key = _key(container, path.attr)
    current = container.get(key)
    if path.filter_attr:
        if isinstance(current, list):
            if path.sub:
                for item in current:
                    if _matches(item, path):
                        item.pop(_key(item, path.sub), None)
            else:
                container[key] = [item for item in current if not _matches(item, path)]
        return
    if path.sub:
        if isinstance(current, dict):
            current.pop(_key(current, path.sub), None)
        return
    if isinstance(current, list) and value is not None:  # remove these items (Okta's group members)
        gone = value if isinstance(value, list) else [value]
        container[key] = [item for item in current if not any(_same_item(item, g) for g in gone)]
        return
    container.pop(key, None)


def apply_patch(resource: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """``resource`` (as rendered) with a PatchOp request's operations applied, in order. ``op`` is read whatever
    its case; an operation without ``path`` carries attributes (or ``urn:...:attr`` / ``name.givenName`` keys)."""
    if not isinstance(body, dict) or not any(str(s).lower() == PATCH_OP.lower() for s in body.get("schemas", [])):
        raise ScimError(400, "A PATCH must be a PatchOp message.", "invalidSyntax")
    operations = _get(body, "Operations")
    if not isinstance(operations, list):
        raise ScimError(400, "A PatchOp message needs its Operations.", "invalidSyntax")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
        op = str(_get(operation, "op") or "").lower()
        path, value = _get(operation, "path"), _get(operation, "value")
        if op not in {"add", "replace", "remove"}:
            raise ScimError(400, f"Unknown operation {op!r}.", "invalidSyntax")
        if op == "remove":
            if not path:
                raise ScimError(400, "A remove operation needs a path.", "noTarget")
            _remove(resource, _parse_path(str(path)), value)
        elif path:
            _set(resource, _parse_path(str(path)), value, add=op == "add")
        elif isinstance(value, dict):
            for name, item in value.items():
                if name.lower() in {urn.lower() for urn in SCHEMA_URNS} and isinstance(item, dict):
                    for sub, sub_value in item.items():
                        _set(resource, _parse_path(f"{name}:{sub}"), sub_value, add=op == "add")
                else:
                    _set(resource, _parse_path(name), item, add=op == "add")
        else:
            raise ScimError(400, "An operation without a path needs an object value.", "invalidValue")
    return resource


# -- users -----------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class UserInput:
    """What a User resource says, in our terms (``manager`` is the manager's SCIM id, "" for none)."""

    user_name: str
    email: str
    given_name: str
    family_name: str
    display_name: str
    external_id: str
    employee_number: str
    department: str
    team: str
    country: str
    language: str
    active: bool
    manager: str


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _chosen(items: Any) -> dict[str, Any]:
    """The primary item of a multi-valued attribute, else a work one, else the first."""
    if not isinstance(items, list):
        return {}
    items = [item for item in items if isinstance(item, dict)]
    for test in (lambda i: _get(i, "primary") in (True, "true", "True"), lambda i: _get(i, "type") == "work"):
        found = [item for item in items if test(item)]
        if found:
            return found[0]
    return items[0] if items else {}


def language_of(value: str, default: str = "en") -> str:
    tag = value.strip().lower()
    return "fr" if tag.startswith("fr") else "en" if tag.startswith("en") else default


def read_user(resource: dict[str, Any]) -> UserInput:
    """A User resource (POST, PUT, or a patched rendering) read into :class:`UserInput`."""
    if not isinstance(resource, dict):
        raise ScimError(400, "A User must be an object.", "invalidSyntax")
    user_name = _text(_get(resource, "userName"))
    if not user_name:
        raise ScimError(400, "userName is required.", "invalidValue")
    name = _get(resource, "name") if isinstance(_get(resource, "name"), dict) else {}
    enterprise = _get(resource, ENTERPRISE) if isinstance(_get(resource, ENTERPRISE), dict) else {}
    manager = _get(enterprise, "manager")
    manager_id = _text(_get(manager, "value")) if isinstance(manager, dict) else _text(manager)
    country = _text(_get(_chosen(_get(resource, "addresses")), "country")).upper()
    tag = _text(_get(resource, "preferredLanguage")) or _text(_get(resource, "locale"))
    active = _get(resource, "active")
    return UserInput(
        user_name=user_name,
        email=_text(_get(_chosen(_get(resource, "emails")), "value")) or user_name,
        given_name=_text(_get(name, "givenName")),
        family_name=_text(_get(name, "familyName")),
        display_name=_text(_get(resource, "displayName")),
        external_id=_text(_get(resource, "externalId")),
        employee_number=_text(_get(enterprise, "employeeNumber")),
        department=_text(_get(enterprise, "department")),
        team=_text(_get(enterprise, "division")),
        country=country if re.fullmatch(r"[A-Z]{2}", country) else "",
        language=language_of(tag),
        active=True if active is None else boolean(active),
        manager=manager_id,
    )


@dataclasses.dataclass(frozen=True)
class GroupInput:
    display_name: str
    external_id: str
    members: tuple[str, ...]  # SCIM ids of the members


def read_group(resource: dict[str, Any]) -> GroupInput:
    if not isinstance(resource, dict):
        raise ScimError(400, "A Group must be an object.", "invalidSyntax")
    display_name = _text(_get(resource, "displayName"))
    if not display_name:
        raise ScimError(400, "displayName is required.", "invalidValue")
    members = _get(resource, "members") or []
    if not isinstance(members, list):
        raise ScimError(400, "members must be a list.", "invalidValue")
    ids = tuple(dict.fromkeys(str(_get(m, "value")) for m in members if isinstance(m, dict) and _get(m, "value")))
    return GroupInput(display_name=display_name, external_id=_text(_get(resource, "externalId")), members=ids)


def scim_id(value: str) -> int | None:
    """Our id of a resource as SCIM names it (a decimal string), or None."""
    return int(value) if value.isdigit() and len(value) < 18 else None
