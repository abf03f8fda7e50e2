"""What the funder sees (the page, its chart and each download) never holds a true count from 1 to 10.

The program has served 14 children in Ohio and 3 in Texas by the end of the last closed quarter: Texas's count
must read "<11" everywhere, and so must whatever would let it be worked out (Ohio, given the total).
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.core.dates import quarter_of
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.organizations.tests.factories import CacFactory
from haven.programs.models import Program
from haven.reporting import disclosure, tables
from haven.reporting.figures import program_quarters
from haven.training.models import CertificationPath
from haven.training.tests.factories import enroll, make_cohort

from .builders import keep_documents, layout_texts, train_and_certify, treat

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


def _small(values: list[Any]) -> list[int]:
    return sorted(value for value in values if isinstance(value, int) and 0 < value < disclosure.THRESHOLD)


def _about_clinicians(slug: str, label: str, column: tables.Column) -> bool:
    """Whether a cell counts clinicians (published exactly), not children or their care."""
    return slug == "workforce" or "Clinicians" in label or "Clinicians" in str(column.label)


def _clinicians_small(report: tables.FunderReport) -> list[int]:
    """The counts of 1 to 10 the tables may show: clinicians'."""
    return _small([value for slug, label, value, column in _cells(report) if _about_clinicians(slug, label, column)])


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

    # No count of children or their care from 1 to 10 anywhere: every such cell is 0, at least 11, or "<11". The 2
    # clinicians placed are counted as they are.
    for slug, label, value, column in _cells(report):
        if column.percent or value is None or _about_clinicians(slug, label, column):
            continue
        assert value == SUPPRESSED or (isinstance(value, int) and (value == 0 or value >= 11)), (slug, label, value)
    assert _clinicians_small(report) == [2]
    assert SUPPRESSED not in [value for *where, value, column in _cells(report) if _about_clinicians(*where, column)]

    # The page shows exactly the table's cells: as many "<11" as the tables hold, and no small count but those.
    html = response.content.decode()
    shown = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert shown.count("&lt;11") == _suppressed_in(report) > 0
    page = _small([int(text.replace(",", "")) for text in shown if re.fullmatch(r"[\d,]+", text)])
    assert page == _clinicians_small(report)

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
    assert _small(children["data"] + caregivers["data"]) == []


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
    assert _small([int(cell) for cell in cells if re.fullmatch(r"\d+", cell)]) == _clinicians_small(report)
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
    assert _small([cell for cell in cells if isinstance(cell, int)]) == _clinicians_small(report)
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


# --- Clinicians are counted exactly: they are not children ------------------------------------------------------


@pytest.fixture
def workforce(
    funded: Program,
    cac: Organization,
    program_admin: User,
    provider: Organization,
    make_member: Callable[..., User],
) -> Program:
    """19 clinicians of the Ohio CAC in a cohort that trained 16 months ago: 16 trained and certified before the
    quarter before the last closed one ended, 3 more trained in the last closed quarter (the program's path asks
    for no completed cases, so that no care records are needed). Protected like children's counts, one of them read
    "<11" beside the other in every release (the 3 placed but not yet trained, then the 3 trained since, being
    small), as the funder saw "Clinicians trained: <11" beside "Certified: 16"."""
    last = tables.last_closed_quarter(funded, timezone.now().date())
    assert last is not None
    before = tables.last_closed_quarter(funded, last)
    assert before is not None
    CertificationPath.objects.create(
        organization=funded.organization, program=funded, cases_required=0, cases_with_caregiver_required=0
    )
    starts_on = timezone.now().date() - timedelta(days=480)
    trainer = make_member(Role.TRAINER, provider, full_name="Tess Trainer")
    cohort = make_cohort(
        program=funded,
        actor=program_admin,
        trainers=[trainer],
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=365),
        live_training_on=starts_on + timedelta(days=2),
    )
    enrollments = [
        enroll(
            program=funded,
            cac=cac,
            clinician=make_member(Role.CLINICIAN, cac, full_name=f"Clinician {n}"),
            actor=program_admin,
            cohort=cohort,
        )
        for n in range(19)
    ]
    train_and_certify(
        cohort=cohort,
        actor=program_admin,
        courses=[(enrollments[:16], starts_on - timedelta(days=10)), (enrollments[16:], last + timedelta(days=10))],
        certified_on=tables.quarter_end(before) - timedelta(days=20),
    )
    return funded


