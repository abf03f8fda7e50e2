"""The workforce page's long tables, written in Python rather than by template loops: at national scale a program
has a thousand cohorts and hundreds at risk, which the loops took most of the page's time to write."""

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _num(value: Any) -> str:
    """A count's cell as ``{{ value }}`` writes it: a whole number has no grouping, so it is its digits in every
    language (``localize`` took most of a national page's time to say so); anything else, localized."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return f'<td class="num">{value}</td>'
    return f'<td class="num">{escape(str(localize(value)))}</td>'


@register.simple_tag
def funnel_rows(rows: Iterable[tuple[Any, Any]]) -> SafeString:
    """Body rows of (name, ``funnel.Funnel``): placed, trained, certified, withdrawn."""
    return mark_safe(  # noqa: S308 - every text is escaped
        "".join(
            f"<tr><td>{escape(str(name))}</td>{_num(c.placed)}{_num(c.trained)}{_num(c.certified)}"
            f"{_num(c.withdrawn)}</tr>"
            for name, c in rows
        )
    )


@register.simple_tag
def risk_rows(risks: Iterable[Any]) -> SafeString:
    """Body rows of ``dashboard.CohortRisk``: the cohort's name linking to its page, its attendance as a whole
    percentage (a dash before any call), how many are falling behind, how many are enrolled."""
    out = []
    for risk in risks:
        share = risk.attendance_share
        attendance = "—" if share is None else f"{share}%"
        link = escape(reverse("training:cohort", args=[risk.cohort.pk]))
        out.append(
            f'<tr><td><a href="{link}">{escape(str(risk.cohort.name))}</a></td><td class="num">{attendance}</td>'
            f"{_num(risk.behind)}{_num(risk.enrolled)}</tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped
