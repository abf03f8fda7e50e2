"""The figures an organization sees, as its dashboard shows them (scope ``figures:read``): a funder's from the
released cells only; the program admin's (the national office's).

Nothing is computed here: a funder's figures are ``reporting.tables.funder_report`` of the last closed quarter (the
released, protected cells of the funder dashboard, a withheld cell reading ``"<11"`` as there), the office's are
``reporting.figures`` of the whole program (the program dashboard's). A key reads only its own organization's
programs: a funder's those it funds, the office's its own; any other program answers 404 like one that does not
exist. Labels follow the request's language (``Accept-Language``), English by default.
"""

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from haven.api import keys
from haven.api.auth import KeyAuth
from haven.api.schemas import problems
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.programs.models import Program
from haven.reporting import figures, tables

router = Router(tags=["figures"])


# -- Shapes --------------------------------------------------------------------------------------------------------


class ProgramIn(Schema):
    program: int | None = Field(
        None, description="A program's id; without it, every program of the key's organization (newest first)."
    )


class ProgramOut(Schema):
    id: int = Field(..., description="The program's id in Haven.")
    name: str = Field(..., description="The program's name.")
    starts_on: date = Field(..., description="The program's first day.")
    ends_on: date = Field(..., description="The program's last day.")


class ColumnOut(Schema):
    label: str = Field(..., description="The column's heading, as the dashboard shows it.")
    percent: bool = Field(..., description="True when the column's values are whole percentages.")


class RowOut(Schema):
    label: str = Field(..., description="The row's heading, as the dashboard shows it.")
    values: list[int | str | None] = Field(
        ...,
        description=(
            'One value per column: a published count or whole percentage; "<11" for a withheld count (from 1 to '
            "10, or one that would let such a count be worked out); null where the dashboard shows a dash (not "
            "applicable, or a share not shown)."
        ),
    )


class TableOut(Schema):
    slug: str = Field(..., description="The table's stable name (targets, workforce, quarters, states, ...).")
    title: str = Field(..., description="The table's title, as the dashboard shows it.")
    explanation: str = Field(..., description="What the table counts, as the dashboard explains it.")
    columns: list[ColumnOut] = Field(..., description="The table's columns, in order.")
    rows: list[RowOut] = Field(..., description="The table's rows, in order.")


class FunderProgramOut(Schema):
    program: ProgramOut = Field(..., description="The program the figures are about.")
    quarter: date | None = Field(
        None, description="The first day of the last closed quarter the figures include; null before the first ends."
    )
    until: date | None = Field(None, description="The figures are as of this day, the end of that quarter.")
    tables: list[TableOut] = Field(
        ..., description="The funder dashboard's tables, from the quarter's released cells (empty before it)."
    )


class FunderFiguresOut(Schema):
    programs: list[FunderProgramOut] = Field(..., description="The figures of each program the funder funds.")


# -- The funder's figures --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return str(value)


def _funder_program(program: Program, today: date) -> dict[str, Any]:
    quarter = tables.last_closed_quarter(program, today)
    report = tables.funder_report(program, quarter) if quarter else None
    return {
        "program": program,
        "quarter": report.quarter if report else None,
        "until": report.until if report else None,
        "tables": [
            {
                "slug": table.slug,
                "title": _text(table.title),
                "explanation": _text(table.explanation),
                "columns": [{"label": _text(c.label), "percent": c.percent} for c in table.columns],
                "rows": [{"label": _text(label), "values": values} for label, values in table.rows],
            }
            for table in (report.tables if report else [])
        ],
    }


def _programs(organization: Organization, wanted: int | None) -> list[Program]:
    """The programs the organization sees, as its members' dashboards do (``programs_visible_to``): a funder's
    those it funds, a national office's its own, no other's. Newest first; only ``wanted`` when given, 404 when it
    is not one of them."""
    chosen = Program.objects.none()
    if organization.kind == OrganizationKind.FUNDER:
        chosen = Program.objects.funded_by(organization.pk)
    elif organization.kind == OrganizationKind.NATIONAL_OFFICE:
        chosen = Program.objects.in_org(organization.pk)
    if wanted is not None:
        chosen = chosen.filter(pk=wanted)
    found = list(chosen.order_by("-starts_on", "pk"))
    if wanted is not None and not found:
        raise Http404
    return found


