"""The figures as they leave the care team: for the funder (dashboard, CSV, XLSX, PDF report) and the public.

Every table is built from ``figures`` and protected as ONE set of cells with every relation between them
(totals and their parts, states, groups, quarters, funnels), so no slice, download or later view can be
differenced against another to recover a small count (``disclosure``). The funder sees the program as of the end
of a closed quarter, with each quarter before it; there are no finer filters to difference. The values in a
:class:`Rendered` table are what may be shown: a published count, ``"<11"``, or a percentage allowed by the rules.
Nothing else from ``figures`` reaches these audiences.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from haven.care.models import AgeBand, Gender, Practice, RaceEthnicity
from haven.core import shares
from haven.core.dates import quarter_end, quarter_of
from haven.measures.labels import CHANGE_LABELS, INSTRUMENT_LABELS
from haven.programs.models import Program

from . import disclosure, figures, release

type Value = int | str | None  # a published count or a whole percentage, "<11", or None for "not applicable"


@dataclass(frozen=True)
class Column:
    label: str | Promise
    percent: bool = False


@dataclass
class Rendered:
    slug: str
    title: str | Promise
    explanation: str | Promise
    columns: list[Column]
    rows: list[tuple[str | Promise, list[Value]]] = field(default_factory=list)


@dataclass
class FunderReport:
    program: Program
    quarter: date  # the first day of the last quarter included
    until: date  # its last day
    tables: list[Rendered]
    protected: disclosure.Protected
    quarters: list[date]

    def table(self, slug: str) -> Rendered:
        return next(t for t in self.tables if t.slug == slug)


def last_closed_quarter(program: Program, today: date) -> date | None:
    """The first day of the newest quarter that has ended, within the program (None before the first ends)."""
    quarter = quarter_of(today)
    previous = quarter_of(quarter - timedelta(days=1))
    if previous < quarter_of(program.starts_on):
        return None
    return min(previous, quarter_of(program.ends_on))


def funder_report(program: Program, quarter: date) -> FunderReport:
    """The funder's figures as of the end of ``quarter`` (its first day), as released (``release``): protected
    together, and with every quarter released before, and the same each time they are read."""
    cells = _Released(release.released(program, quarter))
    quarters = [date.fromisoformat(k[1]) for k in cells.keys("q", length=4) if k[2:] == ("trained", "cum")]
    tables = [
        _targets(cells),
        _workforce(cells),
        _by_quarter(cells, quarters),
        _by_state(cells),
        *_children_by(cells),
        _engagement(cells),
        _outcomes(cells),
        _fidelity(cells),
        *_professional_tables(program, cells),
    ]
    return FunderReport(program, quarter, quarter_end(quarter), tables, cells.protected, quarters)


@dataclass(frozen=True)
class _Released:
    """A released quarter's protected cells, read as the tables show them."""

    protected: disclosure.Protected

    def keys(self, kind: str, *, length: int) -> list[tuple[Any, ...]]:
        """The cells' keys of one kind (``("state", "CA", "trained")`` is of kind "state", length 3), in order."""
        return [k for k in self.protected.values if isinstance(k, tuple) and len(k) == length and k[0] == kind]

    def shown(self, key: Hashable) -> int | str:
        value = self.protected.value(key)
        return disclosure.SUPPRESSED if value is None else value

    def pct(self, numerator: Hashable, denominator: Hashable) -> int | None:
        return self.protected.percent(numerator, denominator)

    def partition(self, parts: list[Hashable], whole: Hashable) -> list[int | None]:
        """The parts' shares of the whole, summing to 100 when every part is published (``Protected.partition``)."""
        return self.protected.partition(parts, whole)


_TOTALS = {
    "clinicians_trained": "trained",
    "clinicians_certified": "certified",
    "children_served": "children",
    "caregivers_served": "caregivers",
}


