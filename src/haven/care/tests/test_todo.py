"""The clinician's home is a to-do list: open critical answers first, measures overdue and due by child code, the
next consultation call of their cohort and the next step of their path, each linking to where it is done. Its reads
are the clinician's own, audited as one list, in a number of queries that does not grow with the caseload."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care import services
from haven.care.models import CriticalAlert, Episode
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training import services as training_services
from haven.training.models import Cohort, ConsultationCall
from haven.training.path import add_months
from haven.training.tests.factories import enroll, make_cohort, nominate
from haven.training.tests.pages import text

from .factories import measure, register, sessions

PHQ_A_ITEM_9 = {str(n): 1 for n in range(1, 10)}


def _section(page: str, heading_id: str) -> str:
    """The HTML of the to-do section headed by ``heading_id``."""
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)
    assert found, f"no section {heading_id}"
    return found.group(0)


def _texts(html: str, tag: str) -> list[str]:
    """The text of each ``tag`` element as a reader sees it (inline tags removed, whitespace collapsed)."""
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", inner)).strip()
        for inner in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)
    ]


def _links(html: str) -> list[tuple[str, str]]:
    return [
        (href, re.sub(r"<[^>]+>", "", label).strip())
        for href, label in re.findall(r'<a href="([^"]+)">(.*?)</a>', html, re.S)
    ]


def _started(cac: Organization, program: Program, clinician: User, case: str, *, days_ago: int) -> Episode:
    episode = register(cac=cac, program=program, clinician=clinician, case_number=case)
    sessions(episode, clinician, 1, start=timezone.now().date() - timedelta(days=days_ago))
    return episode


def _measured(cac: Organization, program: Program, clinician: User, case: str, *, days_ago: int) -> Episode:
    episode = _started(cac, program, clinician, case, days_ago=150)
    measure(episode, clinician, timepoint="baseline", on=timezone.now().date() - timedelta(days=days_ago), symptom=1)
    episode.refresh_from_db()
    return episode


def _alerted(cac: Organization, program: Program, clinician: User, case: str) -> Episode:
    """An episode whose baseline PHQ-A has a critical answer to item 9."""
    teen = register(cac=cac, program=program, clinician=clinician, case_number=case, age=15)
    services.assessment_record(
        actor=clinician,
        episode=teen,
        instrument_code="phq_a",
        timepoint="baseline",
        administered_on=timezone.now().date() - timedelta(days=2),
        responses=PHQ_A_ITEM_9,
    )
    return teen


@dataclass(frozen=True)
class Week:
    """A clinician's week: an alert, a baseline overdue, a periodic measure due, one up to date, a colleague's child
    overdue, and a cohort whose calls run on."""

    clinician: User
    cohort: Cohort
    teen: Episode
    alert: CriticalAlert
    overdue: Episode
    due: Episode
    fine: Episode
    theirs: Episode


def a_clinicians_week(
    *,
    cac: Organization,
    program: Program,
    program_admin: User,
    colleague: User,
    make_member: Callable[..., User],
) -> Week:
    today = timezone.now().date()
    # A cohort whose live training was 38 days ago: its twice-monthly calls run into the coming months.
    upcoming = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[],
        name="Plains Collaborative 2",
        starts_on=today - timedelta(days=40),
        ends_on=today + timedelta(days=320),
        live_training_on=today - timedelta(days=38),
        call_time=time(15),
        call_time_zone="America/Chicago",
    )
    clinician = make_member(Role.CLINICIAN, cac, full_name="Robin Therapist")
    enrollment = enroll(program=program, cac=cac, clinician=clinician, actor=program_admin, cohort=upcoming)
    training_services.milestone_record(
        actor=program_admin, enrollment=enrollment, kind="online_course", achieved_on=today - timedelta(days=60)
    )
    teen = _alerted(cac, program, clinician, "ALERT")
    return Week(
        clinician=clinician,
        cohort=upcoming,
        teen=teen,
        alert=CriticalAlert.objects.in_org(cac).get(episode=teen),
        overdue=_started(cac, program, clinician, "OVERDUE", days_ago=20),  # no baseline 20 days into treatment
        due=_measured(cac, program, clinician, "DUE", days_ago=95),  # periodic due 5 days ago
        fine=_measured(cac, program, clinician, "FINE", days_ago=10),  # periodic in 80 days
        theirs=_started(cac, program, colleague, "THEIRS", days_ago=40),  # the colleague's, overdue
    )


def test_the_clinicians_home_lists_what_is_to_do_and_links_to_where_it_is_done(
    cac: Organization,
    program: Program,
    program_admin: User,
    colleague: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    today = timezone.now().date()
    week = a_clinicians_week(
        cac=cac, program=program, program_admin=program_admin, colleague=colleague, make_member=make_member
    )
    clinician, upcoming, alert = week.clinician, week.cohort, week.alert
    teen, overdue, due, fine, theirs = week.teen, week.overdue, week.due, week.fine, week.theirs
    codes = {
        e.pk: Episode.objects.in_org(cac).select_related("child").get(pk=e.pk).child.display_code
        for e in (teen, overdue, due, fine, theirs)
    }

    page = signed_in(clinician).get("/").content.decode()

    # Alerts first, then measures, the next call and the path.
    order = [page.index(f'id="{heading}"') for heading in ("todo-alerts", "todo-measures", "todo-call", "todo-path")]
    assert order == sorted(order)
    assert _links(_section(page, "todo-alerts")) == [
        (
            f"/care/alerts/{alert.pk}/",
            f"{codes[teen.pk]}: “Several days (1)” to Item 9: Thoughts of self-harm, on "
            f"{date_format(today - timedelta(days=2), 'SHORT_DATE_FORMAT')}",
        )
    ]
    measures = _section(page, "todo-measures")
    assert [href for href, _label in _links(measures)] == [
        f"/care/episodes/{overdue.pk}/",
        f"/care/episodes/{due.pk}/",
        "/care/",  # the caseload
    ]
    assert codes[fine.pk] not in measures and codes[theirs.pk] not in page
    assert _texts(measures, "li") == [
        f"{codes[overdue.pk]} – Baseline overdue since {date_format(today - timedelta(days=6), 'SHORT_DATE_FORMAT')}",
        f"{codes[due.pk]} – Periodic measure due since {date_format(today - timedelta(days=5), 'SHORT_DATE_FORMAT')}",
    ]

    call = (
        ConsultationCall.objects.in_org(upcoming.organization_id)
        .filter(cohort=upcoming, held_on__gte=today)
        .order_by("held_on")
        .first()
    )
    assert call is not None
    assert _links(_section(page, "todo-call")) == [
        (
            "/training/my-path/",
            f"Call {call.number} of Plains Collaborative 2: {date_format(call.held_on, 'DATE_FORMAT')}, at 3 p.m. "
            "Central time",
        )
    ]

    path = _section(page, "todo-path")
    deadline = date_format(add_months(upcoming.live_training_on, 24), "DATE_FORMAT")
    assert _texts(path, "p") == [
        "Next step: Consultation calls: 9 of 12, twice a month for 6 months or monthly for 12, within 24 months of "
        "the live training",
        f"0 attended, 9 needed · by {deadline}. 4 steps left in all. My path",
    ]
    assert _links(path) == [("/training/my-path/", "My path")]

    # One audited list, naming the children shown and no other.
    listed = AuditEntry.objects.in_org(cac).filter(action="child.list", actor=clinician)
    assert [entry.detail for entry in listed] == [
        {
            "episodes": sorted([teen.pk, overdue.pk, due.pk]),
            "children": sorted([teen.child_id, overdue.child_id, due.child_id]),
        }
    ]


def test_an_empty_to_do_list_says_what_is_fine_and_lists_no_child(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    clinician = make_member(Role.CLINICIAN, cac, full_name="New Starter")
    shown = text(signed_in(clinician).get("/"))
    assert "No critical answer is waiting for follow-up." in shown
    assert "No measure is due: every child's measures are up to date." in shown
    assert "You are not in a training program yet." in shown
    assert not AuditEntry.objects.in_org(cac).filter(action="child.list").exists()


def test_the_next_call_says_whether_the_clinician_has_a_cohort_or_its_calls_are_over(
    cac: Organization,
    program: Program,
    program_admin: User,
    cohort: Cohort,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    waiting = make_member(Role.CLINICIAN, cac, full_name="Sam Nominated")
    nominate(program=program, cac=cac, clinician=waiting, actor=program_admin)
    placed = make_member(Role.CLINICIAN, cac, full_name="Alex Placed")
    enroll(program=program, cac=cac, clinician=placed, actor=program_admin, cohort=cohort)  # its calls all held

    for clinician, said in (
        (waiting, "No consultation calls: you are not in a cohort yet."),
        (placed, "No consultation call of your cohort is planned."),
    ):
        page = signed_in(clinician).get("/").content.decode()
        assert _texts(_section(page, "todo-call"), "p") == [said]
        assert _texts(_section(page, "todo-path"), "p")[0].startswith("Next step: ")


def _home_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured.captured_queries)


def test_the_to_do_list_does_not_grow_with_the_caseload(
    cac: Organization,
    program: Program,
    clinician: User,
    signed_in: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(clinician)
    for n in range(3):
        _started(cac, program, clinician, f"small-{n}", days_ago=30)
    _alerted(cac, program, clinician, "small-alert")
    client.get("/")
    with django_assert_max_num_queries(30):
        small = _home_queries(client)
    for n in range(27):
        _started(cac, program, clinician, f"large-{n}", days_ago=30)
    for n in range(3):
        _alerted(cac, program, clinician, f"large-alert-{n}")
    with django_assert_max_num_queries(30):
        large = _home_queries(client)
    assert large == small
    listed = AuditEntry.objects.in_org(cac).filter(action="child.list").order_by("-seq").first()
    assert listed is not None and len(listed.detail["episodes"]) == 34


def test_a_cac_admin_sees_the_cacs_open_alerts_and_no_measures_list(
    cac: Organization,
    program: Program,
    clinician: User,
    colleague: User,
    cac_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    for who, case in ((clinician, "A-1"), (colleague, "A-2")):
        _alerted(cac, program, who, case)
    page = signed_in(cac_admin).get("/").content.decode()
    alerts = CriticalAlert.objects.in_org(cac)
    assert sorted(href for href, _label in _links(_section(page, "todo-alerts"))) == sorted(
        f"/care/alerts/{a.pk}/" for a in alerts
    )
    assert 'id="todo-measures"' not in page and 'id="todo-path"' not in page
    listed = AuditEntry.objects.in_org(cac).get(action="child.list", actor=cac_admin)
    assert listed.detail["episodes"] == sorted(a.episode_id for a in alerts)


def test_other_roles_have_no_to_do_list(role_members: dict[str, User], signed_in: Callable[[User], Client]) -> None:
    for role in (Role.PROGRAM_ADMIN, Role.TRAINER, Role.FUNDER_VIEWER):
        page = signed_in(role_members[role]).get("/").content.decode()
        assert 'id="todo-title"' not in page
