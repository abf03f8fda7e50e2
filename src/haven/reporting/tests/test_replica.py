"""Reporting reads on a replica (issue 17, item 8; ``haven.core.routers``).

The test settings give a ``replica`` database that mirrors the test database; these tests turn the router on and
look at which connection each statement went to. The dashboard reads its care cells from the replica; a care write
reads and writes the primary only (its keeper changes the cells it reads); the verify command compares kept and raw
rows on the primary. Transactional tests: inside a test's transaction every read stays on the primary by design.
"""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from haven.accounts.models import User
from haven.core import routers
from haven.organizations.models import Organization
from haven.programs.models import Program

from .builders import treat, weekly

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
    pytest.mark.usefixtures("cohort"),
]
ROUTED = override_settings(DATABASE_ROUTERS=["haven.core.routers.ReplicaRouter"])
CELL_TABLES = ("reporting_cacell", "reporting_statecell", "reporting_programcell", "reporting_childserved")


def _tables(queries: CaptureQueriesContext) -> set[str]:
    return {table for query in queries.captured_queries for table in CELL_TABLES if table in query["sql"]}


def _treat(cac: Organization, program: Program, clinician: User, case_number: str) -> None:
    start = timezone.now().date() - timedelta(days=90)
    treat(
        cac=cac,
        program=program,
        clinician=clinician,
        case_number=case_number,
        referred_on=start,
        sessions=weekly(start + timedelta(days=3), 3),
        measures=(40, 20),
    )


@ROUTED
def test_a_care_write_reads_and_writes_the_primary_only(program: Program, cac: Organization, clinician: User) -> None:
    with CaptureQueriesContext(connections[routers.REPLICA]) as on_replica:
        _treat(cac, program, clinician, "R-1")
    assert on_replica.captured_queries == []


@ROUTED
def test_the_dashboard_reads_its_cells_from_the_replica(
    program: Program,
    cac: Organization,
    clinician: User,
    program_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    _treat(cac, program, clinician, "R-1")
    _treat(cac, program, clinician, "R-2")
    client = signed_in(program_admin)
    with (
        CaptureQueriesContext(connections[routers.REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/reporting/", {"program": program.pk})
    assert response.status_code == 200
    care = response.context["care"]
    assert (care.children, care.sessions) == (2, 6)
    assert "reporting_programcell" in _tables(on_replica)
    assert _tables(on_primary) == set()  # no cell read from the primary
    # The session, the membership and everything the user wrote is read from the primary.
    assert all("reporting_" in query["sql"] for query in on_replica.captured_queries)


@ROUTED
def test_the_verify_command_reads_kept_and_raw_rows_from_the_primary(
    program: Program, cac: Organization, clinician: User
) -> None:
    _treat(cac, program, clinician, "R-1")
    out = StringIO()
    with CaptureQueriesContext(connections[routers.REPLICA]) as on_replica:
        call_command("reporting_verify", stdout=out)
        call_command("served_verify", stdout=out)
    assert on_replica.captured_queries == []
    assert "every figure cell equal" in out.getvalue()


def test_without_a_replica_configured_every_read_goes_to_the_primary(
    program: Program, cac: Organization, clinician: User, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    _treat(cac, program, clinician, "R-1")
    with CaptureQueriesContext(connections[routers.REPLICA]) as on_replica:
        response = signed_in(program_admin).get("/reporting/", {"program": program.pk})
    assert response.context["care"].children == 1
    assert on_replica.captured_queries == []
