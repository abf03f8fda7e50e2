# ruff: noqa: F811  (the fixtures imported below are found by pytest here, and named as arguments)
"""The figures through the API are the dashboards' own: a funder's key reads the funder dashboard's tables (released
cells only, a withheld count withheld here too), the national office's key the program dashboard's figures; no key
reads another organization's program.

The program has served 14 children in Ohio and 3 in Texas by the end of the last closed quarter: Texas's count is
withheld on the funder dashboard, so it must be in the JSON.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.api import keys
from haven.organizations.models import Organization
from haven.organizations.roles import OrganizationKind
from haven.organizations.tests.factories import NationalOfficeFactory, OrganizationFactory
from haven.programs.models import Program
from haven.reporting import disclosure, tables
from haven.reporting.tests.conftest import (  # noqa: F401  (fixtures)
    clinician,
    cohort,
    funded,
    funder_viewer,
    other_clinician,
    program,
    program_admin,
)
from haven.reporting.tests.test_funder import served  # noqa: F401  (the funder dashboard's own world)

pytestmark = pytest.mark.django_db

FUNDER = reverse("api:figures_funder")
PROGRAM = reverse("api:figures_program")


def _tables_shown(report: tables.FunderReport) -> list[dict[str, Any]]:
    """The dashboard's tables as the page writes them: every title, label and value."""
    return [
        {
            "slug": table.slug,
            "title": str(table.title),
            "explanation": str(table.explanation),
            "columns": [{"label": str(c.label), "percent": c.percent} for c in table.columns],
            "rows": [{"label": str(label), "values": values} for label, values in table.rows],
        }
        for table in report.tables
    ]


def test_a_funders_figures_are_its_dashboards_with_the_small_state_withheld(
    served: Program,
    funder: Organization,
    funder_viewer: User,
    signed_in: Callable[[User], Client],
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    page = signed_in(funder_viewer).get(reverse("reporting:funder"))
    report: tables.FunderReport = page.context["report"]
    response = api_client(make_key(funder, [keys.FIGURES_READ])).get(FUNDER)
    assert response.status_code == 200, response.content
    (shown,) = response.json()["programs"]
    assert shown["program"]["id"] == served.pk
    assert shown["quarter"] == report.quarter.isoformat() and shown["until"] == report.until.isoformat()
    assert shown["tables"] == _tables_shown(report)

    # Texas served 3 children: withheld on the page, withheld in the JSON; never the true count.
    states = next(t for t in shown["tables"] if t["slug"] == "states")
    assert states["columns"][2]["label"] == "Children served"
    texas = next(row["values"] for row in states["rows"] if row["label"] == "TX")
    assert texas[2] == disclosure.SUPPRESSED
    assert report.protected.values[("state", "TX", "children")] == 3
    assert 3 not in [v for t in shown["tables"] if t["slug"] != "workforce" for r in t["rows"] for v in r["values"]]


def test_a_funder_reads_one_program_it_funds_and_never_another_funders(
    served: Program,
    funder: Organization,
    national: Organization,
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    other_funder = OrganizationFactory(kind=OrganizationKind.FUNDER)
    theirs = api_client(make_key(other_funder, [keys.FIGURES_READ]))
    assert theirs.get(FUNDER).json() == {"programs": []}
    assert theirs.get(FUNDER, {"program": served.pk}).status_code == 404
    assert theirs.get(PROGRAM, {"program": served.pk}).status_code == 404

    unfunded = Program.objects.create(
        organization=national, name="Unfunded", starts_on=served.starts_on, ends_on=served.ends_on
    )
    ours = api_client(make_key(funder, [keys.FIGURES_READ]))
    assert [p["program"]["id"] for p in ours.get(FUNDER).json()["programs"]] == [served.pk]
    assert ours.get(FUNDER, {"program": served.pk}).json()["programs"][0]["program"]["id"] == served.pk
    assert ours.get(FUNDER, {"program": unfunded.pk}).status_code == 404


def _dashboard(context: Any) -> dict[str, Any]:
    """The program dashboard's own figures, as the page was given them."""
    work, care = context["work"], context["care"]
    return {
        "progress": [(p.metric, p.target, p.actual, p.share) for p in context["progress"]],
        "workforce": (work.nominated, work.placed, work.trained, work.certified, work.withdrawn),
        "workforce_by_state": work.by_state,
        "workforce_by_month": [(m.isoformat(), t, c) for m, t, c in work.by_month],
        "care": (care.children, care.caregivers, care.sessions, care.referred, care.started, care.completed),
        "care_by_state": care.by_state,
        "care_by_month": [(m.isoformat(), c, g) for m, c, g in care.by_month],
        "groups": [(name, [list(v) for v in rows]) for name, rows in care.groups()],
    }


def _api(body: dict[str, Any]) -> dict[str, Any]:
    work, care = body["workforce"], body["care"]
    return {
        "progress": [(p["metric"], p["target"], p["actual"], p["share"]) for p in body["progress"]],
        "workforce": tuple(work[n] for n in ("nominated", "placed", "trained", "certified", "withdrawn")),
        "workforce_by_state": {row.pop("state"): row for row in work["by_state"]},
        "workforce_by_month": [(r["month"], r["trained"], r["certified"]) for r in work["by_month"]],
        "care": tuple(care[n] for n in ("children", "caregivers", "sessions", "referred", "started", "completed")),
        "care_by_state": {row.pop("state"): row for row in care["by_state"]},
        "care_by_month": [(r["month"], r["children"], r["caregivers"]) for r in care["by_month"]],
        "groups": [(g["name"], [[v["value"], v["children"], v["share"]] for v in g["values"]]) for g in care["groups"]],
    }


def test_the_offices_figures_are_its_program_dashboards(
    served: Program,
    national: Organization,
    program_admin: User,
    signed_in: Callable[[User], Client],
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    page = signed_in(program_admin).get(reverse("reporting:dashboard"), {"program": served.pk})
    response = api_client(make_key(national, [keys.FIGURES_READ])).get(PROGRAM, {"program": served.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["program"]["id"] == served.pk and body["care"]["children"] == 17  # unsuppressed, for the office
    assert _api(body) == _dashboard(page.context)


def test_an_office_reads_only_its_own_programs(
    served: Program, make_key: Callable[..., str], api_client: Callable[[str], Client], funder: Organization
) -> None:
    other_office = NationalOfficeFactory()
    theirs = api_client(make_key(other_office, [keys.FIGURES_READ]))
    assert theirs.get(PROGRAM, {"program": served.pk}).status_code == 404
    assert theirs.get(PROGRAM).status_code == 404  # it runs no program
    assert theirs.get(FUNDER).json() == {"programs": []}
    # A funder's key holds figures:read too, but the program's unsuppressed figures are the office's only.
    assert api_client(make_key(funder, [keys.FIGURES_READ])).get(PROGRAM).status_code == 404


def test_the_offices_figures_are_read_in_a_few_queries_once_warm(
    served: Program,
    national: Organization,
    make_key: Callable[..., str],
    api_client: Callable[[str], Client],
) -> None:
    """The key with its organization, the minute's count, the program, the workforce version (the funnel cached
    under it), the three reads of the care cells, the targets and whether companies count: nothing scanned again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(make_key(national, [keys.FIGURES_READ]))
    assert client.get(PROGRAM, {"program": served.pk}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PROGRAM, {"program": served.pk}).status_code == 200
    assert len(queries) <= 9, [q["sql"][:80] for q in queries.captured_queries]
