"""Labels of the care pages, and the data the child's chart is drawn from."""

from typing import Any

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from haven.measures import change, instruments, labels

from ..models import AgeBand, Gender, Practice, RaceEthnicity, Timepoint, TraumaType
from ..selectors import ScoreRow, Trajectory

register = template.Library()

PRACTICE_LETTERS = {"p": "P", "r": "R", "a": "A", "c": "C", "t": "T", "i": "I", "cj": "C", "e": "E"}


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
def signed(value: float | None, places: int = 0) -> str:
    """A change with its sign (+11, -9, +2.29), in the page's language; a dash for none."""
    if value is None:
        return "—"
    shown = round(value, places)
    sign = "+" if shown > 0 else "-" if shown < 0 else ""
    return sign + number_format(abs(shown), decimal_pos=places)


@register.filter
def change_label(code: str) -> str:
    """A category of reliable change, in the words of ``measures.labels``."""
    return str(labels.CHANGE_LABELS.get(code, code))


@register.filter
def timepoint_label(code: str) -> str:
    return str(Timepoint(code).label) if code in Timepoint.values else code


@register.filter
def row_category(row: ScoreRow, instrument: instruments.Instrument) -> str:
    """What a row of the child's chart says of its change: the baseline and whether recovery can be judged from
    it, a category of ``measures.change`` (recovered naming its threshold), or why nothing is judged."""
    if row.is_baseline:
        if not row.judged or row.may_recover is None:
            return str(_("Baseline"))
        if row.may_recover:
            return str(_("Baseline: at or above the threshold, so recovery can be judged"))
        return str(_("Baseline: below the threshold, so recovery is not judged"))
    if row.change is None or row.change.category is None:
        return str(labels.NOT_JUDGED_LABELS[row.not_judged or change.NotJudged.NO_BASELINE])
    category = str(labels.CHANGE_LABELS[row.change.category])
    if row.change.category == change.Change.RECOVERED:
        return str(
            _("%(category)s: below %(threshold)s") % {"category": category, "threshold": threshold_text(instrument)}
        )
    return category


@register.filter
def trajectory_data(trajectory: Trajectory) -> dict[str, Any]:
    """What the chart script draws, as JSON (``json_script``): every score with its date and category, the
    instrument's range, its cut-off (the dashed line over the shaded clinical range) and, where it is another
    number, the threshold of recovery. Every word is translated here; the script only draws."""
    instrument = trajectory.instrument
    by_episode: dict[int, list[dict[str, Any]]] = {}  # by the episode's number on the chart
    for row in trajectory.rows:
        category = row_category(row, instrument)
        index = signed(row.change.index, 2) if row.change is not None and row.change.index is not None else None
        when = date_format(row.administered_on, "SHORT_DATE_FORMAT")
        summary = [when, timepoint_label(row.timepoint), str(row.total), category]
        if index is not None:
            summary.insert(3, str(_("reliable change index %(index)s") % {"index": index}))
        by_episode.setdefault(trajectory.episode_numbers[row.episode_id], []).append(
            {
                "date": row.administered_on.isoformat(),
                "score": row.total,
                "baseline": row.is_baseline,
                "category": row.change.category.value if row.change and row.change.category else None,
                "category_label": category,
                "index": index,
                "summary": " · ".join(summary),
            }
        )
    several = len(by_episode) > 1
    threshold = instrument.threshold
    return {
        "minimum": instrument.total_minimum,
        "maximum": instrument.total_maximum,
        "axis": str(_("Score (lower is better)")),
        "cutoff": instrument.cutoff,
        "cutoff_label": str(_("Cut-off (%(cutoff)s)") % {"cutoff": instrument.cutoff}) if instrument.cutoff else "",
        "clinical_label": str(_("Clinical range")),
        "threshold": threshold if threshold is not None and threshold != instrument.cutoff else None,
        "threshold_label": str(_("Threshold of recovery: %(threshold)s") % {"threshold": threshold_text(instrument)}),
        "series": [
            {
                "label": str(_("Episode %(number)s") % {"number": number}) if several else str(_("Score")),
                "points": points,
            }
            for number, points in by_episode.items()
        ],
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