def _targets(report: tables.FunderReport) -> dict[str, tables.Value]:
    return {str(label): values[1] for label, values in report.table("targets").rows}


def test_clinicians_trained_and_certified_are_shown_exactly_everywhere(
    workforce: Program,
    funder_viewer: User,
    signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three clinicians trained between two releases: the funder reads 19 trained beside 16 certified, and the 3,
    in the page, both downloads, the PDF and (rounded) the public page."""
    client = signed_in(funder_viewer)
    response = client.get(FUNDER)
    report: tables.FunderReport = response.context["report"]
    last = report.quarter
    assert _targets(report) == {
        "Clinicians trained": 19,
        "Clinicians certified": 16,
        "Children served": 0,
        "Caregivers served": 0,
    }
    workforce_rows = {str(label): values[0] for label, values in report.table("workforce").rows}
    assert workforce_rows == {"Placed in a cohort": 19, "Trained": 19, "Certified": 16}
    quarters = {str(label): values for label, values in report.table("quarters").rows}
    assert quarters[tables.quarter_label(last)][:2] == [3, 19]
    assert _state_row(report, "OH")[:2] == [19, 16]
    html = response.content.decode()
    assert re.search(r'<th scope="row">Clinicians trained</th><td class="num">[^<]*</td><td class="num">19</td>', html)

    rows = list(csv.reader(io.StringIO(client.get(_export("csv")).content.decode())))
    assert ["Clinicians trained", "", "19", ""] in rows
    assert ["Clinicians certified", "", "16", ""] in rows
    assert ["Trained", "19", "100"] in rows

    book = openpyxl.load_workbook(io.BytesIO(client.get(_export("xlsx")).content), read_only=True)
    sheet = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert ["Clinicians trained", None, 19, None] in sheet
    assert ["Clinicians certified", None, 16, None] in sheet

    documents = keep_documents(monkeypatch)
    assert client.get(_export("pdf")).status_code == 200
    texts = layout_texts(documents[-1])
    trained_at = texts.index("Clinicians trained")
    assert "19" in texts[trained_at : trained_at + 4]
    assert SUPPRESSED not in texts[trained_at : trained_at + 4]

    public: tables.PublicFigures = Client().get("/impact/").context["public"]
    assert (public.trained, public.certified) == (20, 20)


# --- Every released figure comes from the release ---------------------------------------------------------------


def _published(client: Client, program: Program) -> dict[str, Any]:
    """Everything the funder and the public read about the released quarters: the funder's page (from its first
    figure on: the forms before it carry a token that changes), both sheets, every released quarter's report as the
    PDF would show it, and the public page in both languages."""
    page = client.get(FUNDER).content.decode()
    last = tables.last_closed_quarter(program, timezone.now().date())
    assert last is not None
    book = openpyxl.load_workbook(io.BytesIO(client.get(_export("xlsx")).content), read_only=True)
    return {
        "page": page[page.index("<p>Figures as of") :],
        "csv": client.get(_export("csv")).content,
        "xlsx": [list(row) for row in book.worksheets[0].iter_rows(values_only=True)],
        "reports": [
            [
                (t.slug, [(str(label), values) for label, values in t.rows])
                for t in tables.funder_report(program, q).tables
            ]
            for q in program_quarters(program, last)
        ],
        "public": [Client().get(url).content for url in ("/impact/", "/impact/fr/")],
    }


LATE_WRITES = ("child", "first child in a state", "session", "session deleted", "close", "targets", "clinician")


def test_no_late_record_changes_a_released_quarter(
    served: Program,
    national: Organization,
    funder: Organization,
    cac: Organization,
    clinician: User,
    program_admin: User,
    funder_viewer: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once the quarters are released, any record written later and dated inside them (a child, a first child in a
    state released as 0, a session, a session deleted, an episode closed, a clinician placed) or a change of the
    targets leaves every figure the funder and the public read of those quarters as it was, byte for byte; the PDF's
    text too."""
    from haven.care import services as care
    from haven.care.models import Episode, EpisodeStatus, Session
    from haven.programs.services import program_save
    from haven.training.models import Cohort

    kentucky = CacFactory(name="Boone County CAC", parent__parent=national, parent__name="Kentucky", parent__state="KY")
    kay = make_member(Role.CLINICIAN, kentucky, full_name="Kay Kentucky")
    cohort = Cohort.objects.in_org(national).get(program=served)
    enroll(program=served, cac=kentucky, clinician=kay, actor=program_admin, cohort=cohort)
    client = signed_in(funder_viewer)
    documents = keep_documents(monkeypatch)
    client.get(_export("pdf"))
    pdf_text = layout_texts(documents[-1])
    before = _published(client, served)
    last = tables.last_closed_quarter(served, timezone.now().date())
    assert last is not None
    quarters = program_quarters(served, last)
    states = dict(client.get(FUNDER).context["report"].table("states").rows)
    assert states["KY"][2] == 0
    numbers = iter(range(10_000))

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        writes=st.lists(
            st.tuples(st.sampled_from(LATE_WRITES), st.sampled_from(quarters), st.integers(5, 80)),
            min_size=1,
            max_size=3,
        )
    )
    def late(writes: list[tuple[str, date, int]]) -> None:
        for kind, quarter, days in writes:
            day = quarter + timedelta(days=days)
            episodes = Episode.objects.in_orgs([cac, kentucky]).filter(program=served)
            if kind in ("child", "first child in a state"):
                where, who = (cac, clinician) if kind == "child" else (kentucky, kay)
                treat(
                    cac=where,
                    program=served,
                    clinician=who,
                    case_number=f"LATE-{next(numbers)}",
                    referred_on=day - timedelta(days=5),
                    sessions=[day],
                    caregiver_last=True,
                )
            elif kind == "session":
                episode = episodes.filter(status=EpisodeStatus.OPEN, referred_on__lte=day).order_by("pk").first()
                if episode is not None:
                    care.session_record(
                        actor=episode.clinician,
                        episode=episode,
                        held_on=day,
                        minutes=50,
                        kind="caregiver",
                        components=["p"],
                        caregiver_present=True,
                        modality="in_person",
                    )
            elif kind == "session deleted":
                session = Session.objects.in_orgs([cac, kentucky]).filter(episode__program=served).last()
                if session is not None:
                    care.session_delete(actor=session.episode.clinician, session=session)
            elif kind == "close":
                episode = episodes.filter(status=EpisodeStatus.OPEN, last_session_on__lte=day).first()
                if episode is not None:
                    care.episode_close(
                        actor=episode.clinician,
                        episode=episode,
                        status=EpisodeStatus.ENDED,
                        closed_on=day,
                        reason="stopped_attending",
                    )
            elif kind == "targets":
                program_save(
                    actor=program_admin,
                    organization=national,
                    program=served,
                    name=served.name,
                    description=served.description,
                    starts_on=served.starts_on,
                    ends_on=served.ends_on,
                    funders=[funder],
                    targets={"children_served": 100 + days, "clinicians_trained": days},
                )
            else:
                newcomer = make_member(Role.CLINICIAN, kentucky, full_name=f"Newcomer {next(numbers)}")
                enroll(program=served, cac=kentucky, clinician=newcomer, actor=program_admin, cohort=cohort)
        assert _published(client, served) == before

    late()
    client.get(_export("pdf"))
    assert layout_texts(documents[-1]) == pdf_text