def _targets(cells: _Released) -> Rendered:
    goal = released_targets(cells.protected)
    totals = dict(_TOTALS)
    about = _(
        "What the program has achieved since it began, against the goals set for it when the quarter was "
        "released. A clinician is trained once they finished live training and the consultation calls; "
        "certified once the national certification was awarded. A child (or a caregiver) is served from "
        "their first treatment session with a clinician of the program."
    )
    # Corporate staff educated, in the releases that count them (a quarter released before keeps its cells).
    if figures.STAFF_EDUCATED in cells.protected.values:
        totals[figures.STAFF_EDUCATED] = figures.STAFF_EDUCATED
        about = format_lazy(
            "{} {}",
            about,
            _(
                "A member of a partner company's staff is educated once they completed its child-protection "
                "course within the course's yearly cycle; only the program's total is reported, never by company "
                "or department."
            ),
        )
    return Rendered(
        "targets",
        _("Progress toward the targets"),
        about,
        [Column(_("Goal")), Column(_("Achieved")), Column(_("Share of the target"), percent=True)],
        [
            (
                _METRIC_LABELS[metric],
                [goal.get(metric), cells.shown(key), _share(cells.shown(key), goal.get(metric))],
            )
            for metric, key in totals.items()
        ],
    )


def _workforce(cells: _Released) -> Rendered:
    return Rendered(
        "workforce",
        _("Clinicians on the path to certification"),
        _(
            "Clinicians placed in a training cohort, how many finished training, and how many are certified. "
            "Shares are of the clinicians placed. Clinicians are counted exactly, however few: they are the "
            "professionals the program trains, not children."
        ),
        [Column(_("Clinicians")), Column(_("Share"), percent=True)],
        [
            (_("Placed in a cohort"), [cells.shown("placed"), None]),
            (_("Trained"), [cells.shown("trained"), cells.pct("trained", "placed")]),
            (_("Certified"), [cells.shown("certified"), cells.pct("certified", "placed")]),
        ],
    )


def _by_quarter(cells: _Released, quarters: list[date]) -> Rendered:
    return Rendered(
        "quarters",
        _("Quarter by quarter"),
        _("New in each quarter, and the running total since the program began."),
        [
            Column(_("Clinicians trained")),
            Column(_("Trained to date")),
            Column(_("Children served")),
            Column(_("Children to date")),
            Column(_("Caregivers served")),
            Column(_("Caregivers to date")),
        ],
        [
            (
                quarter_label(q),
                [
                    cells.shown(("q", q.isoformat(), who, when))
                    for who in ("trained", "children", "caregivers")
                    for when in ("new", "cum")
                ],
            )
            for q in quarters
        ],
    )


def _by_state(cells: _Released) -> Rendered:
    states = [k[1] for k in cells.keys("state", length=3) if k[2] == "trained"]
    return Rendered(
        "states",
        _("Reach by state"),
        _(
            "Where the clinicians work and the children were served. States are the finest geography shown; "
            "counts of children and caregivers from 1 to 10, and any count that would reveal one, are shown as "
            "<11. Clinicians are counted exactly."
        ),
        [
            Column(_("Clinicians trained")),
            Column(_("Clinicians certified")),
            Column(_("Children served")),
            Column(_("Caregivers served")),
        ],
        [
            (s, [cells.shown(("state", s, m)) for m in ("trained", "certified", "children", "caregivers")])
            for s in states
        ],
    )


def _children_by(cells: _Released) -> list[Rendered]:
    """The children served by age, gender, and race or ethnicity: one table each, whose shares sum to 100."""
    tables = []
    for group, title, labels in (
        ("age_band", _("Children served by age"), dict(AgeBand.choices)),
        ("gender", _("Children served by gender"), dict(Gender.choices)),
        ("race", _("Children served by race and ethnicity"), dict(RaceEthnicity.choices)),
    ):
        values = [k[1] for k in cells.keys(group, length=2)]
        parted = cells.partition([(group, value) for value in values], "children")
        tables.append(
            Rendered(
                group,
                title,
                _(
                    "Age at referral, gender and race or ethnicity as the CAC recorded them. The shares sum to 100 "
                    "percent unless a count is withheld."
                ),
                [Column(_("Children")), Column(_("Share"), percent=True)],
                [
                    (labels[value], [cells.shown((group, value)), part])
                    for value, part in zip(values, parted, strict=True)
                ],
            )
        )
    return tables


