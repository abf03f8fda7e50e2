from django import template

from haven.organizations.roles import OrganizationKind, Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    return str(Role(value).label) if value in Role.values else value


@register.filter
def kind_label(value: str) -> str:
    return str(OrganizationKind(value).label) if value in OrganizationKind.values else value
