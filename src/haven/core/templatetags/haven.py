from django import template

from haven.organizations.roles import OrganizationKind, Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    return str(Role(value).label) if value in Role.values else value


@register.filter
def kind_label(value: str) -> str:
    return str(OrganizationKind(value).label) if value in OrganizationKind.values else value


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key)


@register.filter
def percent(part: int | float | None, whole: int | float | None) -> str:
    if not part or not whole:
        return "0%"
    return f"{100 * part / whole:.0f}%"