def _engagement(cells: _Released) -> Rendered:
    shown, pct = cells.shown, cells.pct
    return Rendered(
        "engagement",
        _("From referral to completed treatment"),
        _(
            "Treatment episodes referred to a clinician of the program, those that began (a first session), and "
            "how they closed: completed, or ended early. The completion rate is completed episodes among those "
            "closed."
        ),
        [Column(_("Episodes")), Column(_("Share"), percent=True)],
        [
            (_("Referred"), [shown("referred"), None]),
            (_("Began treatment"), [shown("started"), pct("started", "referred")]),
            (_("Completed"), [shown("completed"), pct("completed", "started")]),
            (_("Ended early"), [shown("ended"), pct("ended", "started")]),
            (_("Completed with a baseline and a post measure"), [shown("pre_post"), pct("pre_post", "completed")]),
            (_("Sessions held"), [shown("sessions"), None]),
        ],
    )


def _outcomes(cells: _Released) -> Rendered:
    rows: list[tuple[str | Promise, list[Value]]] = []
    for code in [k[1] for k in cells.keys("outcome", length=3) if k[2] == "n"]:
        n_key = ("outcome", code, "n")
        categories = [("outcome", code, c.value) for c in figures.CATEGORIES]
        judged: list[Hashable] = [key for key in categories if key not in cells.protected.hidden]
        category_shares = dict(zip(judged, cells.partition(judged, n_key), strict=True))
        rows.append(
            (
                INSTRUMENT_LABELS.get(code, code),
                [
                    cells.shown(n_key),
                    *[category_shares.get(key) for key in categories],
                    cells.pct(("outcome", code, "recovered"), ("outcome", code, "eligible")),
                ],
            )
        )
    return Rendered(
        "outcomes",
        _("How children's symptoms changed"),
        _(
            "For completed treatments with a score before and after, per questionnaire. A change is reliable "
            "when it is larger than the questionnaire's measurement error could explain (Jacobson and Truax). "
            "Recovered is reliable improvement to below the clinical cut-off, among children who started above "
            "it; reliably improved counts reliable improvement that did not reach the healthy range. The four "
            "categories share the children measured, so a row sums to 100 percent unless a count is withheld. The "
            "cut-off is each questionnaire's published one (or Jacobson and Truax's criterion a, b or c where "
            "population norms are published); a questionnaire with no published cut-off or reliability shows a "
            "dash."
        ),
        [
            Column(_("Children measured")),
            *[Column(CHANGE_LABELS[c.value], percent=True) for c in figures.CATEGORIES],
            Column(_("Recovered among those who could recover"), percent=True),
        ],
        rows,
    )


def _fidelity(cells: _Released) -> Rendered:
    shown, pct = cells.shown, cells.pct
    return Rendered(
        "fidelity",
        _("Treatment as designed"),
        _(
            "TF-CBT has eight components (PRACTICE). For completed TF-CBT treatments: how many covered each "
            "component, and all eight."
        ),
        [Column(_("Episodes")), Column(_("Share"), percent=True)],
        [
            (_("Completed TF-CBT episodes"), [shown("practice_episodes"), None]),
            (_("Covered all eight components"), [shown("practice_all"), pct("practice_all", "practice_episodes")]),
            *[
                (label, [shown(("practice", code)), pct(("practice", code), "practice_episodes")])
                for code, label in Practice.choices
            ],
        ],
    )


def _share(value: Value, target: int | None) -> int | None:
    return shares.nearest(value, target) if isinstance(value, int) and target else None


def quarter_label(quarter: date) -> str:
    return f"{quarter.year} Q{(quarter.month - 1) // 3 + 1}"


_METRIC_LABELS: dict[str, str | Promise] = {
    "clinicians_trained": _("Clinicians trained"),
    "clinicians_certified": _("Clinicians certified"),
    "children_served": _("Children served"),
    "caregivers_served": _("Caregivers served"),
    figures.STAFF_EDUCATED: _("Corporate staff educated"),
}


