"""What each role sees: the program admin's workforce figures, a trainer's cohorts, a CAC admin's staff, a
clinician's own path."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from haven.accounts.models import User
from haven.core.templatetags.haven import count
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training import funnel, services, views
from haven.training.dashboard import CohortRisk
from haven.training.models import Cohort, Enrollment, Placement
from haven.training.templatetags import workforce_tables

from .factories import enroll, make_cohort, nominate, record_calls
from .pages import table, text


@dataclass
class Workforce:
    healthy: Cohort
    struggling: Cohort
    people: dict[str, Enrollment]
    trainers: dict[str, User]
    clinicians: dict[str, User]


@pytest.fixture
def setup(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    program_admin: User,
    provider: Organization,
    make_member: Callable[..., User],
) -> Workforce:
    """Two cohorts. Healthy (capacity 3): Ann (OH) trained, Ben (TX) at every call but no course, Cal (OH)
    withdrawn. Struggling (capacity 2): Dee (OH) and Eve (TX) at 3 of 8 marks, Fay (OH) waitlisted. Gus (TX)
    nominated."""
    heather = make_member(Role.TRAINER, provider, full_name="Heather Healthy")
    sam = make_member(Role.TRAINER, provider, full_name="Sam Struggling")
    healthy = make_cohort(
        program=program, actor=program_admin, trainers=[heather], name="Healthy Collaborative", capacity=3
    )
    struggling = make_cohort(
        program=program, actor=program_admin, trainers=[sam], name="Struggling Collaborative", capacity=2
    )
    clinicians, people = {}, {}
    plan = (
        ("Ann", cac, healthy),
        ("Ben", other_cac, healthy),
        ("Cal", cac, healthy),
        ("Dee", cac, struggling),
        ("Eve", other_cac, struggling),
        ("Fay", cac, struggling),
        ("Gus", other_cac, None),
    )
    for name, where, cohort in plan:
        clinicians[name] = make_member(Role.CLINICIAN, where, full_name=name)
        if cohort is None:
            people[name] = nominate(program=program, cac=where, clinician=clinicians[name], actor=program_admin)
        else:
            people[name] = enroll(
                program=program, cac=where, clinician=clinicians[name], actor=program_admin, cohort=cohort
            )
    services.milestone_record(
        actor=program_admin,
        enrollment=people["Ann"],
        kind="online_course",
        achieved_on=healthy.live_training_on - timedelta(days=5),
    )
    services.enrollment_withdraw(actor=program_admin, enrollment=people["Cal"], reason="Left the CAC")
    both = [people["Ann"], people["Ben"]]
    # Both at the first nine calls; the twelfth, six months after the live training, held without them.
    record_calls(cohort=healthy, actor=heather, present={**dict.fromkeys(range(1, 10), both), 12: []})
    record_calls(
        cohort=struggling,
        actor=sam,
        present={1: [people["Dee"], people["Eve"]], 2: [people["Dee"]], 3: [], 4: []},
    )
    for person in people.values():
        person.refresh_from_db()
    assert people["Fay"].placement == Placement.WAITLISTED
    return Workforce(healthy, struggling, people, {"healthy": heather, "struggling": sam}, clinicians)


def test_workforce_page_shows_the_funnel_the_breakdowns_and_the_cohort_at_risk(
    setup: Workforce, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(program_admin).get("/training/")

    assert response.status_code == 200
    # Every clinician nominated; Gus awaits a place, Fay a seat; Cal stays among those placed after withdrawing.
    assert response.context["funnel"] == funnel.Funnel(
        nominated=7, awaiting=1, waitlisted=1, placed=5, trained=1, certified=0, withdrawn=1
    )
    page = text(response)
    cards = (
        "Nominated by their CAC 7 1 awaiting a place Waitlisted 1 Placed in a cohort 5 Trained 1 Certified 0 "
        "Withdrawn 1"
    )
    assert cards in page
    assert "2 trainees are falling behind." in page
    # 3 attended of 8 marks held (2 people x 4 calls): 38%.
    assert table(response, labelledby="risk-heading") == [
        ["Cohort", "Attendance", "Behind", "Enrolled"],
        ["Struggling Collaborative", "38%", "2", "2"],
    ]
    assert table(response, labelledby="state-heading") == [
        ["State", "Placed in a cohort", "Trained", "Certified", "Withdrawn"],
        ["OH", "3", "1", "0", "1"],
        ["TX", "2", "0", "0", "0"],
    ]
    assert table(response, labelledby="cohort-heading") == [
        ["Cohort", "Placed in a cohort", "Trained", "Certified", "Withdrawn"],
        ["Healthy Collaborative", "3", "1", "0", "1"],
        ["Struggling Collaborative", "2", "0", "0", "0"],
    ]
    timeline = table(response, labelledby="time-heading")
    assert timeline[-1][1] == "1"  # trained by this month
    assert timeline[-1][3] == "0"  # certified
    assert f'<a href="/training/cohorts/{setup.struggling.pk}/">Struggling Collaborative</a>' in response.text


def test_the_workforce_tables_escape_every_name() -> None:
    hostile = '<script>"x"</script> & co'
    steps = funnel.Funnel(nominated=4, awaiting=0, waitlisted=0, placed=4, trained=3, certified=2, withdrawn=1)
    assert workforce_tables.funnel_rows([(hostile, steps)]) == (
        "<tr><td>&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; co</td>"
        '<td class="num">4</td><td class="num">3</td><td class="num">2</td><td class="num">1</td></tr>'
    )
    risk = CohortRisk(Cohort(pk=7, name=hostile), None, 2, 5)
    assert workforce_tables.risk_rows([risk]) == (
        '<tr><td><a href="/training/cohorts/7/">&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; co</a></td>'
        '<td class="num">—</td><td class="num">2</td><td class="num">5</td></tr>'
    )


def test_program_admin_cohort_list_flags_only_the_struggling_cohort(
    setup: Workforce, program_admin: User, signed_in: Callable[[User], Client]
) -> None:
    rows = {row[0]: row for row in table(signed_in(program_admin).get("/training/cohorts/"))[1:]}
    assert set(rows) == {"Healthy Collaborative", "Struggling Collaborative"}
    assert rows["Healthy Collaborative"][4:] == ["Heather Healthy", "2 / 3", "0", ""]
    assert rows["Struggling Collaborative"][4:] == ["Sam Struggling", "2 / 2", "1", "at risk"]


def test_the_cohort_list_is_read_a_page_at_a_time_in_the_order_cohorts_start(
    setup: Workforce, program_admin: User, signed_in: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national program runs a thousand cohorts: each page lists some, and links to the next and the previous."""
    monkeypatch.setattr(views, "COHORTS_PER_PAGE", 1)
    client = signed_in(program_admin)
    first = client.get("/training/cohorts/")
    second = client.get("/training/cohorts/?page=2")
    names = [table(first)[1][0], table(second)[1][0]]
    assert sorted(names) == ["Healthy Collaborative", "Struggling Collaborative"]
    starts = {c.name: c.starts_on for c in (setup.healthy, setup.struggling)}
    assert starts[names[0]] <= starts[names[1]]
    assert "Page 1 of 2" in text(first) and 'href="?page=2#page-title"' in first.content.decode()
    assert "Page 2 of 2" in text(second) and 'href="?page=1#page-title"' in second.content.decode()
    assert len(table(second)) == 2  # the header and one cohort


