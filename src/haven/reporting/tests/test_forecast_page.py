"""The forecast page: the program admin reads the chance of each target and tries what-if scenarios."""

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.core.dates import add_months, month_of
from haven.core.shares import nearest
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program, ProgramTarget
from haven.reporting import forecast, forecasting
from haven.training.tests.pages import table, text

from .builders import treat

URL = "/reporting/forecast/"
TARGETS = {"clinicians_trained": 40, "clinicians_certified": 20, "children_served": 300, "caregivers_served": 200}


@pytest.fixture
def planned(program: Program, national: Organization, cac: Organization, clinician: User, colleague: User) -> Program:
    """The program with its four targets, two clinicians placed in a cohort and a child each."""
    for metric, value in TARGETS.items():
        ProgramTarget.objects.create(organization=national, program=program, metric=metric, value=value)
    day = timezone.now().date() - timedelta(days=60)
    for n, user in enumerate((clinician, colleague)):
        treat(
            cac=cac,
            program=program,
            clinician=user,
            case_number=f"F-{n}",
            referred_on=day - timedelta(days=7),
            sessions=[day, day + timedelta(days=7)],
            caregiver_last=True,
        )
    return program


def _next_month() -> str:
    return add_months(month_of(timezone.now().date()), 1).isoformat()


def _result(client: Client, **params: Any) -> tuple[Any, forecasting.ProgramForecast]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response, response.context["result"]


def test_the_forecast_gives_each_target_a_chance(
    planned: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    response, result = _result(signed_in(program_admin))
    assert result.program == planned
    assert [m.metric for m in result.metrics] == list(forecast.METRICS)
    assert {m.metric: m.target for m in result.metrics} == TARGETS
    for m in result.metrics:
        assert m.probability is not None and 0 <= m.probability <= 1
        assert m.p10 <= m.p50 <= m.p90
    served = result.result[forecast.CHILDREN_SERVED]
    assert served.actual[-1] == 2  # two children served so far
    assert served.p10 >= 2  # children once served stay served
    html = response.content.decode()
    for label in ("Clinicians trained", "Clinicians certified", "Children served", "Caregivers served"):
        assert f'<th scope="row">{label}</th>' in html
    for metric in forecast.METRICS:
        assert f'id="chart-{metric}"' in html


def test_more_cohorts_never_lower_the_clinicians_trained(
    planned: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(program_admin)
    _response, without = _result(client)
    response, with_more = _result(client, cohorts=3, seats=20, month=_next_month())
    start = forecasting.month_index(planned, date.fromisoformat(_next_month()))
    assert response.context["what_if"] == [forecast.WhatIf(cohorts=3, seats=20, start_month=start)]
    before, after = without.result[forecast.CLINICIANS_TRAINED], with_more.result[forecast.CLINICIANS_TRAINED]
    assert after.p50 >= before.p50
    assert after.p90 >= before.p90
    assert after.probability >= before.probability
    assert "With 3 more cohorts of 20 seats." in response.content.decode()
    # Children served do not fall either: the new cohorts' clinicians only add caseloads.
    assert with_more.result[forecast.CHILDREN_SERVED].p50 >= without.result[forecast.CHILDREN_SERVED].p50


@pytest.mark.parametrize(
    "params",
    [
        {"cohorts": "2"},
        {"cohorts": "2", "seats": "10"},
        {"seats": "10", "month": "next"},
        {"cohorts": "0", "seats": "10", "month": "next"},
        {"cohorts": "2", "seats": "10", "month": "1999-01-01"},
        {"cohorts": "many", "seats": "10", "month": "next"},
    ],
)
def test_an_incomplete_what_if_is_a_form_error_not_a_failure(
    planned: Program, program_admin: User, signed_in: Callable[[User], Client], params: dict[str, str]
) -> None:
    params = {key: _next_month() if value == "next" else value for key, value in params.items()}
    response, result = _result(signed_in(program_admin), **params)
    assert response.context["form"].errors
    assert response.context["what_if"] == []
    assert [m.metric for m in result.metrics] == list(forecast.METRICS)


def test_the_missing_part_of_a_what_if_is_named(
    planned: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    response, _result_ = _result(signed_in(program_admin), cohorts=2)
    assert "Give the number of cohorts, their seats and the month they start." in response.content.decode()


@pytest.mark.parametrize("role", [Role.FUNDER_VIEWER, Role.ORG_ADMIN, Role.CLINICIAN, Role.TRAINER])
def test_only_the_program_admin_sees_the_forecast(
    planned: Program,
    role: str,
    funder: Organization,
    cac: Organization,
    provider: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    home = {Role.FUNDER_VIEWER: funder, Role.TRAINER: provider}.get(role, cac)
    assert signed_in(make_member(role, home)).get(URL, {"program": planned.pk}).status_code == 404


def test_the_page_reports_the_back_test_over_the_months_the_records_cover(
    planned: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    response, _result_ = _result(signed_in(program_admin))
    backtest: forecasting.Backtest = response.context["backtest"]
    today = timezone.now().date()
    last = forecasting.last_complete_month(planned, today)
    assert last == forecasting.month_index(planned, today) - 1  # the program runs on: this month is not over
    assert backtest.as_of_months and backtest.checks
    for check in backtest.checks:
        assert check.as_of + check.horizon <= last
    assert {check.as_of for check in backtest.checks} == set(backtest.as_of_months)
    overall = backtest.calibration[-1]
    assert overall.compared == len(backtest.checks)
    page = text(response)
    assert f"they cover months 1 to {last + 1}" in page
    rows = {row[0]: row for row in table(response, labelledby="backtest-heading")[1:]}
    assert rows["All four"][1] == str(len(backtest.checks))
    assert rows["All four"][2] == f"{nearest(overall.inside, overall.compared)}%"


def test_capacity_planning_says_why_the_forecast_differs_and_opens_its_plan_there(
    planned: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    # Two years left: time enough for new cohorts to train.
    Program.objects.in_org(planned.organization_id).filter(pk=planned.pk).update(
        ends_on=add_months(timezone.now().date(), 24)
    )
    client = signed_in(program_admin)
    response = client.get("/training/capacity/")
    plan = response.context["plan"]
    assert plan.cohorts_needed > 0 and plan.feasible
    page = text(response)
    assert "a plan that closes it on average reaches the target only about half the time" in page
    link = re.search(r'href="(/reporting/forecast/\?[^"]+)"', response.content.decode())
    assert link is not None
    scenario = client.get(html.unescape(link.group(1)))
    assert scenario.status_code == 200
    (what_if,) = scenario.context["what_if"]
    assert (what_if.cohorts, what_if.seats) == (plan.cohorts_needed, plan.cohort_size)
    chance = scenario.context["result"].result[forecast.CLINICIANS_TRAINED].probability
    assert chance is not None and 0 <= chance <= 1