# -- The public page ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicFigures:
    program: Program
    until: date
    trained: int | None
    certified: int | None
    children: int | None
    caregivers: int | None
    states: int | None
    target_trained: int | None
    target_children: int | None
    # Corporate staff who completed the child-protection course (None: the program does not count them).
    staff_educated: int | None = None
    target_staff: int | None = None
    # The creative reviews decided, and the awareness campaigns' public (None: the program has none).
    reviews_decided: int | None = None
    reached: int | None = None
    impressions: int | None = None
    clicks: int | None = None
    countries: int | None = None


def public_figures(program: Program, today: date) -> PublicFigures | None:
    """The funder's protected totals as of the last closed quarter, rounded to the nearest 10, and the number of
    states where the funder's table does not read 0 children: all as released."""
    quarter = last_closed_quarter(program, today)
    if quarter is None:
        return None
    report = funder_report(program, quarter)
    rounded = report.protected.rounded(10)
    states = [
        key for key in report.protected.values if isinstance(key, tuple) and key[0] == "state" and key[2] == "children"
    ]
    goal = released_targets(report.protected)
    return PublicFigures(
        program=program,
        until=report.until,
        trained=rounded.value("trained"),
        certified=rounded.value("certified"),
        children=rounded.value("children"),
        caregivers=rounded.value("caregivers"),
        # A withheld state counts as reached: whether it is 0 is no more public than its count.
        states=sum(1 for key in states if report.protected.value(key) != 0),
        target_trained=goal.get("clinicians_trained"),
        target_children=goal.get("children_served"),
        staff_educated=rounded.value(figures.STAFF_EDUCATED) if figures.STAFF_EDUCATED in rounded.values else None,
        target_staff=goal.get(figures.STAFF_EDUCATED),
        **_public_professional(report.protected),
    )


def released_targets(protected: disclosure.Protected) -> dict[str, int]:
    """The program's targets as they stood when the quarter was released."""
    return {key[1]: n for key, n in protected.values.items() if isinstance(key, tuple) and key[0] == "target"}


def flat_rows(report: FunderReport, formatter: Callable[[Value, Column], Any]) -> list[list[Any]]:
    """Every table one after another, as rows for a CSV or a sheet: a title row, a header row, the rows."""
    rows: list[list[Any]] = [[str(_("As of")), report.until.isoformat()]]
    for table in report.tables:
        rows.append([])
        rows.append([str(table.title)])
        rows.append(["", *[str(c.label) for c in table.columns]])
        for label, values in table.rows:
            rows.append([str(label), *[formatter(v, c) for v, c in zip(values, table.columns, strict=True)]])
    return rows


# -- Creative reviews and awareness campaigns (issue 15) -----------------------------------------------------------
# Released exactly (``release._professional_cells``): counts of professional work and of the public reached, not of
# children. The funder reads them as released; the public, rounded to the nearest 10 like every public figure.


def _professional_tables(program: Program, cells: _Released) -> list[Rendered]:
    tables = []
    if ("review", "approved") in cells.protected.values:
        tables += [_reviews(cells), _failed_items(cells)]
    if ("awareness", "reach") in cells.protected.values:
        names = figures.campaign_names(program)
        tables += [
            _awareness(
                cells,
                "awareness_campaigns",
                _("Awareness campaigns"),
                [
                    (names.get(int(k[1]), k[1]), k[1])
                    for k in cells.keys("awareness_campaign", length=3)
                    if k[2] == "reach"
                ],
                "awareness_campaign",
            ),
            _awareness(
                cells,
                "awareness_months",
                _("Awareness campaigns by month"),
                [(k[1][:7], k[1]) for k in cells.keys("awareness_month", length=3) if k[2] == "reach"],
                "awareness_month",
            ),
            _awareness(
                cells,
                "awareness_countries",
                _("Awareness campaigns by country"),
                [
                    (k[1] or str(_("Not given")), k[1])
                    for k in cells.keys("awareness_country", length=3)
                    if k[2] == "reach"
                ],
                "awareness_country",
            ),
        ]
    return tables


