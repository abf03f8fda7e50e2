"""The money pillar's template filters."""

from django import template

from haven.core.money import Money
from haven.core.templatetags.haven import money

register = template.Library()


@register.filter
def money_of(minor: int | None, currency: str) -> str:
    """A stored amount (``*_minor`` beside its currency) as ``money`` shows it:
    ``{{ g.amount_minor|money_of:g.currency }}``."""
    return money(None if minor is None else Money(int(minor), currency))
