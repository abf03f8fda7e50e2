import math
from html import escape
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from haven.core import shares
from haven.core.templatetags.haven import count

register = template.Library()


register.filter("count", count)  # the core library's, for the reporting pages that load only this one


@register.filter
def share(value: Any) -> str:
    """A whole percentage (``core.shares``) as text, or a dash when it may not be shown or does not apply."""
    if not isinstance(value, int):
        return "—"
    return _("%(value)s%%") % {"value": number_format(value)}


@register.filter
def ratio(part: Any, whole: Any) -> int | None:
    """part of whole as a whole percentage, to the nearest (``core.shares.nearest``), for program staff's
    unsuppressed figures."""
    if not isinstance(part, int) or not isinstance(whole, int) or not whole:
        return None
    return shares.nearest(part, whole)


@register.filter
def chance(probability: float | None) -> int | None:
    """A probability (0-1) as a whole percentage, halves up."""
    return None if probability is None else math.floor(100 * probability + 0.5)


@register.filter
def cell(value: Any, column: Any) -> str:
    return share(value) if getattr(column, "percent", False) else count(value)


@register.filter
def decimal(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return number_format(value, decimal_pos=digits)


@register.filter
def metric_label(metric: str) -> str:
    from haven.programs.models import TargetMetric

    return str(dict(TargetMetric.choices).get(metric, metric))


@register.filter
def practice_label(code: str) -> str:
    from haven.care.models import Practice

    return str(dict(Practice.choices).get(code, code))


@register.filter
def state_figure(by_state: dict[str, dict[str, int]], state: str) -> int:
    return by_state.get(state, {}).get("trained", 0)


@register.filter
def groups(care: Any) -> list[tuple[str, list[tuple[str, int, int | None]]]]:
    """The children's groups with their labels: age band, gender, race and ethnicity, each value with its count and
    share (``figures.Care.groups``)."""
    from haven.care.models import AgeBand, Gender, RaceEthnicity

    titles = {
        "age_band": (_("Age at referral"), dict(AgeBand.choices)),
        "gender": (_("Gender"), dict(Gender.choices)),
        "race": (_("Race and ethnicity"), dict(RaceEthnicity.choices)),
    }
    result = []
    for name, rows in care.groups():
        title, labels = titles[name]
        result.append((title, [(str(labels.get(key, key)), n, part) for key, n, part in rows]))
    return result


@register.filter
def change_label(category: str) -> str:
    """A category of reliable change, in the words of ``measures.labels.CHANGE_LABELS``."""
    from haven.measures.labels import CHANGE_LABELS

    return str(CHANGE_LABELS.get(category, category))


@register.filter
def index(items: Any, position: int) -> Any:
    return items[position]


@register.filter
def quarter(day: Any) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


@register.filter
def forecast_rows(metric: Any, months: Any) -> list[tuple[Any, Any, Any, Any, Any]]:
    """Month, actual, then the forecast's 10th, 50th and 90th percentiles (blank where not applicable)."""
    bands = {band.month: band for band in metric.bands}
    rows = []
    for position, month in enumerate(months):
        actual = metric.actual[position] if position < len(metric.actual) else None
        band = bands.get(position)
        rows.append((month, actual, *((band.p10, band.p50, band.p90) if band else (None, None, None))))
    return rows


@register.filter
def recovery_threshold(item: Any) -> str:
    """The criterion of clinically significant change an outcome row used, and its threshold."""
    from haven.measures.labels import CRITERION_LABELS

    name = str(CRITERION_LABELS.get(item.criterion, item.criterion))
    threshold = item.outcome.threshold
    return (
        name
        if threshold is None
        else f"{name} ({number_format(threshold, decimal_pos=0 if float(threshold).is_integer() else 1)})"
    )


@register.filter
def money_cell(value: Any, language: str | None = None) -> str:
    """A cell of a money table: an amount (or a sum in several currencies) in the page's language, a count with
    the locale's grouping, "<11" and other text as it is, a dash for nothing (no amount at all: no fund or grant)."""
    from django.utils.translation import get_language

    from haven.core.money import Money, format_money
    from haven.reporting.money import Sums

    if isinstance(value, Money):
        return format_money(value, language=language or get_language() or "en")
    if isinstance(value, Sums):
        language = language or get_language() or "en"
        amounts = value.amounts
        return " + ".join(format_money(a, language=language) for a in amounts) if amounts else "—"
    return count(value)


@register.simple_tag
def money_rows(table: Any) -> SafeString:
    """The body rows of a money table (``reporting.money.MoneyTable``): its label as the row's header, then each
    cell as ``money_cell`` writes it, every text escaped. Written here rather than by a template loop: a money page
    has several hundred cells."""
    from django.utils.translation import get_language

    language = get_language() or "en"
    rows = []
    for label, values in table.rows:
        cells = "".join(f'<td class="num">{escape(money_cell(value, language))}</td>' for value in values)
        rows.append(f'<tr><th scope="row">{escape(str(label))}</th>{cells}</tr>')
    return mark_safe("".join(rows))  # noqa: S308 - every text above is escaped


@register.filter
def plain_select(field: Any) -> SafeString:
    """A choice field (a bound field) as a labelled plain select, its current value selected. Written here rather than
    by the widget templates or a template loop: a national program's dashboard offers a thousand cohorts, which a
    template loop took tens of milliseconds to write on every view."""
    value = field.value()
    current = "" if value is None else str(value)
    options = "".join(
        f'<option value="{escape(str(choice))}"{" selected" if str(choice) == current else ""}>'
        f"{escape(str(label))}</option>"
        for choice, label in field.field.choices
    )
    name = escape(field.html_name)
    return mark_safe(  # noqa: S308 - every text above is escaped
        f'<label for="{escape(field.id_for_label)}">{escape(str(field.label))}</label> '
        f'<select name="{name}" id="{escape(field.id_for_label)}">{options}</select>'
    )