def test_a_trainer_lists_only_their_cohorts(setup: Workforce, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(setup.trainers["healthy"])
    response = client.get("/training/cohorts/")
    assert response.status_code == 200
    assert "My cohorts" in text(response)
    assert [row[0] for row in table(response)[1:]] == ["Healthy Collaborative"]
    assert client.get(f"/training/cohorts/{setup.healthy.pk}/").status_code == 200
    assert client.get(f"/training/cohorts/{setup.struggling.pk}/").status_code == 404
    assert client.get(f"/training/enrollments/{setup.people['Ben'].pk}/").status_code == 200
    assert client.get(f"/training/enrollments/{setup.people['Dee'].pk}/").status_code == 404


def test_a_cac_admin_sees_only_their_cacs_staff(
    setup: Workforce, cac_admin: User, other_cac_admin: User, signed_in: Callable[[User], Client]
) -> None:
    rows = table(signed_in(cac_admin).get("/training/staff/"))[1:]
    assert sorted(rows) == [
        ["Ann", "Trained", "Healthy Collaborative", "9/9", "0/3"],
        ["Cal", "Withdrawn", "Healthy Collaborative", "0/9", "0/3"],
        ["Dee", "Enrolled", "Struggling Collaborative", "2/9", "0/3"],
        ["Fay", "Waitlisted", "Struggling Collaborative", "0/9", "0/3"],
    ]
    rows = table(signed_in(other_cac_admin).get("/training/staff/"))[1:]
    assert sorted(row[:2] for row in rows) == [["Ben", "Enrolled"], ["Eve", "Enrolled"], ["Gus", "Nominated"]]
    client = signed_in(cac_admin)
    assert client.get(f"/training/enrollments/{setup.people['Ann'].pk}/").status_code == 200
    assert client.get(f"/training/enrollments/{setup.people['Ben'].pk}/").status_code == 404


def test_a_clinician_sees_only_their_own_path(setup: Workforce, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(setup.clinicians["Ann"])
    page = text(client.get("/training/my-path/"))
    assert "Partnership · Trained · Healthy Collaborative" in page
    assert client.get(f"/training/enrollments/{setup.people['Ann'].pk}/").status_code == 200
    for colleague in ("Dee", "Ben"):  # the same CAC, then another
        assert client.get(f"/training/enrollments/{setup.people[colleague].pk}/").status_code == 404
    assert client.get("/training/staff/").status_code == 404
    assert client.get("/training/cohorts/").status_code == 404

    assert "Partnership · Waitlisted" in text(signed_in(setup.clinicians["Fay"]).get("/training/my-path/"))


def test_the_workforce_tables_group_thousands_as_the_language_does() -> None:
    steps = funnel.Funnel(
        nominated=25_000, awaiting=0, waitlisted=0, placed=20_001, trained=4_196, certified=948, withdrawn=-1_250
    )
    with translation.override("en"):
        english = workforce_tables.funnel_rows([("All", steps)])
    with translation.override("fr"):
        french = workforce_tables.funnel_rows([("All", steps)])
    cells = '<td class="num">{}</td><td class="num">{}</td><td class="num">948</td><td class="num">{}</td>'
    assert english == "<tr><td>All</td>" + cells.format("20,001", "4,196", "-1,250") + "</tr>"
    assert french == "<tr><td>All</td>" + cells.format("20\xa0001", "4\xa0196", "-1\xa0250") + "</tr>"
    # As the count filter writes the same numbers (the cards and the dashboard).
    with translation.override("fr"):
        assert count(20_001) == "20\xa0001"