@router.get(
    "/funder",
    response={200: FunderFiguresOut, **problems(404)},
    auth=KeyAuth(keys.FIGURES_READ),
    url_name="figures_funder",
    summary="A funder's figures: the released cells of the programs it funds",
    description=(
        "Exactly what the funder dashboard shows, table by table: each program's figures as of the end of its last "
        "closed quarter, from the cells released for that quarter, after disclosure control (a withheld count "
        'reads "<11", never 0; counts of clinicians are exact). The same quarter answers the same figures each '
        "time it is read. A funder's key reads the programs it funds (the national office's key its own "
        "programs, as its staff see the funder dashboard); `program` narrows to one (404 when it is not one of "
        "them)."
    ),
)
def funder(request: HttpRequest, filters: Query[ProgramIn]) -> dict[str, Any]:
    organization = request.auth.organization  # type: ignore[attr-defined]
    today = timezone.now().date()
    programs = _programs(organization, filters.program)
    return {"programs": [_funder_program(program, today) for program in programs]}


# -- The program admin's figures -----------------------------------------------------------------------------------


class WorkforceStateOut(Schema):
    state: str = Field(..., description="The state's two-letter code.")
    placed: int = Field(..., description="Clinicians of the state placed in a cohort.")
    trained: int = Field(..., description="Clinicians of the state trained.")
    certified: int = Field(..., description="Clinicians of the state certified.")


class WorkforceMonthOut(Schema):
    month: date = Field(..., description="The month's first day.")
    trained: int = Field(..., description="Clinicians trained by the end of the month (running total).")
    certified: int = Field(..., description="Clinicians certified by the end of the month (running total).")


class WorkforceOut(Schema):
    nominated: int = Field(..., description="Clinicians nominated by their CAC.")
    placed: int = Field(..., description="Clinicians placed in a cohort.")
    trained: int = Field(..., description="Clinicians who finished live training and the consultation calls.")
    certified: int = Field(..., description="Clinicians awarded the national certification.")
    withdrawn: int = Field(..., description="Clinicians withdrawn from the path.")
    median_months_to_certified: float | None = Field(
        None, description="Median months from cohort start to certification; null when none is certified."
    )
    by_state: list[WorkforceStateOut] = Field(..., description="The funnel by state.")
    by_month: list[WorkforceMonthOut] = Field(..., description="Running totals month by month.")


class CareStateOut(Schema):
    state: str = Field(..., description="The state's two-letter code.")
    children: int = Field(..., description="Children first served in the state.")
    caregivers: int = Field(..., description="Caregivers first served in the state.")
    referred: int = Field(..., description="Children referred in the state.")
    started: int = Field(..., description="Episodes begun in the state.")
    completed: int = Field(..., description="Episodes completed in the state.")


class CareMonthOut(Schema):
    month: date = Field(..., description="The month's first day.")
    children: int = Field(..., description="Children served by the end of the month (running total).")
    caregivers: int = Field(..., description="Caregivers served by the end of the month (running total).")


class GroupValueOut(Schema):
    value: str = Field(..., description="The group's value (an age band, a gender, a race or ethnicity code).")
    children: int = Field(..., description="Children first served in the group.")
    share: int | None = Field(None, description="Their share of the children, whole percent (a group sums to 100).")


class GroupOut(Schema):
    name: str = Field(..., description="The group: age_band, gender or race.")
    values: list[GroupValueOut] = Field(..., description="Each value of the group, in the dashboard's order.")


class OutcomesFigureOut(Schema):
    instrument: str = Field(..., description="The measure's code (e.g. CATS, PHQ-9).")
    label: str = Field(..., description="The measure's name.")
    pairs: int = Field(..., description="Children with a baseline and a post score on it.")
    shares: dict[str, int | None] = Field(
        ...,
        description=(
            "Shares of those children by reliable change (recovered, improved, unchanged, deteriorated), whole "
            "percent summing to 100; null for a category the measure cannot judge."
        ),
    )
    recovery_share: int | None = Field(None, description="Recovered among those who could recover, whole percent.")
    mean_change: float | None = Field(None, description="Mean change of the score (negative: scores fell).")
    effect_size: float | None = Field(None, description="Cohen's d of the change.")


class PracticeOut(Schema):
    component: str = Field(..., description="The TF-CBT (PRACTICE) component's code.")
    episodes: int = Field(..., description="Completed TF-CBT episodes that covered it.")


