"""Bulk import: dry run, confirm in one transaction, idempotence, BOM and accents, XLSX, one audit event."""

import html
import io
import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.core import tabular
from haven.core.tabular import MAX_ROWS
from haven.core.tests import uploads
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training import imports, services
from haven.training.models import Enrollment, Milestone, Placement


@pytest.fixture
def setup(national: Organization, cac: Organization, provider: Organization, make_member: Callable[..., User]):
    admin = make_member(Role.PROGRAM_ADMIN, national)
    trainer = make_member(Role.TRAINER, provider)
    program = Program.objects.create(organization=national, name="P", starts_on="2025-01-01", ends_on="2028-01-01")
    cohort = services.cohort_save(
        actor=admin,
        program=program,
        cohort=None,
        trainers=[trainer],
        name="Collaboratif Montréal",
        region="Northeast",
        states=["NY"],
        modality="virtual",
        capacity=2,
        call_schedule="monthly",
        starts_on=date(2025, 3, 1),
        ends_on=date(2026, 3, 1),
        live_training_on=date(2025, 3, 3),
    )
    clinicians = [make_member(Role.CLINICIAN, cac, email=f"élodie.{i}@example.org") for i in range(3)]
    return admin, program, cohort, clinicians


def _csv(lines: list[str]) -> bytes:
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _upload(client: Client, kind: str, name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post("/training/import/", {"kind": kind, "file": upload})


def _payload(page: str) -> str:
    return re.search(r'name="payload" value="([^"]+)"', page).group(1)


def test_a_roster_is_checked_then_applied_once(setup, signed_in: Callable[[User], Client]) -> None:
    admin, program, cohort, clinicians = setup
    client = signed_in(admin)
    rows = ["email,cohort,degree,license_state,license_status"] + [
        f"{c.email},collaboratif montréal,masters,oh,permanent" for c in clinicians
    ]
    response = _upload(client, "roster", "roster.csv", _csv(rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "3 rows read" in page
    assert "Waitlisted: the cohort is full." in page
    assert not Enrollment.objects.dangerously_unscoped().exists()  # the dry run wrote nothing

    response = client.post("/training/import/confirm/", {"payload": _payload(page)})
    assert response.status_code == 302
    cac_id = Enrollment.objects.dangerously_unscoped().values_list("organization_id", flat=True).first()
    placements = sorted(Enrollment.objects.in_org(cac_id).values_list("placement", flat=True))
    assert placements == [Placement.ENROLLED, Placement.ENROLLED, Placement.WAITLISTED]
    entries = AuditEntry.objects.in_org(program.organization_id).filter(action="import.apply")
    assert [e.detail["create"] for e in entries] == [3]

    # The same file again: every row unchanged, nothing written but the audit event.
    page = _upload(client, "roster", "roster.csv", _csv(rows)).content.decode()
    assert page.count(">unchanged<") == 3
    client.post("/training/import/confirm/", {"payload": _payload(page)})
    assert Enrollment.objects.in_org(cac_id).count() == 3
    assert [e.detail["unchanged"] for e in entries.order_by("seq")] == [0, 3]


def test_a_file_with_errors_imports_nothing(setup, signed_in: Callable[[User], Client]) -> None:
    admin, _program, _cohort, clinicians = setup
    rows = [
        "email,cohort,degree,license_state,license_status",
        f"{clinicians[0].email},Collaboratif Montréal,masters,OH,permanent",
        "stranger@example.org,Collaboratif Montréal,masters,OH,permanent",
        f"{clinicians[1].email},No Such Cohort,masters,OH,permanent",
        f"{clinicians[2].email},Collaboratif Montréal,bachelor,OH,permanent",
    ]
    page = _upload(signed_in(admin), "roster", "roster.csv", _csv(rows)).content.decode()
    assert "No active clinician with this e-mail in your organizations." in page
    assert "No cohort of this program has that name." in page
    assert "Degree must be one of: masters, doctorate, other." in page
    assert 'name="payload"' not in page
    assert not Enrollment.objects.dangerously_unscoped().exists()


def test_course_completions_from_xlsx(setup, signed_in: Callable[[User], Client]) -> None:
    admin, program, cohort, clinicians = setup
    for clinician in clinicians[:2]:
        cac = Organization.objects.get(membership__user=clinician)
        enrollment = services.enrollment_nominate(
            actor=admin,
            cac=cac,
            program=program,
            clinician=clinician,
            degree="masters",
            license_state="OH",
            license_status="permanent",
        )
        services.enrollment_place(actor=admin, enrollment=enrollment, cohort=cohort)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Completed_on"])
    sheet.append([clinicians[0].email, date(2025, 2, 10)])
    sheet.append([clinicians[1].email, "2025-02-11"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = signed_in(admin)
    page = _upload(client, "course", "courses.xlsx", buffer.getvalue()).content.decode()
    assert page.count(">create<") == 2
    client.post("/training/import/confirm/", {"payload": _payload(page)})
    days = sorted(Milestone.objects.dangerously_unscoped().values_list("achieved_on", flat=True))
    assert days == [date(2025, 2, 10), date(2025, 2, 11)]


def _enroll_first(setup, count: int) -> None:
    admin, program, cohort, clinicians = setup
    for clinician in clinicians[:count]:
        cac = Organization.objects.get(membership__user=clinician)
        enrollment = services.enrollment_nominate(
            actor=admin,
            cac=cac,
            program=program,
            clinician=clinician,
            degree="masters",
            license_state="OH",
            license_status="permanent",
        )
        services.enrollment_place(actor=admin, enrollment=enrollment, cohort=cohort)


def _completed_on() -> list[date]:
    return sorted(Milestone.objects.dangerously_unscoped().values_list("achieved_on", flat=True))


def test_course_completions_in_excels_us_default_and_as_serial_numbers(
    setup, signed_in: Callable[[User], Client]
) -> None:
    admin, _program, _cohort, clinicians = setup
    _enroll_first(setup, 3)
    rows = [
        "email,completed_on",
        f"{clinicians[0].email},11/22/2025",  # Excel's US default: month/day/year
        f"{clinicians[1].email},3/4/25",  # read month first too, as the file's other date says
        f"{clinicians[2].email},45678",  # an XLSX serial number: 2025-01-21
    ]
    client = signed_in(admin)
    page = _upload(client, "course", "courses.csv", _csv(rows)).content.decode()
    assert page.count(">create<") == 3
    assert client.post("/training/import/confirm/", {"payload": _payload(page)}).status_code == 302
    assert _completed_on() == [date(2025, 1, 21), date(2025, 3, 4), date(2025, 11, 22)]


def test_course_dates_that_read_two_ways_are_asked_about_then_read_as_chosen(
    setup, signed_in: Callable[[User], Client]
) -> None:
    admin, _program, _cohort, clinicians = setup
    _enroll_first(setup, 2)
    rows = ["email,completed_on", f"{clinicians[0].email},04/03/2025", f"{clinicians[1].email},05/05/2025"]
    client = signed_in(admin)
    page = html.unescape(_upload(client, "course", "courses.csv", _csv(rows)).content.decode())
    # 04/03/2025 is 3 April or 4 March: its line is named; 05/05/2025 reads the same either way.
    assert "“04/03/2025” could be April 3, 2025 or March 4, 2025: say how this file writes its dates." in page
    assert "The date on line 2 reads as two different days" in page
    assert 'action="/training/import/confirm/"' not in page

    page = client.post("/training/import/", {"payload": _payload(page), "date_order": "day_first"}).content.decode()
    assert page.count(">create<") == 2
    assert client.post("/training/import/confirm/", {"payload": _payload(page)}).status_code == 302
    assert _completed_on() == [date(2025, 3, 4), date(2025, 5, 5)]


def test_an_altered_confirmation_is_refused(setup, signed_in: Callable[[User], Client]) -> None:
    admin, *_ = setup
    response = signed_in(admin).post("/training/import/confirm/", {"payload": "forged"}, follow=True)
    assert "This import expired or was altered." in response.content.decode()
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="import.apply").exists()


def test_a_clinician_of_two_cacs_is_not_matched_by_e_mail(
    setup, other_cac: Organization, signed_in: Callable[[User], Client]
) -> None:
    admin, _program, _cohort, clinicians = setup
    Membership.objects.create(user=clinicians[0], organization=other_cac, role=Role.CLINICIAN)
    rows = [
        "email,cohort,degree,license_state,license_status",
        f"{clinicians[0].email},Collaboratif Montréal,masters,OH,permanent",
    ]
    page = _upload(signed_in(admin), "roster", "roster.csv", _csv(rows)).content.decode()
    assert "No active clinician with this e-mail in your organizations." in page


# Files that are malformed or hostile: the form again with a message, and nothing written --------------------------

MALFORMED = {
    "a NUL byte": (
        "courses.csv",
        b"email,completed_on\r\nbad\x00@example.org,2025-01-15\r\n",
        "Row 2 holds a NUL character: this is not a text file. Save it as CSV UTF-8.",
    ),
    "an unclosed quote": (
        "courses.csv",
        b'email,completed_on\r\n"a@example.org,2025-01-15\r\nb@example.org,2025-01-16\r\n',
        "Row 2: a quotation mark opens a cell that is not closed properly.",
    ),
    "a field over the csv module's limit": (
        "courses.csv",
        b"email,completed_on\r\n" + b"x" * 131_073 + b",2025-01-15\r\n",
        "Row 2 holds more than 100,000 characters (is a quotation mark left open?).",
    ),
    "a header of 16,384 columns": (
        "courses.csv",
        ",".join("x" * 16_384).encode() + b"\r\n",
        "Row 1 has a value in column XFD: Haven reads at most 200 columns (A to GR).",
    ),
    "a zip bomb": (
        "courses.xlsx",
        uploads.inflating_part("xl/worksheets/sheet1.xml", 64 * 2**20),
        "The workbook's part xl/worksheets/sheet1.xml would inflate to 64 MB (",
    ),
    "a broken workbook": ("courses.xlsx", b"PK\x03\x04" + bytes(100), "The file is not a readable XLSX workbook."),
    "an empty file": ("courses.csv", b"", "The submitted file is empty."),
    "a blank file": ("courses.csv", b"\r\n , \r\n", "The file has no header row."),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_file_shows_the_form_again_with_its_message_and_writes_nothing(
    case: str, setup, signed_in: Callable[[User], Client]
) -> None:
    admin, *_ = setup
    name, content, message = MALFORMED[case]
    client = signed_in(admin)
    before = uploads.row_counts()
    response = _upload(client, "course", name, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert html.escape(message) in page
    assert 'type="file" name="file"' in page
    assert 'name="payload"' not in page
    assert uploads.row_counts() == before


def test_cr_line_endings_and_windows_1252_accents_import(setup, signed_in: Callable[[User], Client]) -> None:
    admin, program, cohort, clinicians = setup
    _place(admin, program, cohort, clinicians[:2])
    lines = ["Email,Completed_on", f"{clinicians[0].email},2025-02-10", f"{clinicians[1].email},2025-02-11"]
    client = signed_in(admin)
    page = _upload(client, "course", "courses.csv", ("\r".join(lines) + "\r").encode("cp1252")).content.decode()
    assert page.count(">create<") == 2
    client.post("/training/import/confirm/", {"payload": _payload(page)})
    days = sorted(Milestone.objects.dangerously_unscoped().values_list("achieved_on", flat=True))
    assert days == [date(2025, 2, 10), date(2025, 2, 11)]


def test_a_dimension_bomb_is_checked_as_the_rows_it_holds(setup, signed_in: Callable[[User], Client]) -> None:
    admin, *_ = setup
    client = signed_in(admin)
    before = uploads.row_counts()
    page = _upload(client, "course", "courses.xlsx", uploads.dimension_bomb(5_000)).content.decode()
    assert "5,000 rows read" not in page
    assert "4,999 rows read" in page or "4999 rows read" in page
    assert page.count("No active clinician with this e-mail in your organizations.") == 1
    assert page.count("This e-mail appears twice in the file.") == 4_998
    assert uploads.row_counts() == before


def test_a_file_over_the_upload_limit_is_named_as_such(setup, signed_in: Callable[[User], Client]) -> None:
    admin, *_ = setup
    client = signed_in(admin)
    before = uploads.row_counts()
    content = b"email,completed_on\r\n" + b"a@example.org,2025-01-15\r\n" * (21 * 2**20 // 26)
    page = _upload(client, "course", "courses.csv", content).content.decode()
    assert "Choose a CSV or XLSX file of at most 20 MB." in page
    assert uploads.row_counts() == before


def test_a_tampered_or_oversized_confirmation_writes_nothing(setup, signed_in: Callable[[User], Client]) -> None:
    admin, program, cohort, clinicians = setup
    _place(admin, program, cohort, clinicians[:1])
    client = signed_in(admin)
    page = _upload(client, "course", "courses.csv", _csv(["email,completed_on", f"{clinicians[0].email},2025-02-10"]))
    payload = _payload(page.content.decode())
    before = uploads.row_counts()
    tampered = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    response = client.post("/training/import/confirm/", {"payload": tampered}, follow=True)
    assert "This import expired or was altered. Upload the file again." in response.content.decode()
    response = client.post("/training/import/confirm/", {"payload": payload + "x" * (26 * 2**20)})
    assert response.status_code == 400
    assert uploads.row_counts() == before


def test_a_confirmation_that_fails_now_writes_nothing(setup, signed_in: Callable[[User], Client]) -> None:
    admin, program, cohort, clinicians = setup
    _place(admin, program, cohort, clinicians[:2])
    client = signed_in(admin)
    rows = ["email,completed_on", f"{clinicians[0].email},2025-02-10", f"{clinicians[1].email},2025-02-11"]
    payload = _payload(_upload(client, "course", "courses.csv", _csv(rows)).content.decode())
    clinicians[1].is_active = False
    clinicians[1].save(update_fields=["is_active"])
    before = uploads.row_counts()
    response = client.post("/training/import/confirm/", {"payload": payload})
    assert response.status_code == 400
    assert "No active clinician with this e-mail in your organizations." in response.content.decode()
    assert uploads.row_counts() == before


def test_no_file_gives_a_server_error_or_writes_anything(setup, signed_in: Callable[[User], Client]) -> None:
    """Fuzzed: malformed bytes, CSV and XLSX, and tables with the import's columns holding odd values."""
    admin, program, cohort, clinicians = setup
    _place(admin, program, cohort, clinicians[:2])
    client = signed_in(admin)
    before = uploads.row_counts()
    emails = [c.email.upper() for c in clinicians] + ["stranger@example.org", "", "x" * 300]
    days = ["2025-02-10", "2025-02-10T09:30", "2999-01-01", "1E400", "nan", "", "2025-13-45"]
    files = st.one_of(uploads.import_files({"email": emails, "completed_on": days}), uploads.any_files())

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(files, st.sampled_from(["course", "roster"]))
    def upload_changes_nothing(file: tuple[str, bytes], kind: str) -> None:
        response = _upload(client, kind, *file)
        assert response.status_code == 200
        assert uploads.row_counts() == before

    upload_changes_nothing()


def _place(admin: User, program: Program, cohort, clinicians: list[User]) -> None:
    for clinician in clinicians:
        cac = Organization.objects.get(membership__user=clinician)
        enrollment = services.enrollment_nominate(
            actor=admin,
            cac=cac,
            program=program,
            clinician=clinician,
            degree="masters",
            license_state="OH",
            license_status="permanent",
        )
        services.enrollment_place(actor=admin, enrollment=enrollment, cohort=cohort)


def _long_emails() -> bytes:
    """As many rows of 9,000-character e-mails as the reader holds: the most text a plan can be given."""
    return b"email,completed_on\r\n" + b"".join(
        b"x" * 9_000 + b"%d@example.org,2025-01-15\r\n" % n for n in range(20 * 2**20 // 9_040)
    )


HOSTILE = {
    "a dimension bomb": lambda: uploads.dimension_bomb(10_000),
    "50,000 narrow rows": lambda: (
        b"email,completed_on\r\n" + b"".join(b"someone.%d@example.org,2025-01-15\r\n" % n for n in range(MAX_ROWS))
    ),
    "20 MB of long e-mails": _long_emails,
    "a 20 MB field": lambda: b'email,completed_on\r\n"' + b"x" * 20 * 2**20 + b'"\r\n',
}


@pytest.mark.parametrize("case", HOSTILE)
def test_reading_and_planning_a_hostile_file_stays_within_100_mb(case: str, setup) -> None:
    admin, program, *_ = setup
    content = HOSTILE[case]()
    membership = Membership.objects.of_user(admin).get()

    def dry_run() -> imports.ImportPlan:
        rows = imports.rows_of(tabular.read_table(io.BytesIO(content)), "course")
        return imports.plan(membership=membership, program=program, kind="course", rows=rows, actor=admin)

    plan, peak = uploads.peak_of(dry_run)
    assert peak < uploads.PEAK
    assert isinstance(plan, str) or plan.has_errors
