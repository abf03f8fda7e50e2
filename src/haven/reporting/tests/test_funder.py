"""What the funder sees (the page, its chart and each download) never holds a true count from 1 to 10.

The program has served 14 children in Ohio and 3 in Texas by the end of the last closed quarter: Texas's count
must read "<11" everywhere, and so must whatever would let it be worked out (Ohio, given the total).
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import disclosure, tables
from haven.reporting.figures import program_quarters, quarter_of

from .builders import keep_documents, layout_texts, treat

FUNDER = "/reporting/funder/"
SUPPRESSED = disclosure.SUPPRESSED


def _export(fmt: str) -> str:
    return f"/reporting/funder/export.{fmt}"


@pytest.fixture
def served(
    funded: Program, cac: Organization, other_cac: Organization, clinician: User, other_clinician: User
) -> Program:
    """14 children served in Ohio (5 with a caregiver) and 3 in Texas, all before the last closed quarter ended."""
    quarter = tables.last_closed_quarter(funded, timezone.now().date())
    assert quarter is not None
    day = tables.quarter_end(quarter) - timedelta(days=40)
    for n in range(14):
        treat(
            cac=cac,
            program=funded,
            clinician=clinician,
            case_number=f"OH-{n}",
            referred_on=day - timedelta(days=10),
            sessions=[day],
            caregiver_last=n < 5,
        )
    for n in range(3):
        treat(
            cac=other_cac,
            program=funded,
            clinician=other_clinician,
            case_number=f"TX-{n}",
            referred_on=day - timedelta(days=10),
            sessions=[day],
        )
    return funded


def _cells(report: tables.FunderReport) -> Iterator[tuple[str, str, tables.Value, tables.Column]]:
    for table in report.tables:
        for label, values in table.rows:
            for value, column in zip(values, table.columns, strict=True):
                yield table.slug, str(label), value, column


def _suppressed_in(report: tables.FunderReport) -> int:
    return sum(1 for *_where, value, _column in _cells(report) if value == SUPPRESSED)


def _state_row(report: tables.FunderReport, state: str) -> list[tables.Value]:
    return next(values for label, values in report.table("states").rows if label == state)


def _no_small_count(values: list[Any]) -> None:
    small = [value for value in values if isinstance(value, int) and 0 < value < disclosure.THRESHOLD]
    assert small == []


def test_the_funders_page_withholds_the_small_state_and_what_reveals_it(
    served: Program, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(funder_viewer).get(FUNDER)
    assert response.status_code == 200
    report: tables.FunderReport = response.context["report"]
    assert report.program == served

    # Texas served 3 children: withheld. Ohio's 14 is withheld too, or the total would give Texas's away.
    assert [str(c.label) for c in report.table("states").columns][2] == "Children served"
    assert _state_row(report, "TX")[2] == SUPPRESSED
    label, (_target, total, _share) = report.table("targets").rows[2]
    assert str(label) == "Children served"
    assert not (isinstance(total, int) and isinstance(_state_row(report, "OH")[2], int)), total
    assert report.protected.values[("state", "TX", "children")] == 3

    # No count of 1 to 10 anywhere: every count cell is 0, at least 11, or "<11".
    for slug, label, value, column in _cells(report):
        if column.percent or value is None:
            continue
        assert value == SUPPRESSED or (isinstance(value, int) and (value == 0 or value >= 11)), (slug, label, value)

    # The page shows exactly the table's cells: as many "<11" as the tables hold, and no small count.
    html = response.content.decode()
    shown = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert shown.count("&lt;11") == _suppressed_in(report) > 0
    _no_small_count([int(text.replace(",", "")) for text in shown if re.fullmatch(r"[\d,]+", text)])

    # The chart of new children and caregivers per quarter: a withheld cell is a gap, never its value.
    found = re.search(r'<script id="chart-quarters" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    chart = json.loads(found.group(1))
    rows = report.table("quarters").rows
    children, caregivers = chart["data"]["datasets"]
    assert chart["data"]["labels"] == [str(label) for label, _values in rows]
    assert children["data"] == [v[2] if isinstance(v[2], int) else None for _l, v in rows]
    assert caregivers["data"] == [v[4] if isinstance(v[4], int) else None for _l, v in rows]
    assert None in children["data"] + caregivers["data"]
    _no_small_count(children["data"] + caregivers["data"])


def _report_of(client: Client) -> tables.FunderReport:
    report: tables.FunderReport = client.get(FUNDER).context["report"]
    return report


def _exports(funder: Organization) -> list[dict[str, Any]]:
    return list(
        AuditEntry.objects.in_org(funder)
        .filter(action="report.export")
        .order_by("seq")
        .values_list("detail", flat=True)
    )


def test_the_csv_and_xlsx_downloads_show_what_the_page_shows(
    served: Program, funder_viewer: User, funder: Organization, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(funder_viewer)
    report = _report_of(client)
    response = client.get(_export("csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="haven-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows for cell in row[1:]]
    assert cells.count(SUPPRESSED) == _suppressed_in(report)
    _no_small_count([int(cell) for cell in cells if re.fullmatch(r"\d+", cell)])
    by_state = rows.index(["Reach by state"])
    texas = next(row for row in rows[by_state:] if row[0] == "TX")
    assert texas[3] == SUPPRESSED  # children served
    assert _exports(funder) == [{"format": "csv", "quarter": report.quarter.isoformat()}]

    # The same tables as a sheet, audited as a second download.
    response = client.get(_export("xlsx"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    cells = [cell for row in rows for cell in row[1:]]
    assert cells.count(SUPPRESSED) == _suppressed_in(report)
    _no_small_count([cell for cell in cells if isinstance(cell, int)])
    texas = next(row for row in rows if row and row[0] == "TX")
    assert texas[3] == SUPPRESSED
    assert _exports(funder) == [
        {"format": "csv", "quarter": report.quarter.isoformat()},
        {"format": "xlsx", "quarter": report.quarter.isoformat()},
    ]


def test_the_pdf_download_shows_what_the_page_shows(
    served: Program,
    funder_viewer: User,
    funder: Organization,
    signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The text WeasyPrint laid out (the PDF stores glyph ids) holds the same withheld cells and no small count."""
    documents = keep_documents(monkeypatch)
    client = signed_in(funder_viewer)
    report = _report_of(client)
    response = client.get(_export("pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    [document] = documents
    texts = layout_texts(document)
    assert texts.count(SUPPRESSED) == _suppressed_in(report)
    assert _exports(funder) == [{"format": "pdf", "quarter": report.quarter.isoformat()}]


def test_an_unknown_format_is_not_found_and_not_audited(
    funded: Program, clinician: User, funder_viewer: User, funder: Organization, signed_in: Callable[[User], Client]
) -> None:
    assert signed_in(funder_viewer).get(_export("json")).status_code == 404
    assert _exports(funder) == []


def test_the_program_admin_sees_the_funders_view_too(
    funded: Program, clinician: User, program_admin: User, national: Organization, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(program_admin)
    assert client.get(FUNDER).status_code == 200
    assert client.get(_export("csv")).status_code == 200
    assert AuditEntry.objects.in_org(national).filter(action="report.export").count() == 1


def test_a_viewer_of_another_funder_sees_nothing(
    funded: Program, other_funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(other_funder_viewer)
    for url in (FUNDER, _export("csv"), _export("xlsx"), _export("pdf")):
        assert client.get(url).status_code == 404, url
        assert client.get(url, {"program": funded.pk}).status_code == 404, url
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="report.export").exists()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.ORG_ADMIN, Role.TRAINER])
def test_care_and_training_roles_see_nothing(
    funded: Program,
    role: str,
    cac: Organization,
    provider: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    user = make_member(role, provider if role == Role.TRAINER else cac)
    client = signed_in(user)
    for url in (FUNDER, _export("csv")):
        assert client.get(url, {"program": funded.pk}).status_code == 404, url


# --- Programs with no records yet, and episodes referred before the program began -------------------------------


def test_a_program_with_no_records_yet_shows_its_funders_page(
    funded: Program, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(funder_viewer).get(FUNDER)
    assert response.status_code == 200
    assert response.context["report"].table("targets").rows[2][1][1] == 0


def test_a_child_referred_before_the_program_began_is_in_the_funders_figures(
    funded: Program, cac: Organization, clinician: User, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    treat(
        cac=cac,
        program=funded,
        clinician=clinician,
        case_number="EARLY-1",
        referred_on=funded.starts_on - timedelta(days=60),
        sessions=[funded.starts_on + timedelta(days=5)],
    )
    response = signed_in(funder_viewer).get(FUNDER)
    assert response.status_code == 200
    engagement = {str(label): values for label, values in response.context["report"].table("engagement").rows}
    assert engagement["Began treatment"][0] == SUPPRESSED


def test_two_quarterly_reports_do_not_give_a_small_count_away_by_subtraction(
    funded: Program, cac: Organization, other_cac: Organization, clinician: User, other_clinician: User
) -> None:
    last = tables.last_closed_quarter(funded, timezone.now().date())
    assert last is not None
    before = tables.last_closed_quarter(funded, last)
    assert before is not None
    for n in range(22):
        here = n < 11
        treat(
            cac=cac if here else other_cac,
            program=funded,
            clinician=clinician if here else other_clinician,
            case_number=f"Q-{n}",
            referred_on=before + timedelta(days=20),
            sessions=[before + timedelta(days=20)],
        )
    treat(
        cac=other_cac,
        program=funded,
        clinician=other_clinician,
        case_number="Q-late",
        referred_on=last + timedelta(days=20),
        sessions=[last + timedelta(days=20)],
    )
    earlier, later = tables.funder_report(funded, before), tables.funder_report(funded, last)
    new_in_texas = (
        later.protected.values[("state", "TX", "children")] - earlier.protected.values[("state", "TX", "children")]
    )
    assert new_in_texas == 1
    recovered = {
        key: (earlier.protected.value(key), later.protected.value(key))
        for key in earlier.protected.values.keys() & later.protected.values.keys()
        if earlier.protected.value(key) is not None
        and later.protected.value(key) is not None
        and 0 < abs(later.protected.value(key) - earlier.protected.value(key)) < disclosure.THRESHOLD  # type: ignore[operator]
    }
    assert recovered == {}


def test_a_released_quarter_reads_the_same_after_a_late_record(
    served: Program, cac: Organization, clinician: User, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    """Once the funder has seen a quarter, a record entered late does not change it: the page and the downloads
    show what was released. The late child counts in the next quarter released instead."""
    last = tables.last_closed_quarter(served, timezone.now().date())
    assert last is not None
    before = tables.last_closed_quarter(served, last)
    assert before is not None
    assert tables.funder_report(served, before).protected.values["children"] == 0
    treat(
        cac=cac,
        program=served,
        clinician=clinician,
        case_number="LATE-1",
        referred_on=before + timedelta(days=10),
        sessions=[before + timedelta(days=20)],
    )
    assert tables.funder_report(served, before).protected.values["children"] == 0
    client = signed_in(funder_viewer)
    shown = client.get(FUNDER).context["report"]
    assert shown.quarter == last
    assert shown.protected.values["children"] == 18
    assert shown.protected.values[("q", before.isoformat(), "children", "new")] == 1
    assert shown.protected.value(("q", before.isoformat(), "children", "new")) is None


def test_each_quarter_is_released_once_and_audited(
    served: Program, funder_viewer: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(funder_viewer)
    client.get(FUNDER)
    last = tables.last_closed_quarter(served, timezone.now().date())
    assert last is not None
    quarters = [q.isoformat() for q in program_quarters(served, last)]
    releases = AuditEntry.objects.dangerously_unscoped().filter(action="report.release")
    assert [entry.detail["quarter"] for entry in releases.order_by("seq")] == quarters
    client.get(FUNDER)
    client.get(_export("csv"))
    assert releases.count() == len(quarters)


def test_a_quarter_not_yet_ended_cannot_be_released(served: Program) -> None:
    current = quarter_of(timezone.now().date())
    with pytest.raises(ValueError, match="has not ended"):
        tables.funder_report(served, current)