class CareOut(Schema):
    children: int = Field(..., description="Children first served (from their first treatment session).")
    caregivers: int = Field(..., description="Caregivers first served.")
    sessions: int = Field(..., description="Treatment sessions held.")
    referred: int = Field(..., description="Children referred.")
    started: int = Field(..., description="Episodes that began treatment.")
    completed: int = Field(..., description="Episodes completed.")
    ended: int = Field(..., description="Episodes ended early.")
    completion_share: int | None = Field(None, description="Completed among closed episodes, whole percent.")
    pre_post: int = Field(..., description="Completed episodes with a baseline and a post measure.")
    median_sessions: float | None = Field(None, description="Median sessions per completed episode.")
    median_wait_days: float | None = Field(None, description="Median days from referral to first session.")
    by_state: list[CareStateOut] = Field(..., description="The care figures by state.")
    by_month: list[CareMonthOut] = Field(..., description="Running totals month by month.")
    groups: list[GroupOut] = Field(..., description="The children served by age band, gender, race and ethnicity.")
    outcomes: list[OutcomesFigureOut] = Field(..., description="Change on each standardized measure.")
    practice_episodes: int = Field(..., description="Completed TF-CBT episodes.")
    practice_all: int = Field(..., description="Of them, those that covered all eight components.")
    practice: list[PracticeOut] = Field(..., description="Episodes covering each component.")


class ProgressOut(Schema):
    metric: str = Field(..., description="The target's metric (clinicians_trained, children_served, ...).")
    target: int | None = Field(None, description="The program's goal; null when none is set.")
    actual: int = Field(..., description="Achieved to date, whole program.")
    share: int | None = Field(None, description="The actual as a whole percentage of the goal.")


class ProgramFiguresOut(Schema):
    program: ProgramOut = Field(..., description="The program the figures are about.")
    as_of: date = Field(..., description="The day the figures are of (today): they are never older than a write.")
    progress: list[ProgressOut] = Field(..., description="Each target against the program's actual to date.")
    workforce: WorkforceOut = Field(..., description="The clinicians' path to certification.")
    care: CareOut = Field(..., description="The children's care, unsuppressed (for program staff only).")


def _workforce(work: figures.Workforce) -> dict[str, Any]:
    return {
        "nominated": work.nominated,
        "placed": work.placed,
        "trained": work.trained,
        "certified": work.certified,
        "withdrawn": work.withdrawn,
        "median_months_to_certified": work.median_months_to_certified,
        "by_state": [{"state": state, **steps} for state, steps in work.by_state.items()],
        "by_month": [{"month": m, "trained": t, "certified": c} for m, t, c in work.by_month],
    }


def _care(reached: figures.Care) -> dict[str, Any]:
    return {
        **{
            name: getattr(reached, name)
            for name in (
                "children",
                "caregivers",
                "sessions",
                "referred",
                "started",
                "completed",
                "ended",
                "completion_share",
                "pre_post",
                "median_sessions",
                "median_wait_days",
                "practice_episodes",
                "practice_all",
            )
        },
        "by_state": [{"state": state, **row} for state, row in reached.by_state.items()],
        "by_month": [{"month": m, "children": c, "caregivers": g} for m, c, g in reached.by_month],
        "groups": [
            {"name": name, "values": [{"value": v, "children": n, "share": share} for v, n, share in rows]}
            for name, rows in reached.groups()
        ],
        "outcomes": [
            {
                "instrument": o.code,
                "label": o.label,
                "pairs": o.outcome.n,
                "shares": o.shares,
                "recovery_share": o.recovery_share,
                "mean_change": o.outcome.mean_change,
                "effect_size": o.outcome.effect_size,
            }
            for o in reached.outcomes
        ],
        "practice": [{"component": code, "episodes": n} for code, n in reached.practice],
    }


@router.get(
    "/program",
    response={200: ProgramFiguresOut, **problems(404)},
    auth=KeyAuth(keys.FIGURES_READ),
    url_name="figures_program",
    summary="The program's figures, as its staff's dashboard shows them",
    description=(
        "The program dashboard's figures for the whole program to date, unsuppressed (they are for the national "
        "office that runs it): targets against actuals, the clinicians' funnel, the children's care and their "
        "outcomes. Only a national office's key reads them, for its own programs: `program` chooses one (the "
        "newest without it); another's program, or any program for another kind of organization, answers 404."
    ),
)
def program(request: HttpRequest, filters: Query[ProgramIn]) -> dict[str, Any]:
    organization = request.auth.organization  # type: ignore[attr-defined]
    if organization.kind != OrganizationKind.NATIONAL_OFFICE:
        raise Http404
    found = _programs(organization, filters.program)
    if not found:
        raise Http404
    chosen, today, whole = found[0], timezone.now().date(), figures.Filters()
    work = figures.workforce(chosen, whole, today=today)
    reached = figures.care(chosen, whole, today=today)
    return {
        "program": chosen,
        "as_of": today,
        "progress": [
            {"metric": p.metric, "target": p.target, "actual": p.actual, "share": p.share}
            for p in figures.progress(chosen, work, reached)
        ],
        "workforce": _workforce(work),
        "care": _care(reached),
    }
