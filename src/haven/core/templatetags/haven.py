from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key)


@register.filter
def percent(part: int | float | None, whole: int | float | None) -> str:
    if not part or not whole:
        return "0%"
    return f"{100 * part / whole:.0f}%"
