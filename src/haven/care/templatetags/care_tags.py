"""Labels and the small server-drawn score chart of the care pages (no script, so the CSP stays strict)."""

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from haven.measures import instruments, labels

from ..models import AgeBand, Gender, Practice, RaceEthnicity, TraumaType

register = template.Library()

PRACTICE_LETTERS = {"p": "P", "r": "R", "a": "A", "c": "C", "t": "T", "i": "I", "cj": "C", "e": "E"}
CHART_WIDTH, CHART_HEIGHT, PAD = 600, 200, 12


@register.filter
def practice_letter(code: str) -> str:
    return PRACTICE_LETTERS.get(code, "?")


@register.filter
def practice_label(code: str) -> str:
    return str(Practice(code).label) if code in Practice.values else code


@register.filter
def covered_count(practice: list[tuple[str, bool]]) -> int:
    return sum(1 for _code, done in practice if done)


@register.filter
def trauma_label(code: str) -> str:
    return str(TraumaType(code).label) if code in TraumaType.values else code


@register.filter
def instrument_name(value: Any) -> str:
    code = value.code if isinstance(value, instruments.Instrument) else str(value)
    return str(labels.INSTRUMENT_LABELS.get(code, code))


@register.filter
def band_label(code: str | None) -> str:
    if not code:
        return "—"
    return str(labels.BAND_LABELS.get(code, code))


item_name = register.filter("item_name", labels.item_name)


def _alert_item(alert: Any) -> instruments.Item | None:
    try:
        return instruments.load(alert.assessment.instrument).items_by_key.get(alert.item)
    except instruments.UnknownInstrument:
        return None


@register.filter
def alert_question(alert: Any) -> str:
    """The question a critical alert is about, named (item 9, or a supplementary suicide question)."""
    item = _alert_item(alert)
    return labels.item_name(item) if item is not None else str(_("Item %(number)s") % {"number": alert.item})


@register.filter
def alert_answer(alert: Any) -> str:
    """The critical answer in words ("Yes", "Several days"), with its number."""
    item = _alert_item(alert)
    if item is None or not item.minimum <= alert.answer <= item.maximum or not item.anchors:
        return str(alert.answer)
    anchor = labels.ANCHOR_LABELS.get(item.anchors[alert.answer - item.minimum])
    return f"{anchor} ({alert.answer})" if anchor else str(alert.answer)


@register.filter
def cutoff_text(instrument: instruments.Instrument) -> str:
    if instrument.cutoff is None:
        return str(_("No published cut-off"))
    return str(instrument.cutoff)


@register.filter
def reliability_text(instrument: instruments.Instrument) -> str:
    """The reliability coefficient reliable change used, and its kind."""
    norms = instrument.norms
    if norms.reliability is None:
        return str(_("none published"))
    kind = labels.RELIABILITY_KIND_LABELS.get(norms.reliability_kind or "", norms.reliability_kind)
    return f"{number_format(norms.reliability, decimal_pos=2)} ({kind})"


@register.filter
def threshold_text(instrument: instruments.Instrument) -> str:
    """The threshold of clinically significant change and the criterion it comes from."""
    name = str(labels.CRITERION_LABELS[instrument.criterion])
    threshold = instrument.threshold
    if threshold is None:
        return name
    return f"{name} ({number_format(threshold, decimal_pos=0 if threshold.is_integer() else 1)})"


@register.filter
def trajectory_chart(trajectory: Any) -> dict[str, Any]:
    """Coordinates for an SVG line of scores over time, 0 at the bottom and the instrument's maximum at the top."""
    points = trajectory.points
    maximum = max(trajectory.maximum, 1)
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)

    def y(value: float) -> float:
        return round(PAD + (CHART_HEIGHT - 2 * PAD) * (1 - value / maximum), 1)

    dots = [
        (
            round(PAD + (CHART_WIDTH - 2 * PAD) * ((day - first).days / span if len(points) > 1 else 0.5), 1),
            y(total),
        )
        for day, total in points
    ]
    threshold = trajectory.instrument.threshold
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "cutoff_y": None if threshold is None else y(threshold),
        "points": " ".join(f"{x},{yy}" for x, yy in dots),
        "dots": dots,
    }


BREAKDOWN_TITLES = {
    "state": _("State"),
    "age_band": _("Age at referral"),
    "gender": _("Gender"),
    "race_ethnicity": _("Race/ethnicity"),
}
BREAKDOWN_CHOICES = {"age_band": AgeBand, "gender": Gender, "race_ethnicity": RaceEthnicity}


@register.filter
def breakdown_title(name: str) -> str:
    return str(BREAKDOWN_TITLES.get(name, name))


@register.filter
def breakdown_value(value: str, name: str) -> str:
    choices = BREAKDOWN_CHOICES.get(name)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value


@register.filter
def sd_source_label(source: str | None) -> str:
    return str(labels.SD_SOURCE_LABELS.get(source or "", "—"))
