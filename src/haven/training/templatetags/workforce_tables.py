"""The workforce page's long tables, written in Python rather than by template loops: at national scale a program
has a thousand cohorts and hundreds at risk, which the loops took most of the page's time to write."""

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe

from haven.core.templatetags.haven import count

register = template.Library()


class _Cells:
    """Writes count cells as the ``count`` filter does (the language's grouping), the language's separator read
    once a table: ``number_format`` looks it up for each number, which took most of a national page's time."""

    def __init__(self) -> None:
        separator = str(get_format("THOUSAND_SEPARATOR"))
        self.separator = escape(separator) if get_format("NUMBER_GROUPING") == 3 else None

    def __call__(self, value: Any) -> str:
        if type(value) is int and self.separator is not None:
            return f'<td class="num">{f"{value:,}".replace(",", self.separator)}</td>'
        return f'<td class="num">{escape(count(value))}</td>'


@register.simple_tag
def funnel_rows(rows: Iterable[tuple[Any, Any]]) -> SafeString:
    """Body rows of (name, ``funnel.Funnel``): placed, trained, certified, withdrawn."""
    cell = _Cells()
    return mark_safe(  # noqa: S308 - every text is escaped
        "".join(
            f"<tr><td>{escape(str(name))}</td>{cell(c.placed)}{cell(c.trained)}{cell(c.certified)}"
            f"{cell(c.withdrawn)}</tr>"
            for name, c in rows
        )
    )


@register.simple_tag
def risk_rows(risks: Iterable[Any]) -> SafeString:
    """Body rows of ``dashboard.CohortRisk``: the cohort's name linking to its page, its attendance as a whole
    percentage (a dash before any call), how many are falling behind, how many are enrolled."""
    cell = _Cells()
    out = []
    for risk in risks:
        share = risk.attendance_share
        attendance = "—" if share is None else f"{share}%"
        link = escape(reverse("training:cohort", args=[risk.cohort.pk]))
        out.append(
            f'<tr><td><a href="{link}">{escape(str(risk.cohort.name))}</a></td><td class="num">{attendance}</td>'
            f"{cell(risk.behind)}{cell(risk.enrolled)}</tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped
