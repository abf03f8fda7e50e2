"""The program dashboard's figures against counts made by hand over a small program built through the services.

Five children: three at the Ohio CAC (referred in an early month) and two at the Texas CAC (a later month).

| child | state | referred | sessions (day of month)     | closed                 | caregiver | wait |
|-------|-------|----------|-----------------------------|------------------------|-----------|------|
| A     | OH    | early 5  | 15, 18, 21, 24 (last conj.) | completed, pre + post  | yes       | 10   |
| B     | OH    | early 10 | 16, 19                      | open                   | no        | 6    |
| C     | OH    | early 15 | none                        | open                   | no        | -    |
| D     | TX    | late 5   | 15, 17, 19, 21, 23, 25 (c.) | completed              | yes       | 10   |
| E     | TX    | late 12  | 15 (CFTSI)                  | ended early on late 20 | no        | 3    |

Workforce: the Ohio and Texas clinicians in the first cohort, another Ohio clinician in a second cohort, and an
Ohio nominee not placed yet.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from haven.accounts.models import User
from haven.core.dates import month_of
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import figures
from haven.training.models import Cohort
from haven.training.tests.factories import enroll, make_cohort, nominate

from .builders import treat

URL = "/reporting/"


def _months() -> tuple[date, date]:
    today = timezone.now().date()
    return month_of(today - timedelta(days=330)), month_of(today - timedelta(days=120))


@pytest.fixture
def built(
    program: Program,
    cac: Organization,
    other_cac: Organization,
    cohort: Cohort,
    program_admin: User,
    clinician: User,
    other_clinician: User,
    make_member: Callable[..., User],
) -> dict[str, Any]:
    early, late = _months()

    def on(month: date, day: int) -> date:
        return month.replace(day=day)

    treat(
        cac=cac,
        program=program,
        clinician=clinician,
        case_number="A",
        referred_on=on(early, 5),
        sessions=[on(early, d) for d in (15, 18, 21, 24)],
        caregiver_last=True,
        close="completed",
        measures=(40, 10),
        age=4,
    )
    treat(
        cac=cac,
        program=program,
        clinician=clinician,
        case_number="B",
        referred_on=on(early, 10),
        sessions=[on(early, 16), on(early, 19)],
        gender="boy",
    )
    treat(cac=cac, program=program, clinician=clinician, case_number="C", referred_on=on(early, 15))
    treat(
        cac=other_cac,
        program=program,
        clinician=other_clinician,
        case_number="D",
        referred_on=on(late, 5),
        sessions=[on(late, d) for d in (15, 17, 19, 21, 23, 25)],
        caregiver_last=True,
        close="completed",
        age=14,
    )
    treat(
        cac=other_cac,
        program=program,
        clinician=other_clinician,
        case_number="E",
        referred_on=on(late, 12),
        sessions=[on(late, 15)],
        close="ended",
        closed_on=on(late, 20),
        model="cftsi",
    )
    trainer = make_member(Role.TRAINER, cohort.organization, full_name="Second Trainer")
    second = make_cohort(program=program, actor=program_admin, trainers=[trainer], name="Southwest Collaborative 2")
    enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=second)
    nominate(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin)
    return {"early": early, "late": late, "cohort": cohort, "second": second}


def _dashboard(client: Client, program: Program, **params: Any) -> Any:
    response = client.get(URL, {"program": program.pk, **params})
    assert response.status_code == 200
    return response.context


def test_the_whole_program_matches_the_hand_count(
    built: dict[str, Any], program: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    context = _dashboard(signed_in(program_admin), program)
    care, work = context["care"], context["work"]
    assert (care.children, care.caregivers, care.sessions) == (4, 2, 13)
    assert (care.referred, care.started, care.completed, care.ended, care.pre_post) == (5, 4, 2, 1, 1)
    assert care.median_sessions == 5.0  # completed episodes of 4 and 6 sessions
    assert care.median_wait_days == 8.0  # waits of 3, 6, 10 and 10 days
    assert care.completion_share == 67  # 2 of 3 closed
    assert care.age_band == [("0-5", 1), ("6-11", 2), ("12-17", 1)]  # C has no session: not served
    assert dict(care.gender)["boy"] == 1
    assert dict(care.gender)["girl"] == 3
    assert care.by_state == {
        "OH": {"children": 2, "caregivers": 1, "referred": 3, "started": 2, "completed": 1},
        "TX": {"children": 2, "caregivers": 1, "referred": 2, "started": 2, "completed": 1},
    }
    assert (care.practice_episodes, care.practice_all, dict(care.practice)["p"]) == (2, 0, 2)
    [outcome] = care.outcomes
    assert (outcome.code, outcome.outcome.n, outcome.outcome.mean_change) == ("cats_7_17_self", 1, -30.0)
    assert (work.nominated, work.placed, work.trained, work.certified, work.withdrawn) == (4, 3, 0, 0, 0)
    assert work.by_state == {
        "OH": {"placed": 2, "trained": 0, "certified": 0},
        "TX": {"placed": 1, "trained": 0, "certified": 0},
    }
    # The cumulative series ends on the whole program's totals, and the targets read the same.
    assert care.by_month[-1][1:] == (4, 2)
    progress = {p.metric: p.actual for p in context["progress"]}
    assert progress["children_served"] == 4
    assert progress["caregivers_served"] == 2


def test_the_page_shows_the_figures(
    built: dict[str, Any], program: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    html = signed_in(program_admin).get(URL).content.decode()
    assert "Median sessions per completed episode: 5.0" in html
    assert "<tr><td>TX</td>" in html
    assert '<td>Placed in a cohort</td><td class="num">3</td>' in html


def test_a_state_narrows_the_care_and_workforce_figures(
    built: dict[str, Any], program: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    context = _dashboard(signed_in(program_admin), program, state="TX")
    care, work = context["care"], context["work"]
    assert (care.children, care.caregivers, care.sessions) == (2, 1, 7)
    assert (care.referred, care.started, care.completed, care.ended, care.pre_post) == (2, 2, 1, 1, 0)
    assert care.median_sessions == 6.0
    assert care.median_wait_days == 6.5  # waits of 3 and 10 days
    assert care.outcomes == []
    assert list(care.by_state) == ["TX"]
    assert (work.nominated, work.placed) == (1, 1)
    # The targets stay the whole program's.
    assert {p.metric: p.actual for p in context["progress"]}["children_served"] == 4


def test_a_period_narrows_the_care_figures_to_its_months(
    built: dict[str, Any], program: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(program_admin)
    early, late = built["early"], built["late"]
    care = _dashboard(client, program, start=early.isoformat(), end=early.isoformat())["care"]
    assert (care.children, care.caregivers, care.sessions) == (2, 1, 6)
    assert (care.referred, care.started, care.completed, care.ended) == (3, 2, 1, 0)
    assert care.median_sessions == 4.0
    assert list(care.by_state) == ["OH"]

    care = _dashboard(client, program, start=late.isoformat())["care"]
    assert (care.children, care.caregivers, care.sessions) == (2, 1, 7)
    assert (care.referred, care.started, care.completed, care.ended) == (2, 2, 1, 1)

    # A period and a state together: the early month had nobody in Texas.
    care = _dashboard(client, program, start=early.isoformat(), end=early.isoformat(), state="TX")["care"]
    assert (care.children, care.referred, care.sessions) == (0, 0, 0)


def test_a_cohort_narrows_the_workforce_only(
    built: dict[str, Any], program: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(program_admin)
    context = _dashboard(client, program, cohort=built["cohort"].pk)
    assert (context["work"].nominated, context["work"].placed) == (2, 2)
    assert (context["care"].children, context["care"].referred, context["care"].sessions) == (4, 5, 13)

    context = _dashboard(client, program, cohort=built["second"].pk)
    assert (context["work"].nominated, context["work"].placed) == (1, 1)
    assert context["care"].children == 4


def test_the_filters_show_what_was_chosen_with_every_name_escaped(
    built: dict[str, Any], program: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    second = built["second"]
    Cohort.objects.in_org(second.organization_id).filter(pk=second.pk).update(name='Rural <b>"2"</b> & co')
    early = built["early"].isoformat()
    response = signed_in(program_admin).get(
        URL, {"program": program.pk, "start": early, "state": "TX", "cohort": second.pk}
    )
    html = response.content.decode()
    assert '<label for="id_cohort">Cohort</label> <select name="cohort" id="id_cohort">' in html
    assert f'<option value="{second.pk}" selected>Rural &lt;b&gt;&quot;2&quot;&lt;/b&gt; &amp; co</option>' in html
    assert f'<option value="{built["cohort"].pk}">' in html
    assert '<option value="TX" selected>TX</option>' in html
    assert f'<option value="{early}" selected>' in html
    # Nothing chosen: each select's first option ("Every …", the program's start and end) stands.
    html = signed_in(program_admin).get(URL, {"program": program.pk}).content.decode()
    filters = html[html.index('class="filters"') : html.index("</form>", html.index('class="filters"'))]
    assert filters.count("<select") == 4
    assert " selected" not in filters.replace('<option value="" selected>', "")


def test_a_period_that_ends_before_it_starts_is_refused(
    built: dict[str, Any], program: Program, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    early, late = built["early"], built["late"]
    context = _dashboard(signed_in(program_admin), program, start=late.isoformat(), end=early.isoformat())
    assert context["form"].errors
    assert context["filters"] == figures.Filters()
    assert context["care"].children == 4


def test_the_figures_read_the_kept_cells_not_the_raw_rows(
    built: dict[str, Any],
    program: Program,
    program_admin: User,
    signed_in: Callable[[User], Client],
    cac: Organization,
    clinician: User,
) -> None:
    """The dashboard's care figures take a fixed number of queries, whatever the number of records."""
    client = signed_in(program_admin)
    client.get(URL)  # warm the workforce cache
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    before = len(queries)
    early = built["early"]
    for n in range(3):
        treat(
            cac=cac,
            program=program,
            clinician=clinician,
            case_number=f"More-{n}",
            referred_on=early,
            sessions=[early + timedelta(days=n + 1)],
        )
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    assert len(queries) == before
