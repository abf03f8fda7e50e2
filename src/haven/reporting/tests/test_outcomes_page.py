"""/reporting/outcomes/ reads the kept figures, as the program dashboard does: a fixed number of queries over the
kept cells, none over the children's records, however many children there are."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from haven.accounts.models import User
from haven.care.tests.factories import completed_case
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.tests.pages import facts

RAW = ("care_episode", "care_assessment", "care_session", "care_child", "reporting_childserved")


def _read(client: Client) -> tuple[int, list[str], dict[str, str]]:
    client.get("/reporting/outcomes/")  # the session and the workforce token, read once
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/reporting/outcomes/")
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries], facts(response)


@pytest.mark.parametrize("role", [Role.PROGRAM_ADMIN, Role.ORG_ADMIN])
def test_the_outcomes_page_does_not_grow_with_the_children(
    role: str,
    program: Program,
    cac: Organization,
    national: Organization,
    clinician: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(make_member(role, national if role == Role.PROGRAM_ADMIN else cac))
    counts = []
    for total in (2, 6):
        while _completed(program) < total:
            completed_case(cac=cac, program=program, clinician=clinician, case_number=f"Q-{_completed(program)}")
        n, sql, shown = _read(client)
        assert shown["Children served"] == str(total)
        # (The menu's count of open critical alerts, for a CAC's admin, is not a figure of this page.)
        figures = [q for q in sql if 'FROM "care_criticalalert"' not in q]
        assert not [q for q in figures if any(f'"{table}"' in q for table in RAW)]
        counts.append(n)
    assert counts[0] == counts[1]


def _completed(program: Program) -> int:
    from haven.reporting.models import CacCell

    return sum(CacCell.objects.of_program(program).filter(figure="completed").values_list("n", flat=True))
