from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from haven.core import shares
from haven.core.money import Money, format_money

register = template.Library()


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key)


@register.filter
def count(value: Any) -> str:
    """A count with the language's grouping ("20,001", "20 001"); "<11" and other text as it is; a dash for
    nothing."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return str(value)


@register.filter
def percent(part: int | None, whole: int | None) -> str:
    """A share of counts as a whole percentage, to the nearest (``core.shares``); a dash when there is no whole."""
    share = shares.nearest(part or 0, whole) if whole else None
    return "—" if share is None else f"{share}%"


@register.filter
def money(amount: Money | None) -> str:
    """An amount with its currency, in the page's language (``core.money.format_money``); a dash for none."""
    return "—" if amount is None else format_money(amount, language=get_language() or "en")