def test_quarters_released_before_clinicians_were_exact_show_them_exactly(
    served: Program, program_admin: User, national: Organization, signed_in: Callable[[User], Client]
) -> None:
    """A database whose quarters were released when clinicians' counts were protected like children's (2 placed:
    "<11") and without their targets: the migration marks those cells exact and releases today's targets with them;
    the children's cells keep their status."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from haven.programs.models import ProgramTarget
    from haven.reporting.models import ReleasedQuarter

    migration = import_module("haven.reporting.migrations.0005_release_exact_cells")
    client = signed_in(program_admin)
    client.get(FUNDER)
    rows = ReleasedQuarter.objects.of_program(served)
    now = {row.pk: row.cells for row in rows}
    for row in rows:
        row.cells = [[key, n, "s" if status == "e" else status] for key, n, status in row.cells]
        row.save(update_fields=["cells"])
    assert _report_of(client).table("workforce").rows[0][1][0] == SUPPRESSED
    ProgramTarget.objects.create(organization=national, program=served, metric="children_served", value=700)

    state = MigrationExecutor(connection).loader.project_state(("reporting", "0005_release_exact_cells"))
    migration.mark_exact(state.apps, None)

    report = _report_of(client)
    assert report.table("workforce").rows[0][1][0] == 2
    assert _targets(report)["Children served"] != SUPPRESSED
    assert report.table("targets").rows[2][1][0] == 700
    for row in ReleasedQuarter.objects.of_program(served):
        assert row.cells == [*now[row.pk], [["target", "children_served"], 700, "e"]]
