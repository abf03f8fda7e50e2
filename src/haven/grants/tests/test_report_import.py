"""A financial report imported from the grantee's spreadsheet: the same lines as typed in, every malformed file or
row a form error naming its row, nothing submitted until the dry run is confirmed."""

import io
import re

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from haven.core.money import Money
from haven.grants import report_import, selectors
from haven.grants.models import BudgetCategory, ReportStatus
from haven.organizations.roles import Role

from .report_factories import active_grant, quarterly

BUDGETED = {"personnel", "travel", "supplies", "indirect"}


@pytest.fixture
def setup(fund, cac, program_admin, make_member, signed_in):
    grant = active_grant(fund, cac, program_admin)
    first, second, *_ = quarterly(grant, program_admin)
    return first, second, signed_in(make_member(Role.ORG_ADMIN, cac))


def _upload(client: Client, report_id: int, name: str, content: bytes) -> tuple[int, str]:
    response = client.post(
        f"/grants/ours/reports/{report_id}/import/", {"file": _file(name, content)}, format="multipart"
    )
    return response.status_code, response.content.decode()


def _file(name: str, content: bytes) -> io.BytesIO:
    stream = io.BytesIO(content)
    stream.name = name
    return stream


def _confirm(client: Client, report_id: int, page: str) -> int:
    payload = re.search(r'name="payload" value="([^"]+)"', page)
    assert payload, "the dry run offers no confirmation"
    return client.post(f"/grants/ours/reports/{report_id}/import/confirm/", {"payload": payload.group(1)}).status_code


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_typed_and_imported_reports_give_the_same_lines(setup) -> None:
    first, second, client = setup
    typed = {"personnel": "15000.50", "travel": "320", "supplies": "", "indirect": "1875.13", "narrative": ""}
    assert client.post(f"/grants/ours/reports/{first.pk}/", typed).status_code == 302

    workbook = _xlsx(
        [
            ["Category", "Amount", "Comment"],
            ["Personnel", 15000.5, "salaries"],
            ["DÉPLACEMENTS", 320],
            ["indirect", "1875,13"],
        ]
    )
    status, page = _upload(client, second.pk, "q2.xlsx", workbook)
    assert status == 200
    second.refresh_from_db()
    assert second.status == ReportStatus.DUE  # the dry run writes nothing
    assert _confirm(client, second.pk, page) == 302

    second.refresh_from_db()
    assert second.status == ReportStatus.SUBMITTED
    assert (
        selectors.report_lines(second)
        == selectors.report_lines(first)
        == {
            BudgetCategory.PERSONNEL: 1_500_050,
            BudgetCategory.TRAVEL: 32_000,
            BudgetCategory.INDIRECT: 187_513,
        }
    )


def test_a_csv_reads_like_a_workbook(setup) -> None:
    first, _second, client = setup
    status, page = _upload(client, first.pk, "q1.csv", b"category,amount\r\nsupplies,99.9\r\nFringe benefits,0\r\n")
    assert status == 200
    assert "This grant has no budget line for Fringe benefits." in page  # a category the budget does not have
    assert 'name="payload"' not in page

    status, page = _upload(client, first.pk, "q1.csv", b"category,amount\nsupplies,99.9\n")
    assert _confirm(client, first.pk, page) == 302
    assert selectors.report_lines(first) == {BudgetCategory.SUPPLIES: 9_990}


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"category,amount\npersonnel,12.345\n", 2, "at most 2 decimals"),
        (b'category,amount\npersonnel,"1,234.00"\n', 2, "without a thousands separator"),
        (b"category,amount\n\npersonnel,10\ntravel,-5\n", 4, "An amount spent is never negative."),
        (b"category,amount\npersonnel,10\nPersonnel,20\n", 3, "This category is already on line 2."),
        (b"category,amount\ncatering,10\n", 2, "Unknown category"),
        (b"category,amount\npersonnel,\n", 2, "The amount is missing."),
        (b"what,how much\npersonnel,10\n", 1, "Missing columns: category, amount"),
    ],
)
def test_a_bad_row_is_an_error_naming_its_row_and_nothing_is_offered(
    setup, content: bytes, line: int, message: str
) -> None:
    first, _second, client = setup
    status, page = _upload(client, first.pk, "bad.csv", content)
    assert status == 200
    errors = _errors(page)
    assert len(errors) == 1
    assert errors[0][0] == line
    assert message in errors[0][1]
    assert 'name="payload"' not in page
    assert "nothing is submitted while any row is in error" in page


def _errors(page: str) -> list[tuple[int, str]]:
    """The rows in error as a reader reads them: the line number and the row's text."""
    rows = re.findall(r'<tr class="row-error">(.*?)</tr>', page, flags=re.S)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    return [(int(cell.split()[0]), cell) for cell in cells]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really a workbook"),
        ("empty.csv", b""),
        ("notes.pdf", b"%PDF-1.7"),
    ],
)
def test_a_file_that_is_not_a_table_is_a_form_error(setup, name: str, content: bytes) -> None:
    first, _second, client = setup
    status, page = _upload(client, first.pk, name, content)
    assert status in (200, 422)
    assert 'class="field-error' in page or "errorlist" in page or "has no rows" in page
    assert 'name="payload"' not in page
    first.refresh_from_db()
    assert first.status == ReportStatus.DUE


def test_an_altered_confirmation_submits_nothing(setup) -> None:
    first, _second, client = setup
    _status, page = _upload(client, first.pk, "q1.csv", b"category,amount\npersonnel,10\n")
    payload = re.search(r'name="payload" value="([^"]+)"', page).group(1)
    client.post(f"/grants/ours/reports/{first.pk}/import/confirm/", {"payload": payload[:-2] + "xx"})
    first.refresh_from_db()
    assert first.status == ReportStatus.DUE


def test_a_confirmation_is_for_its_own_report(setup) -> None:
    first, second, client = setup
    _status, page = _upload(client, first.pk, "q1.csv", b"category,amount\npersonnel,10\n")
    payload = re.search(r'name="payload" value="([^"]+)"', page).group(1)
    response = client.post(f"/grants/ours/reports/{second.pk}/import/confirm/", {"payload": payload})
    assert response.status_code == 404
    second.refresh_from_db()
    assert second.status == ReportStatus.DUE


@given(cents=st.integers(min_value=0, max_value=10**12), comma=st.booleans())
def test_an_amount_reads_back_to_the_cent(cents: int, comma: bool) -> None:
    written = str(Money(cents, "USD").amount)
    if comma:
        written = written.replace(".", ",")
    assert report_import.parse_amount(written, "USD") == cents


def test_every_name_of_a_category_is_matched() -> None:
    names = report_import.category_names()
    assert names["indirect costs"] == names["coûts indirects"] == names["indirect"] == BudgetCategory.INDIRECT
    result = report_import.plan(
        rows=[{"line": 2, "category": " Avantages sociaux ", "amount": "10"}], budgeted={"fringe"}, currency="USD"
    )
    assert result.lines == {"fringe": 1000}
