"""One figure, one value, everywhere: on generated demo data, every page, download and report that shows a figure
shows the same value for it, and every share is rounded to the nearest, the parts of a whole summing to 100.

The program is generated so that it has already ended: the funder's last closed quarter then covers the whole
program, and the funder's page, its downloads and the public page show the same period as the program's pages.
Generating the demo scale takes several seconds, so the module generates once, inside a transaction rolled back
after its last test.
"""

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.core.dates import add_months, month_of
from haven.core.shares import nearest, partition
from haven.measures.labels import CHANGE_LABELS
from haven.programs.models import Program
from haven.training.tests.pages import facts, tables, text

from .builders import keep_documents, layout_texts

CATEGORIES = [str(CHANGE_LABELS[c]) for c in ("recovered", "improved", "unchanged", "deteriorated")]


@pytest.fixture(scope="module")
def ended(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo program, begun more than 37 months ago: its 36 months are over. It begins in the last month of a
    quarter so that it ends in one too: its last quarter is a full one (a program ends on the first day of a month,
    and a last quarter of one day would hold a handful of children, withheld)."""
    start = add_months(month_of(timezone.now().date()), -38)
    while start.month % 3:
        start = add_months(start, -1)
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("generate", "--scale=demo", "--seed=5", f"--start={start.isoformat()}", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def program(ended: None, db: None) -> Program:
    return Program.objects.dangerously_unscoped().get()


def _client(email: str, signed_in: Any) -> Client:
    client: Client = signed_in(User.objects.get(email=email))
    return client


def _count(value: str) -> int:
    return int(value.replace(",", ""))


def _share(value: str) -> int | None:
    return None if value == "—" else int(value.rstrip("%"))


def _table(response: Any, first_header: str) -> tuple[list[str], dict[str, list[str]]]:
    header, *body = next(rows for rows in tables(response) if rows and rows[0] and rows[0][0] == first_header)
    return header, {row[0]: row for row in body}


def _funder_table(response: Any, title_column: str) -> dict[str, list[str]]:
    _header, rows = next(
        (rows[0], {row[0]: row[1:] for row in rows[1:]})
        for rows in tables(response)
        if rows and rows[0][1:2] == [title_column]  # the corner header names the table for screen readers only
    )
    return rows


def _outcome_shares(header: list[str], rows: dict[str, list[str]]) -> dict[str, list[int | None]]:
    return {label: [_share(row[header.index(c)]) for c in CATEGORIES] for label, row in rows.items()}


def test_every_page_download_and_report_shows_each_figure_alike(
    program: Program, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = _client("program.admin@haven.example", signed_in)
    funder = _client("funder@haven.example", signed_in)
    assert program.ends_on < timezone.now().date()

    # -- The workforce funnel ---------------------------------------------------------------------------------
    workforce = text(admin.get("/training/"))
    cards = {
        label: _count(re.search(rf"{label} ([\d,]+)", workforce).group(1))  # type: ignore[union-attr]
        for label in ("Nominated by their CAC", "Placed in a cohort", "Trained", "Certified", "Withdrawn")
    }
    dashboard = admin.get("/reporting/", {"program": program.pk})
    _h, steps = _table(dashboard, "Step")
    assert {label: _count(row[1]) for label, row in steps.items()} == cards
    assert cards["Placed in a cohort"] >= cards["Trained"] >= cards["Certified"] > 0

    page = funder.get("/reporting/funder/", {"program": program.pk})
    assert page.status_code == 200
    clinicians = _funder_table(page, "Clinicians")
    for label in ("Placed in a cohort", "Trained", "Certified"):
        assert _count(clinicians[label][0]) == cards[label]
    # The shares beside them: of the clinicians placed, to the nearest.
    assert _share(clinicians["Trained"][1]) == nearest(cards["Trained"], cards["Placed in a cohort"])

    export = f"/reporting/funder/export.%s?program={program.pk}"
    sheet_csv = list(csv.reader(io.StringIO(funder.get(export % "csv").content.decode())))
    book = openpyxl.load_workbook(io.BytesIO(funder.get(export % "xlsx").content), read_only=True)
    sheet_xlsx = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    for label in ("Placed in a cohort", "Trained", "Certified"):
        assert [label, str(cards[label])] == next(row[:2] for row in sheet_csv if row and row[0] == label)
        assert [label, cards[label]] == next(row[:2] for row in sheet_xlsx if row and row[0] == label)
    documents = keep_documents(monkeypatch)
    assert funder.get(export % "pdf").status_code == 200
    pdf = layout_texts(documents[-1])
    placed_at = pdf.index("Placed in a cohort")
    assert f"{cards['Placed in a cohort']:,}" in pdf[placed_at : placed_at + 3]

    # -- Children and caregivers served -----------------------------------------------------------------------
    reach = text(dashboard)
    served = {
        "children": _count(re.search(r"Children first served ([\d,]+)", reach).group(1)),  # type: ignore[union-attr]
        "caregivers": _count(re.search(r"Caregivers first served ([\d,]+)", reach).group(1)),  # type: ignore[union-attr]
    }
    outcomes_page = admin.get("/reporting/outcomes/")
    found = facts(outcomes_page)
    assert (_count(found["Children served"]), _count(found["Caregivers served"])) == (
        served["children"],
        served["caregivers"],
    )
    targets = _funder_table(page, "Goal")
    assert _count(targets["Children served"][1]) == served["children"]
    assert _count(targets["Caregivers served"][1]) == served["caregivers"]
    assert _count(targets["Clinicians trained"][1]) == cards["Trained"]
    public = text(Client().get("/impact/"))
    assert f"{_nearest_ten(served['children']):,} children served so far" in public
    assert f"{_nearest_ten(cards['Trained']):,} therapists trained so far" in public

    # -- Children by age: the shares of a whole sum to 100, the same on every page ------------------------------
    dashboard_tables = tables(dashboard)
    outcomes_tables = tables(outcomes_page)
    ages = next(rows for rows in dashboard_tables if rows and rows[0][0] == "0 to 5")
    assert ages == next(rows[1:] for rows in outcomes_tables if rows and rows[0][0] == "Age at referral")
    counts = [_count(row[1]) for row in ages]
    assert [_share(row[2]) for row in ages] == partition(counts)
    assert sum(_share(row[2]) or 0 for row in ages) == 100
    funder_age = next(
        {row[0]: row[1:] for row in rows[1:]}
        for rows in tables(page)
        if rows and rows[0][1:2] == ["Children"] and "0 to 5" in {row[0] for row in rows}
    )
    if all(values[0] != "<11" for values in funder_age.values()):
        assert [_share(funder_age[row[0]][1]) for row in ages] == [_share(row[2]) for row in ages]

    # -- Engagement shares: to the nearest of the counts shown ---------------------------------------------------
    _h, engagement = _table(dashboard, "Episodes")
    referred, started = _count(engagement["Referred"][1]), _count(engagement["Began treatment"][1])
    assert _share(engagement["Began treatment"][2]) == nearest(started, referred)
    for label in ("Completed", "Ended early"):
        assert _share(engagement[label][2]) == nearest(_count(engagement[label][1]), started)

    # -- Outcomes: one vocabulary, rows summing to 100, the same everywhere ---------------------------------------
    header, rows = _table(dashboard, "Questionnaire")
    program_shares = _outcome_shares(header, rows)
    assert program_shares
    for shares in program_shares.values():
        assert sum(share for share in shares if share is not None) in (0, 100)
    header, rows = _table(outcomes_page, "Questionnaire")
    assert _outcome_shares(header, rows) == program_shares
    funder_outcomes = next(
        {row[0]: row[1:] for row in rows[1:]} for rows in tables(page) if rows and rows[0][1:2] == ["Children measured"]
    )
    funder_header = next(rows[0] for rows in tables(page) if rows and rows[0][1:2] == ["Children measured"])
    assert funder_header[2:6] == CATEGORIES
    whole_rows = 0
    for label, values in funder_outcomes.items():
        shown, everywhere = [_share(v) for v in values[1:5]], program_shares[label]
        if values[0] != "<11" and [s is None for s in shown] == [s is None for s in everywhere]:
            # Every category published: the same shares as the program's pages.
            assert shown == everywhere
            whole_rows += 1
        else:
            # A category withheld: the others are each their own share of the children measured, to the nearest,
            # so they differ from the row's largest-remainder shares by at most a point.
            for alone, parted in zip(shown, everywhere, strict=True):
                assert alone is None or parted is not None and abs(alone - parted) <= 1
            assert sum(share for share in shown if share is not None) <= 100
    assert whole_rows
    csv_outcomes = {row[0]: row[1:] for row in sheet_csv if row and row[0] in funder_outcomes}
    assert {label: [_as_csv(v) for v in values] for label, values in funder_outcomes.items()} == csv_outcomes


def _nearest_ten(n: int) -> int:
    return (2 * n + 10) // 20 * 10


def _as_csv(shown: str) -> str:
    """A cell of the funder's page as the CSV writes it: the number without its grouping or %, "" for a dash."""
    return "" if shown == "—" else shown.replace(",", "").rstrip("%")


def _money_row(rows: list[list[str]], label: str) -> list[str]:
    return next(row for row in rows if row and row[0] == label)


def test_the_money_figures_are_alike_on_every_page_download_and_report(
    program: Program, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated books of the ended demo program: the costs per clinician trained and certified and the amount
    paid read the same on the admin's money page, its download, the funder's money page, its download and the
    funder's PDF, and each cost is what was paid over its count."""
    from django.db.models import Sum

    from haven.grants.models import Fund, Payment, PaymentStatus

    paid_minor = (
        Payment.objects.of_program(program)
        .filter(status=PaymentStatus.PAID)
        .aggregate(total=Sum("amount_minor"))["total"]
    )
    assert paid_minor, "the generator pays grants"
    (fund,) = Fund.objects.of_program(program)
    admin = _client("program.admin@haven.example", signed_in)
    funder = _client("funder@haven.example", signed_in)
    admin_page = tables(admin.get("/reporting/money/", {"program": program.pk}))
    funder_page = tables(funder.get("/reporting/funder/money/", {"program": program.pk}))
    admin_csv = list(
        csv.reader(io.StringIO(admin.get(f"/reporting/money/export.csv?program={program.pk}").content.decode()))
    )
    funder_csv = list(
        csv.reader(io.StringIO(funder.get(f"/reporting/funder/money/export.csv?program={program.pk}").content.decode()))
    )
    documents = keep_documents(monkeypatch)
    assert funder.get(f"/reporting/funder/export.pdf?program={program.pk}").status_code == 200
    pdf = layout_texts(documents[-1])

    def page_row(found: list[list[list[str]]], label: str) -> list[str]:
        return next(row for rows in found for row in rows if row and row[0] == label)

    for label in ("Per clinician trained", "Per clinician certified"):
        shown = page_row(admin_page, label)[1:]
        assert shown == page_row(funder_page, label)[1:]
        count = _count(shown[0])
        assert count > 0
        cost = (Decimal(paid_minor) / count).quantize(Decimal(1), rounding="ROUND_HALF_UP") / 100
        assert shown[1] == f"${cost:,.2f}"
        assert _money_row(admin_csv, label)[1:3] == [str(count), f"{cost:.2f} USD"]
        assert _money_row(funder_csv, label)[1:3] == [str(count), f"{cost:.2f} USD"]
        at = pdf.index(label)
        assert pdf[at + 1 : at + 3] == [shown[0], shown[1]]
    assert page_row(admin_page, fund.name)[5] == page_row(funder_page, fund.name)[5]
