"""Import of sessions and measures by a CAC admin: column mapping, dry run, one-transaction confirm with one
audit event, idempotence, all-or-nothing on errors, server-side scoring, and no case number ever sent back."""

import csv
import html
import io
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care import imports, services
from haven.care.models import Assessment, CriticalAlert, Episode, ImportMapping, Session
from haven.core import tabular
from haven.core.tabular import MAX_ROWS
from haven.core.tests import uploads
from haven.measures import instruments
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting.models import ChildServed

from .factories import register

SALT = "haven.care.import"
FIRST, SECOND, TEEN = "ZX-40917", "ZX-40918", "QK-77120"


def _today() -> date:
    return timezone.now().date()


def _csv(lines: list[str], *, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _upload(client: Client, kind: str, content: bytes, name: str = "export.csv", **mapping: str) -> Any:
    upload = io.BytesIO(content)
    upload.name = name
    return client.post("/care/import/", {"kind": kind, "file": upload, **mapping})


def _payload(page: str) -> str:
    match = re.search(r'name="payload" value="([^"]+)"', page)
    assert match, "the review page offers no confirmation"
    return match.group(1)


def _outcomes(page: str) -> list[tuple[int, str, str, str]]:
    """(line, child, outcome, detail) of each row of the dry run's table."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append((int(cells[0]), cells[1], cells[2], cells[3]))
    return rows


def _selected_mapping(page: str) -> dict[str, str]:
    """What the review page's column selects post as they stand: ``{"map_date": "session date", ...}``."""
    posted = {}
    for name, options in re.findall(r'<select id="[^"]+" name="(map_\w+)">(.*?)</select>', page, flags=re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        posted[name] = chosen.group(1) if chosen else ""
    return posted


def _import_events() -> list[AuditEntry]:
    return list(AuditEntry.objects.dangerously_unscoped().filter(action="care.import").order_by("seq"))


def _sessions(cac: Organization) -> list[tuple[Any, ...]]:
    return sorted(
        Session.objects.in_org(cac).values_list(
            "episode_id", "held_on", "minutes", "kind", "components", "caregiver_present", "modality", "clinician_id"
        )
    )


def _served_rows(program: Program) -> list[tuple[Any, ...]]:
    return sorted(
        ChildServed.objects.of_program(program).values_list("child_id", "first_session_on", "caregiver_first_on")
    )


@pytest.fixture
def episodes(cac: Organization, program: Program, clinician: User) -> list[Episode]:
    return [register(cac=cac, program=program, clinician=clinician, case_number=number) for number in (FIRST, SECOND)]


@pytest.fixture
def admin_client(cac_admin: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(cac_admin)


def _days() -> tuple[date, date, date]:
    """Three days a week apart, about two months ago. The second, written month first, has a day above 12: a date
    that reads only one way and so fixes the order of the file's dates."""
    second = next(day for n in range(53, 100) if (day := _today() - timedelta(days=n)).day > 12)
    return second - timedelta(days=7), second, second + timedelta(days=7)


def _sessions_file(*, bom: bool = False) -> bytes:
    d1, d2, d3 = _days()
    return _csv(
        [
            "Case Number,Session Date,Duration,Type,Practice,Caregiver Present,Modality",
            f"{FIRST},{d1.isoformat()},60,child,PRAC,no,in person",
            f" {FIRST.lower()} ,{d2.month}/{d2.day}/{d2.year},45,Caregiver,,yes,Telehealth",
            f"{SECOND},{d3.isoformat()},50,family,P R,,video",
        ],
        bom=bom,
    )


def _expected_sessions(episodes: list[Episode]) -> list[tuple[Any, ...]]:
    d1, d2, d3 = _days()
    clinician_id = episodes[0].clinician_id
    return sorted(
        [
            (episodes[0].pk, d1, 60, "child", ["p", "r", "a", "c"], False, "in_person", clinician_id),
            (episodes[0].pk, d2, 45, "caregiver", [], True, "telehealth", clinician_id),
            (episodes[1].pk, d3, 50, "conjoint", ["p", "r"], False, "telehealth", clinician_id),
        ]
    )


def test_a_sessions_file_is_checked_without_writing_then_imported_in_one_go(
    episodes: list[Episode], cac: Organization, program: Program, admin_client: Client
) -> None:
    response = _upload(admin_client, "sessions", _sessions_file(bom=True))
    page = response.content.decode()
    assert response.status_code == 200
    codes = [e.child.display_code for e in episodes]
    assert _outcomes(page) == [(2, codes[0], "add", ""), (3, codes[0], "add", ""), (4, codes[1], "add", "")]
    # The dry run wrote nothing.
    assert _sessions(cac) == []
    assert not ChildServed.objects.of_program(program).exists()
    assert not ImportMapping.objects.in_org(cac).exists()
    assert _import_events() == []

    response = admin_client.post("/care/import/confirm/", {"payload": _payload(page)})
    assert response.status_code == 302
    assert _sessions(cac) == _expected_sessions(episodes)
    (event,) = _import_events()
    assert event.organization_id == cac.pk
    assert {key: event.detail[key] for key in ("kind", "rows", "create", "unchanged", "alerts")} == {
        "kind": "sessions",
        "rows": 3,
        "create": 3,
        "unchanged": 0,
        "alerts": 0,
    }
    assert event.detail["episodes"] == sorted(e.pk for e in episodes)
    # One event for the whole file, none per session.
    assert not AuditEntry.objects.dangerously_unscoped().filter(action__startswith="session.").exists()
    # The episodes' counters and the children served follow, as after a session entered by hand.
    first = Episode.objects.in_org(cac).get(pk=episodes[0].pk)
    d1, d2, d3 = _days()
    assert (first.sessions_count, first.caregiver_sessions, first.first_session_on, first.last_session_on) == (
        2,
        1,
        d1,
        d2,
    )
    assert first.practice == ["p", "r", "a", "c"]
    assert sorted(ChildServed.objects.of_program(program).values_list("child_id", "first_session_on")) == sorted(
        [(episodes[0].child_id, d1), (episodes[1].child_id, d3)]
    )


def test_importing_the_same_file_again_changes_nothing(
    episodes: list[Episode], cac: Organization, program: Program, admin_client: Client
) -> None:
    page = _upload(admin_client, "sessions", _sessions_file()).content.decode()
    admin_client.post("/care/import/confirm/", {"payload": _payload(page)})
    before = _sessions(cac), list(Episode.objects.in_org(cac).values()), _served_rows(program)

    page = _upload(admin_client, "sessions", _sessions_file()).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["already in Haven"] * 3
    response = admin_client.post("/care/import/confirm/", {"payload": _payload(page)})
    assert response.status_code == 302
    assert (_sessions(cac), list(Episode.objects.in_org(cac).values()), _served_rows(program)) == before
    assert [(e.detail["create"], e.detail["unchanged"]) for e in _import_events()] == [(3, 0), (0, 3)]


def test_utf8_with_and_without_a_bom_read_the_same(episodes: list[Episode], admin_client: Client) -> None:
    with_bom = _outcomes(_upload(admin_client, "sessions", _sessions_file(bom=True)).content.decode())
    without = _outcomes(_upload(admin_client, "sessions", _sessions_file()).content.decode())
    assert with_bom == without
    assert [outcome for _line, _child, outcome, _detail in with_bom] == ["add"] * 3


def test_columns_haven_cannot_guess_are_mapped_on_the_review_page_and_remembered(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    d1, d2, _d3 = _days()
    content = _csv(
        ["Case #,Seen On,Mins,Who", f"{FIRST},{d1.isoformat()},60,child", f"{SECOND},{d2.isoformat()},30,parent"]
    )
    page = _upload(admin_client, "sessions", content).content.decode()
    assert "Choose the column that holds “Case number”." in page
    assert "Choose the column that holds “Session date”." in page
    assert 'name="payload"' not in page
    assert _sessions(cac) == []

    # The admin picks the columns in the selects and checks the file again.
    posted = _selected_mapping(page)
    assert set(posted) == {
        "map_case_number",
        "map_date",
        "map_minutes",
        "map_type",
        "map_components",
        "map_caregiver_present",
        "map_modality",
    }
    posted.update(map_case_number="case #", map_date="seen on", map_minutes="mins", map_type="who")
    page = _upload(admin_client, "sessions", content, **posted).content.decode()
    assert "Choose the column" not in page
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add", "add"]
    admin_client.post("/care/import/confirm/", {"payload": _payload(page)})
    assert [(s[0], s[1], s[2], s[3]) for s in _sessions(cac)] == [
        (episodes[0].pk, d1, 60, "child"),
        (episodes[1].pk, d2, 30, "caregiver"),
    ]
    mapping = ImportMapping.objects.in_org(cac).get(kind="sessions")
    assert mapping.columns == {"case_number": "case #", "date": "seen on", "minutes": "mins", "type": "who"}

    # The next export from the same system is mapped as last time, with no choosing.
    later = _csv(["Case #,Seen On,Mins,Who", f"{SECOND},{_today().isoformat()},40,conjoint"])
    page = _upload(admin_client, "sessions", later).content.decode()
    assert "Choose the column" not in page
    assert _selected_mapping(page) == {**posted, "map_caregiver_present": "", "map_components": "", "map_modality": ""}
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add"]


def _two_way_days(count: int) -> list[date]:
    """Days of the last months whose day and month are both 12 or less and differ: 3/4 is 4 March or 3 April."""
    found = [day for n in range(30, 190) if (day := _today() - timedelta(days=n)).day <= 12 and day.day != day.month]
    return sorted(found[:: len(found) // count][:count])


def _radio_checked(page: str, name: str) -> str | None:
    match = re.search(rf'<input type="radio" name="{name}" value="([^"]+)"[^>]* checked>', page)
    return match.group(1) if match else None


def test_dates_that_read_two_ways_are_asked_about_and_check_again_keeps_the_columns_and_the_order(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    days = _two_way_days(3)
    # A French CAC's export: day/month/year, columns Haven cannot guess; every day is 12 or less.
    content = _csv(
        [
            "Dossier,Jour,Durée,Qui",
            *(f"{FIRST},{d.day:02}/{d.month:02}/{d.year},60,child" for d in days[:2]),
            f"{SECOND},{days[2].day:02}/{days[2].month:02}/{days[2].year},45,conjoint",
        ]
    )
    columns = {"map_case_number": "dossier", "map_date": "jour", "map_minutes": "durée", "map_type": "qui"}
    page = _upload(admin_client, "sessions", content, **columns).content.decode()

    # Every row is in error, named by its line, and the page asks how the file writes its dates.
    assert [(line, outcome) for line, _child, outcome, _detail in _outcomes(page)] == [
        (2, "error"),
        (3, "error"),
        (4, "error"),
    ]
    assert "How does this file write its dates?" in page
    assert "The dates on lines 2, 3, 4 read as two different days each" in html.unescape(page)
    assert _radio_checked(page, "date_order") is None
    assert 'action="/care/import/confirm/"' not in page
    assert _selected_mapping(page) == {**columns, "map_components": "", "map_caregiver_present": "", "map_modality": ""}

    # Check again without choosing the file again: the columns chosen stay, the dates are read day first.
    posted = {**_selected_mapping(page), "kind": "sessions", "payload": _payload(page), "date_order": "day_first"}
    page = admin_client.post("/care/import/", posted).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add", "add", "add"]
    assert _selected_mapping(page) == {**columns, "map_components": "", "map_caregiver_present": "", "map_modality": ""}
    assert _radio_checked(page, "date_order") == "day_first"
    assert admin_client.post("/care/import/confirm/", {"payload": _payload(page)}).status_code == 302
    assert sorted(s[1] for s in _sessions(cac)) == days
    remembered = ImportMapping.objects.in_org(cac).get(kind="sessions")
    assert (remembered.columns, remembered.date_order) == (
        {"case_number": "dossier", "date": "jour", "minutes": "durée", "type": "qui"},
        "day_first",
    )

    # The CAC's next export reads its dates the same way, with nothing to choose.
    later = _csv(["Dossier,Jour,Durée,Qui", f"{SECOND},{days[0].day:02}/{days[0].month:02}/{days[0].year},30,child"])
    page = _upload(admin_client, "sessions", later).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add"]
    assert "How does this file write its dates?" in page  # still asked, with the CAC's answer already chosen
    assert _radio_checked(page, "date_order") == "day_first"


def test_checking_again_with_other_columns_asks_for_the_file_and_keeps_the_choice(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    page = _upload(admin_client, "sessions", _sessions_file()).content.decode()
    changed = {**_selected_mapping(page), "map_minutes": "type", "kind": "sessions", "payload": _payload(page)}

    page = admin_client.post("/care/import/", changed).content.decode()

    assert "To read other columns, choose the file again: Haven does not keep it." in page
    assert _selected_mapping(page)["map_minutes"] == "type"
    assert _sessions(cac) == []


def test_excel_us_dates_and_serial_numbers_are_read_as_written(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    d1, d2, d3 = _days()
    serial = (d3 - date(1899, 12, 30)).days  # an XLSX date cell that lost its format
    content = _csv(
        [
            "Case Number,Session Date,Duration,Type",
            f"{FIRST},{d1.month}/{d1.day}/{d1.year % 100:02},60,child",
            f"{FIRST},{d2.month}/{d2.day}/{d2.year},45,child",  # a day above 12: the file writes month first
            f"{SECOND},{serial},50,child",
        ]
    )
    page = _upload(admin_client, "sessions", content).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add", "add", "add"]
    assert "How does this file write its dates?" not in page
    admin_client.post("/care/import/confirm/", {"payload": _payload(page)})
    assert sorted(s[1] for s in _sessions(cac)) == [d1, d2, d3]


def test_the_remembered_mapping_is_the_cacs_own(
    episodes: list[Episode],
    cac: Organization,
    other_cac: Organization,
    admin_client: Client,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    ImportMapping.objects.create(organization=cac, kind="sessions", columns={"case_number": "case #"})
    other_admin = signed_in(make_member(Role.ORG_ADMIN, other_cac))
    page = _upload(other_admin, "sessions", _csv(["Case #,Session Date,Minutes,Type", "A,2025-01-01,60,child"]))
    assert "Choose the column that holds “Case number”." in page.content.decode()


def test_a_row_in_error_imports_nothing_at_all(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    d1, d2, _d3 = _days()
    unknown = "NO-SUCH-31337"
    content = _csv(
        [
            "case number,session date,minutes,type",
            f"{FIRST},{d1.isoformat()},60,child",
            f"{unknown},{d2.isoformat()},60,child",
        ]
    )
    page = _upload(admin_client, "sessions", content).content.decode()
    assert _outcomes(page) == [
        (2, episodes[0].child.display_code, "add", ""),
        (3, "—", "error", "No child with this case number at your CAC: register the child first."),
    ]
    assert "nothing is imported while any row is in error" in page
    assert 'name="payload"' not in page
    assert unknown not in page
    assert _sessions(cac) == []
    assert _import_events() == []


def test_a_row_that_fails_at_confirmation_imports_nothing_at_all(
    episodes: list[Episode], cac: Organization, program: Program, clinician: User, admin_client: Client
) -> None:
    """The dry run was clean, but the episode was closed before one row's date in the meantime."""
    d1, d2, _d3 = _days()
    content = _csv(
        [
            "case number,session date,minutes,type",
            f"{FIRST},{d1.isoformat()},60,child",
            f"{SECOND},{d2.isoformat()},60,child",
        ]
    )
    page = _upload(admin_client, "sessions", content).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add", "add"]
    services.episode_close(
        actor=clinician, episode=episodes[1], status="ended", closed_on=d2 - timedelta(days=1), reason="moved"
    )

    response = admin_client.post("/care/import/confirm/", {"payload": _payload(page)})
    assert response.status_code == 400
    assert _outcomes(response.content.decode())[1] == (
        3,
        episodes[1].child.display_code,
        "error",
        "The child has no episode open on this date.",
    )
    assert _sessions(cac) == []
    assert not ChildServed.objects.of_program(program).exists()
    assert not ImportMapping.objects.in_org(cac).exists()
    assert _import_events() == []


def test_case_numbers_are_in_neither_the_pages_nor_the_signed_payload(
    episodes: list[Episode], admin_client: Client
) -> None:
    response = _upload(admin_client, "sessions", _sessions_file())
    page = response.content.decode()
    payload = signing.loads(_payload(page), salt=SALT)
    carried = json.dumps(payload)
    assert len(payload["rows"]) == 3
    assert all(len(row["case_key"]) == 64 for row in payload["rows"])
    done = admin_client.post("/care/import/confirm/", {"payload": _payload(page)}, follow=True)
    assert done.status_code == 200
    for number in (FIRST, SECOND):
        for spelling in (number, number.lower(), number.replace("-", "")):
            assert spelling not in page
            assert spelling not in carried
            assert spelling not in done.content.decode()


def test_a_confirmation_signed_for_another_cac_is_refused(
    episodes: list[Episode],
    cac: Organization,
    other_cac: Organization,
    admin_client: Client,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    payload = _payload(_upload(admin_client, "sessions", _sessions_file()).content.decode())
    other_admin = signed_in(make_member(Role.ORG_ADMIN, other_cac))
    assert other_admin.post("/care/import/confirm/", {"payload": payload}).status_code == 404
    forged = admin_client.post("/care/import/confirm/", {"payload": payload[:-2] + "xx"}, follow=True)
    assert "This import expired or was altered." in forged.content.decode()
    assert Session.objects.dangerously_unscoped().count() == 0
    assert _import_events() == []


def _phq_row(number: str, day: date, timepoint: str, answers: list[int]) -> str:
    return ",".join([number, day.isoformat(), "phq_a", timepoint, *map(str, answers)])


def test_measures_are_scored_on_the_server_and_a_critical_answer_raises_an_alert(
    cac: Organization, program: Program, clinician: User, admin_client: Client
) -> None:
    teen = register(cac=cac, program=program, clinician=clinician, case_number=TEEN, age=15)
    baseline_on, post_on = _today() - timedelta(days=100), _today() - timedelta(days=10)
    header = "case number,date given,measure,timepoint," + ",".join(f"item_{n}" for n in range(1, 10))
    content = _csv(
        [
            header,
            _phq_row(TEEN, baseline_on, "baseline", [1, 2, 0, 3, 1, 1, 2, 0, 2]),
            _phq_row(TEEN, post_on, "post", [0, 1, 0, 1, 0, 0, 1, 0, 0]),
        ]
    )
    page = _upload(admin_client, "measures", content).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add", "add"]
    assert not Assessment.objects.in_org(cac).exists()
    assert not CriticalAlert.objects.in_org(cac).exists()
    assert TEEN not in page and TEEN not in json.dumps(signing.loads(_payload(page), salt=SALT))

    assert admin_client.post("/care/import/confirm/", {"payload": _payload(page)}).status_code == 302
    version = instruments.load("phq_a").scoring_version
    stored = list(
        Assessment.objects.in_org(cac)
        .order_by("administered_on")
        .values_list("episode_id", "timepoint", "administered_on", "total", "above_cutoff", "scoring_version")
    )
    # PHQ-A: the sum of the nine items; 10 or more is above the cut-off.
    assert stored == [
        (teen.pk, "baseline", baseline_on, 12, True, version),
        (teen.pk, "post", post_on, 3, False, version),
    ]
    baseline = Assessment.objects.in_org(cac).get(timepoint="baseline")
    assert (baseline.score["band"], baseline.score["critical"]) == ("moderate", ["9"])
    assert baseline.responses == {str(n): a for n, a in zip(range(1, 10), [1, 2, 0, 3, 1, 1, 2, 0, 2], strict=True)}
    alert = CriticalAlert.objects.in_org(cac).get()
    assert (alert.assessment_id, alert.episode_id, alert.item, alert.answer, alert.acknowledged_at) == (
        baseline.pk,
        teen.pk,
        "9",
        2,
        None,
    )
    (event,) = _import_events()
    assert (event.detail["kind"], event.detail["create"], event.detail["alerts"]) == ("measures", 2, 1)
    episode = Episode.objects.in_org(cac).get(pk=teen.pk)
    assert (episode.has_baseline, episode.has_post, episode.last_assessed_on) == (True, True, post_on)

    # The same file again adds no measure and no second alert.
    page = _upload(admin_client, "measures", content).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["already in Haven"] * 2
    admin_client.post("/care/import/confirm/", {"payload": _payload(page)})
    assert Assessment.objects.in_org(cac).count() == 2
    assert CriticalAlert.objects.in_org(cac).count() == 1


def test_the_phq_a_supplementary_columns_are_imported_and_a_yes_to_a_suicide_question_raises_its_alert(
    cac: Organization, program: Program, clinician: User, admin_client: Client
) -> None:
    register(cac=cac, program=program, clinician=clinician, case_number=TEEN, age=15)
    # Named as the item columns are: the key alone, or with an "item_" or "q" prefix.
    header = "case number,date,measure,timepoint," + ",".join(f"item_{n}" for n in range(1, 10)) + ",s1,item_s2,s3,qs4"
    row = _phq_row(TEEN, _today() - timedelta(days=5), "baseline", [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 2, 0, 1])
    page = _upload(admin_client, "measures", _csv([header, row])).content.decode()
    assert [outcome for _line, _child, outcome, _detail in _outcomes(page)] == ["add"]
    assert admin_client.post("/care/import/confirm/", {"payload": _payload(page)}).status_code == 302
    stored = Assessment.objects.in_org(cac).get()
    assert stored.responses == {**{str(n): 1 for n in range(1, 9)}, "9": 0, "s1": 1, "s2": 2, "s3": 0, "s4": 1}
    assert stored.total == 8  # the supplementary answers are not summed
    alert = CriticalAlert.objects.in_org(cac).get()
    assert (alert.assessment_id, alert.item, alert.answer) == (stored.pk, "s4", 1)
    (event,) = _import_events()
    assert event.detail["alerts"] == 1


def test_a_measure_row_out_of_range_is_an_error(
    cac: Organization, program: Program, clinician: User, admin_client: Client
) -> None:
    register(cac=cac, program=program, clinician=clinician, case_number=TEEN, age=15)
    header = "case number,date,measure,timepoint," + ",".join(f"item_{n}" for n in range(1, 10))
    content = _csv([header, _phq_row(TEEN, _today(), "baseline", [1, 1, 1, 1, 1, 1, 1, 1, 4])])
    (row,) = _outcomes(_upload(admin_client, "measures", content).content.decode())
    assert row[2:] == ("error", "9: must be from 0 to 3, not 4")
    assert not Assessment.objects.in_org(cac).exists()


def test_a_follow_up_measure_after_the_episode_closed_is_imported_as_entered_by_hand(
    cac: Organization, program: Program, clinician: User, admin_client: Client
) -> None:
    teen = register(cac=cac, program=program, clinician=clinician, case_number=TEEN, age=15)
    closed_on, follow_up_on = _today() - timedelta(days=100), _today() - timedelta(days=10)
    services.episode_close(actor=clinician, episode=teen, status="completed", closed_on=closed_on)
    answers = [0, 1, 0, 1, 0, 0, 1, 0, 0]
    # By hand, the follow-up after the close is accepted...
    by_hand = services.assessment_record(
        actor=clinician,
        episode=teen,
        instrument_code="phq_a",
        timepoint="follow_up",
        administered_on=follow_up_on,
        responses=_answers_by_item(answers),
    )
    by_hand.delete()
    # ... and so is the same row imported.
    header = "case number,date,measure,timepoint," + ",".join(f"item_{n}" for n in range(1, 10))
    content = _csv([header, _phq_row(TEEN, follow_up_on, "follow-up", answers)])
    (row,) = _outcomes(_upload(admin_client, "measures", content).content.decode())
    assert row[2:] == ("add", "")


def _answers_by_item(values: list[int]) -> dict[str, int | None]:
    return {str(n): value for n, value in enumerate(values, start=1)}


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_clinician_cannot_import(
    episodes: list[Episode], clinician: User, signed_in: Callable[[User], Client], method: str
) -> None:
    client = signed_in(clinician)
    if method == "get":
        assert client.get("/care/import/").status_code == 404
    else:
        assert _upload(client, "sessions", _sessions_file()).status_code == 404
        assert client.post("/care/import/confirm/", {"payload": "x"}).status_code == 404
    assert Session.objects.dangerously_unscoped().count() == 0


def test_a_chapter_admin_cannot_import(
    cac: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    chapter_admin = signed_in(make_member(Role.ORG_ADMIN, cac.parent))
    assert chapter_admin.get("/care/import/").status_code == 404
    assert chapter_admin.post("/care/import/confirm/", {"payload": "x"}).status_code == 404


def test_the_cac_admin_gets_the_upload_form(admin_client: Client) -> None:
    response = admin_client.get("/care/import/")
    assert response.status_code == 200
    assert 'name="file"' in response.content.decode()


# Files that are malformed or hostile: the form again with a message, and nothing written --------------------------

SESSIONS_HEADER = "Case Number,Session Date,Duration,Type,Practice,Caregiver Present,Modality"
MALFORMED = {
    "a NUL byte": (b"Case Number\r\nZX\x00-1\r\n", "Row 2 holds a NUL character: this is not a text file."),
    "an unclosed quote": (
        SESSIONS_HEADER.encode() + b'\r\n"ZX-40917,2025-01-15,60,child,,no,in person\r\n',
        "Row 2: a quotation mark opens a cell that is not closed properly.",
    ),
    "a field over the csv module's limit": (
        SESSIONS_HEADER.encode() + b"\r\nZX-40917,2025-01-15,60," + b"x" * 131_073 + b"\r\n",
        "Row 2 holds more than 100,000 characters (is a quotation mark left open?).",
    ),
    "a header of 16,384 columns": (
        ",".join("x" * 16_384).encode() + b"\r\n",
        "Row 1 has a value in column XFD: Haven reads at most 200 columns (A to GR).",
    ),
    "a zip bomb": (
        uploads.inflating_part("xl/worksheets/sheet1.xml", 64 * 2**20),
        "The workbook's part xl/worksheets/sheet1.xml would inflate to 64 MB (",
    ),
    "a broken workbook": (b"PK\x03\x04" + bytes(100), "The file is not a readable XLSX workbook."),
}


@pytest.mark.parametrize("kind", ["sessions", "measures"])
@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_file_shows_the_form_again_with_its_message_and_writes_nothing(
    case: str, kind: str, episodes: list[Episode], admin_client: Client
) -> None:
    content, message = MALFORMED[case]
    before = uploads.row_counts()
    response = _upload(admin_client, kind, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert html.escape(message) in page
    assert 'type="file" name="file"' in page
    assert 'name="payload"' not in page
    assert uploads.row_counts() == before


def test_cr_line_endings_and_windows_1252_import_like_any_csv(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    content = _sessions_file().decode().replace("\r\n", "\r").encode("cp1252")
    page = _upload(admin_client, "sessions", content).content.decode()
    assert admin_client.post("/care/import/confirm/", {"payload": _payload(page)}).status_code == 302
    assert _sessions(cac) == _expected_sessions(episodes)


def test_a_workbook_with_cells_out_of_order_imports_like_the_csv(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    rows = list(csv.reader(io.StringIO(_sessions_file().decode())))
    body = "".join(
        f"<row r='{n}'>"
        + "".join(  # the cells backwards, each at its own reference
            f"<c r='{chr(65 + i)}{n}' t='inlineStr'><is><t>{value}</t></is></c>"
            for i, value in reversed(list(enumerate(row)))
        )
        + "</row>"
        for n, row in enumerate(rows, start=1)
    )
    content = uploads.package(uploads.sheet(body, dimension="A1:XFD1048576"))
    page = _upload(admin_client, "sessions", content, name="export.xlsx").content.decode()
    assert admin_client.post("/care/import/confirm/", {"payload": _payload(page)}).status_code == 302
    assert _sessions(cac) == _expected_sessions(episodes)


def test_a_number_too_large_for_a_float_is_an_error_of_its_row(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    d1, _d2, _d3 = _days()
    content = _csv([SESSIONS_HEADER, f"{FIRST},{d1.isoformat()},1e400,child,,no,in person"])
    (row,) = _outcomes(_upload(admin_client, "sessions", content).content.decode())
    assert row[2:] == ("error", "The minutes “1e400” are not a number.")
    assert _sessions(cac) == []


def test_a_long_value_is_quoted_by_its_beginning(episodes: list[Episode], admin_client: Client) -> None:
    content = _csv([SESSIONS_HEADER, f"{FIRST},{'9' * 5_000},60,child,,no,in person"])
    (row,) = _outcomes(_upload(admin_client, "sessions", content).content.decode())
    assert row[3] == f"“{'9' * 39}…” is not a date: write dates as 2026-11-22, 11/22/2026 or 22/11/2026."


def test_a_tampered_or_oversized_confirmation_writes_nothing(episodes: list[Episode], admin_client: Client) -> None:
    payload = _payload(_upload(admin_client, "sessions", _sessions_file()).content.decode())
    before = uploads.row_counts()
    tampered = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    response = admin_client.post("/care/import/confirm/", {"payload": tampered}, follow=True)
    assert "This import expired or was altered. Upload the file again." in response.content.decode()
    response = admin_client.post("/care/import/confirm/", {"payload": payload + "x" * (26 * 2**20)})
    assert response.status_code == 400
    assert uploads.row_counts() == before


def test_no_file_gives_a_server_error_or_writes_anything(
    episodes: list[Episode], cac: Organization, admin_client: Client
) -> None:
    """Fuzzed: malformed bytes, CSV and XLSX, and tables with the import's columns holding odd values. A dry run
    that reaches the plan records one read of the children it lists, and nothing else."""
    recent = [(_today() - timedelta(days=d)).isoformat() for d in (10, 300)]
    numbers = ["0", "3", "4", "1.5", "-1", "1e400", "inf", "nan", "x", ""]
    columns = {
        "case number": [FIRST, f" {SECOND.lower()} ", "ZZ-1", ""],
        "date": [*recent, f"{_today().month}/{_today().day}/{_today().year}", "2/30/2025", "2999-01-01", ""],
        "minutes": ["60", "480", "481", *numbers],
        "type": ["child", "Caregiver", "family", "other", ""],
        "components": ["PRAC", "P R A C C", "p;r;cj", "PRAX", ""],
        "caregiver": ["yes", "no", "maybe", ""],
        "modality": ["video", "in person", "moon", ""],
        "measure": ["phq_a", "PHQ-A", "smfq_child", "cats", ""],
        "timepoint": ["baseline", "post", "follow-up", "later", ""],
        **{f"item_{n}": numbers for n in range(1, 10)},
        "t1": numbers,
    }
    files = st.one_of(uploads.import_files(columns), uploads.any_files())
    before = uploads.row_counts()
    reads = AuditEntry.objects.dangerously_unscoped().filter(action="child.list")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(files, st.sampled_from(["sessions", "measures"]))
    def upload_changes_nothing(file: tuple[str, bytes], kind: str) -> None:
        name, content = file
        response = _upload(admin_client, kind, content, name=name)
        assert response.status_code == 200
        after = uploads.row_counts()
        assert after.pop("audit_auditentry") - before["audit_auditentry"] == reads.count()
        assert after == {table: count for table, count in before.items() if table != "audit_auditentry"}

    upload_changes_nothing()


def _measures_filling_the_budget() -> bytes:
    """Every item column a measure can have, with two-character answers, in as many rows as the reader holds: each
    row planned with all its items."""
    keys = sorted({item.key for instrument in instruments.all_instruments() for item in instrument.items})
    lines = [",".join(["case number", "date", "measure", "timepoint", *keys])]
    for n in range(16_500):
        lines.append(",".join([f"ZZ-{n}", "2025-01-15", "phq_a", "baseline", *(f"{n % 89:02}" for _ in keys)]))
    return ("\r\n".join(lines) + "\r\n").encode()


def _sessions_of_long_values() -> bytes:
    cell = "P" * 9_000
    row = f"{FIRST},{cell},{cell},{cell},{cell},{cell},{cell}"
    return ("\r\n".join([SESSIONS_HEADER, *[row] * (20 * 2**20 // len(row))]) + "\r\n").encode()


HOSTILE = {
    "a dimension bomb": ("sessions", lambda: uploads.dimension_bomb(10_000)),
    "50,000 rows of unknown children": (
        "sessions",
        lambda: (
            SESSIONS_HEADER
            + "\r\n"
            + "".join(f"ZZ-{n},2025-01-15,60,child,PRAC,no,in person\r\n" for n in range(MAX_ROWS))
        ).encode(),
    ),
    "items filling the budget": ("measures", _measures_filling_the_budget),
    "20 MB of long values": ("sessions", _sessions_of_long_values),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_reading_and_planning_a_hostile_file_stays_within_100_mb(
    case: str, episodes: list[Episode], cac: Organization, cac_admin: User
) -> None:
    kind, make = HOSTILE[case]
    content = make()
    membership = Membership.objects.of_user(cac_admin).get()

    def dry_run() -> imports.Plan:
        table = tabular.read_table(io.BytesIO(content))
        mapping = imports.guess_mapping(kind, table.header)
        rows = imports.prepare(cac.pk, kind, table, mapping)
        del table
        return imports.plan(membership=membership, kind=kind, rows=rows, actor=cac_admin)

    plan, peak = uploads.peak_of(dry_run)
    assert peak < uploads.PEAK
    assert isinstance(plan, str) or plan.has_errors
