"""Chart data, built from the same figures as the tables beside them.

For the browser, whole Chart.js configurations (``json_script``); for the PDF, server-drawn SVG (WeasyPrint runs no
JavaScript). A funder's charts are built from :class:`tables.FunderReport` values only: a suppressed cell is a gap
(``None``), never its value.
"""

from datetime import date
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import figures, tables

PALETTE = ("#1f5f8b", "#c0392b", "#2e8b57", "#8e44ad")


def _line(label: str, values: list[Any], color: str, *, dashed: bool = False) -> dict[str, Any]:
    dataset: dict[str, Any] = {
        "label": label,
        "data": values,
        "borderColor": color,
        "backgroundColor": color,
        "pointRadius": 0,
        "spanGaps": False,
    }
    if dashed:
        dataset["borderDash"] = [6, 4]
    return dataset


def progress_data(series: list[tuple[date, int, int, int, int]], progress: list[figures.Progress]) -> dict[str, Any]:
    """Two charts: clinicians (trained, certified) and people served (children, caregivers), with their targets."""
    labels = [month.strftime("%Y-%m") for month, *_rest in series]
    goal = {p.metric: p.target for p in progress}

    def config(names: list[tuple[str, int, str]]) -> dict[str, Any]:
        datasets = []
        for index, (metric, column, label) in enumerate(names):
            datasets.append(_line(label, [row[column] for row in series], PALETTE[index]))
            if goal.get(metric):
                datasets.append(
                    _line(
                        _("Target: %(label)s") % {"label": label},
                        [goal[metric]] * len(series),
                        PALETTE[index],
                        dashed=True,
                    )
                )
        return {
            "type": "line",
            "data": {"labels": labels, "datasets": datasets},
            "options": {"scales": {"y": {"beginAtZero": True}}},
        }

    return {
        "clinicians": config(
            [("clinicians_trained", 1, _("Clinicians trained")), ("clinicians_certified", 2, _("Clinicians certified"))]
        ),
        "people": config(
            [("children_served", 3, _("Children served")), ("caregivers_served", 4, _("Caregivers served"))]
        ),
    }


def states_data(reached: figures.Care) -> dict[str, Any]:
    states = list(reached.by_state)
    return {
        "type": "bar",
        "data": {
            "labels": states,
            "datasets": [
                {
                    "label": _("Children served"),
                    "data": [reached.by_state[s]["children"] for s in states],
                    "backgroundColor": PALETTE[0],
                },
                {
                    "label": _("Caregivers served"),
                    "data": [reached.by_state[s]["caregivers"] for s in states],
                    "backgroundColor": PALETTE[2],
                },
            ],
        },
    }


def _numbers(values: list[tables.Value]) -> list[int | None]:
    """Protected cells as chart values: a suppressed or missing cell is a gap."""
    return [v if isinstance(v, int) else None for v in values]


def quarters_data(report: tables.FunderReport) -> dict[str, Any]:
    table = report.table("quarters")
    labels = [str(label) for label, _values in table.rows]
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": _("Children served"),
                    "data": _numbers([row[2] for _l, row in table.rows]),
                    "backgroundColor": PALETTE[0],
                },
                {
                    "label": _("Caregivers served"),
                    "data": _numbers([row[4] for _l, row in table.rows]),
                    "backgroundColor": PALETTE[2],
                },
            ],
        },
    }


def forecast_data(result: Any) -> dict[str, Any]:
    """One chart per metric: the actuals, the forecast median and its 80% band, and the target."""
    charts = {}
    for item in result.metrics:
        months = result.months
        actual = list(item.actual) + [None] * (len(months) - len(item.actual))
        p10 = [None] * len(months)
        p50 = [None] * len(months)
        p90 = [None] * len(months)
        for month, low, mid, high in item.bands:
            if 0 <= month < len(months):
                p10[month], p50[month], p90[month] = low, mid, high
        datasets = [
            _line(_("Actual"), actual, PALETTE[0]),
            _line(_("Forecast (median)"), p50, PALETTE[1], dashed=True),
            {**_line(_("10th percentile"), p10, "#e8b3ad"), "fill": False},
            {**_line(_("90th percentile"), p90, "#e8b3ad"), "fill": "-1", "backgroundColor": "rgba(192,57,43,0.15)"},
        ]
        if item.target:
            datasets.append(_line(_("Goal"), [item.target] * len(months), "#555555", dashed=True))
        charts[item.metric] = {
            "type": "line",
            "data": {"labels": [m.strftime("%Y-%m") for m in months], "datasets": datasets},
            "options": {"scales": {"y": {"beginAtZero": True}}},
        }
    return charts


def bars_svg(
    labels: list[str], values: list[tables.Value], *, title: str, width: int = 640, height: int = 220
) -> SafeString:
    """A bar chart as SVG for the PDF. A suppressed value has no bar and is labelled "<11"."""
    numbers = [v for v in values if isinstance(v, int)]
    top = max(numbers, default=0) or 1
    left, bottom, gap = 40, 30, 6
    slot = (width - left) / max(1, len(labels))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#555"/>',
        f'<text x="0" y="12" font-size="10">{top:,}</text>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * slot + gap / 2
        bar = (height - bottom - 20) * value / top if isinstance(value, int) else 0
        base = height - bottom
        if isinstance(value, int):
            parts.append(
                f'<rect x="{x:.1f}" y="{base - bar:.1f}" width="{slot - gap:.1f}" height="{bar:.1f}" '
                f'fill="{PALETTE[0]}"/>'
            )
            shown = f"{value:,}"
        else:
            shown = escape(str(value)) if value is not None else ""
        parts.append(f'<text x="{x:.1f}" y="{base - 4 - bar:.1f}" font-size="8">{shown}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" font-size="8">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped; numbers are formatted here


def pdf_charts(report: tables.FunderReport) -> dict[str, SafeString]:
    table = report.table("quarters")
    labels = [str(label) for label, _values in table.rows]
    return {
        "svg_children": bars_svg(labels, [row[2] for _l, row in table.rows], title=_("Children served, by quarter")),
        "svg_trained": bars_svg(labels, [row[0] for _l, row in table.rows], title=_("Clinicians trained, by quarter")),
    }