def _reviews(cells: _Released) -> Rendered:
    shown = cells.shown
    half_days = cells.protected.value(("review", "median_half_days"))
    median = None if half_days is None else number_format(half_days / 2, decimal_pos=1)
    return Rendered(
        "reviews",
        _("Creative safeguarding reviews"),
        _(
            "Work the partner companies sent for review before publishing anything that shows or concerns a "
            "child: how the reviews ended, and how many were sent back for changes at least once (whatever their "
            "outcome). The turnaround is the median number of working days from the first submission to the "
            "decision. Reviews are counted exactly: they are professional work, not children."
        ),
        [Column(_("Reviews")), Column(_("Share"), percent=True)],
        [
            (_("Ready to publish (approved)"), [shown(("review", "approved")), None]),
            (_("Rejected"), [shown(("review", "rejected")), None]),
            (_("In review"), [shown(("review", "in_review")), None]),
            (
                _("Sent back for changes at least once"),
                [shown(("review", "sent_back")), _review_share(cells, "sent_back")],
            ),
            (_("Median turnaround, working days"), [median, None]),
        ],
    )


def _review_share(cells: _Released, name: str) -> int | None:
    values = [cells.protected.value(("review", n)) for n in ("approved", "rejected", "in_review")]
    part = cells.protected.value(("review", name))
    if part is None or any(v is None for v in values):
        return None
    return shares.nearest(part, sum(v for v in values if v is not None))


def _failed_items(cells: _Released) -> Rendered:
    failed = sorted(
        ((k[1], cells.protected.value(k) or 0) for k in cells.keys("review_failed", length=2)),
        key=lambda item: (-item[1], item[0]),
    )
    items = figures.checklist_items()
    return Rendered(
        "review_failed",
        _("Checklist items failed most"),
        _(
            "How many times reviewers answered no to each item of the safeguarding checklist, over every round of "
            "every review: what the companies' work most often had to change."
        ),
        [Column(_("Times failed"))],
        [
            (format_lazy("{} · {}", code, figures.FailedItem(code, n, items.get(code)).text), [n])
            for code, n in failed[:10]
        ],
    )


def _awareness(cells: _Released, slug: str, title: str | Promise, rows: list[tuple[str, str]], kind: str) -> Rendered:
    def values(key: str) -> list[Value]:
        counts = [cells.protected.value((kind, key, m)) for m in figures.AWARENESS_METRICS]
        return [*counts, _ctr(counts[3], counts[1])]

    return Rendered(
        slug,
        title,
        _(
            "From the platforms' own figures. People reached is the sum of each platform's reach: a person reached "
            "on two platforms, or on two days, counts twice. Impressions count every showing; engagement the "
            "reactions, comments and shares; the click-through rate is clicks per 100 impressions. Countries are "
            "the finest place shown."
        ),
        [
            Column(_("People reached")),
            Column(_("Impressions")),
            Column(_("Engagement")),
            Column(_("Clicks")),
            Column(_("Click-through rate")),
        ],
        [(label, values(key)) for label, key in rows],
    )


def _ctr(clicks: int | None, impressions: int | None) -> str | None:
    if clicks is None or not impressions:
        return None
    return _("%(value)s%%") % {"value": number_format(100 * clicks / impressions, decimal_pos=2)}


def _public_professional(protected: disclosure.Protected) -> dict[str, int | None]:
    """The public page's review and awareness figures: rounded to the nearest 10 (counts), and the number of
    countries reached."""
    rounded = protected.rounded(10)
    result: dict[str, int | None] = {}
    if ("review", "approved") in protected.values:
        result["reviews_decided"] = rounded.value(("review", "decided"))
    if ("awareness", "reach") in protected.values:
        result["reached"] = rounded.value(("awareness", "reach"))
        result["impressions"] = rounded.value(("awareness", "impressions"))
        result["clicks"] = rounded.value(("awareness", "clicks"))
        result["countries"] = sum(
            1
            for key in protected.values
            if isinstance(key, tuple)
            and key[0] == "awareness_country"
            and key[1]
            and key[2] == "impressions"
            and protected.value(key)
        )
    return result
