from django import template

from haven.core import shares

register = template.Library()


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key)


@register.filter
def percent(part: int | None, whole: int | None) -> str:
    """A share of counts as a whole percentage, to the nearest (``core.shares``); a dash when there is no whole."""
    share = shares.nearest(part or 0, whole) if whole else None
    return "—" if share is None else f"{share}%"
