"""Labels and the small server-drawn score chart of the care pages (no script, so the CSP stays strict)."""

from typing import Any

from django import template
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
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "cutoff_y": y(trajectory.instrument.cutoff),
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
def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


@register.filter
def change_share(row: Any, category: str) -> str:
    return percent(row.share(category))


@register.filter
def sd_source_label(source: str | None) -> str:
    return str(labels.SD_SOURCE_LABELS.get(source or "", "—"))
