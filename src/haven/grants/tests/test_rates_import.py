"""Importing the ECB's rates: the service (every format, idempotent, audited), the command and the program admin's
page (upload, errors on the form, coverage, the rate on a day)."""

import io
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.grants import ecb, selectors, services
from haven.grants.models import EuroRate
from haven.organizations.models import Organization
from haven.organizations.roles import Role

DATA = Path(__file__).parent / "data"
URL = "/grants/rates/"


def _import(name: str, actor: User | None = None) -> services.RatesImported:
    with (DATA / name).open("rb") as file:
        return services.rates_import(actor=actor, file=file)


def _held() -> dict[tuple[str, date], Decimal]:
    return {(c, on): rate for c, on, rate in EuroRate.objects.values_list("currency", "on", "rate")}


@pytest.mark.django_db
def test_the_history_is_stored_once_per_currency_and_day_without_na(program_admin: User) -> None:
    result = _import("eurofxref-hist.csv", program_admin)
    assert (result.days, result.first, result.last) == (14, date(2025, 4, 14), date(2025, 5, 6))
    assert result.currencies == ("CHF", "GBP", "JPY", "USD")
    assert (result.created, result.changed, result.unchanged) == (55, 0, 0)  # JPY is N/A one day
    held = _held()
    assert len(held) == 55
    assert held[("USD", date(2025, 4, 17))] == Decimal("1.1355")
    assert ("JPY", date(2025, 5, 2)) not in held
    assert not EuroRate.objects.filter(currency__in=["CYP", "RUB"]).exists()
    entry = AuditEntry.objects.dangerously_unscoped().get(action="rates.import")
    assert entry.actor_id == program_admin.pk
    assert entry.detail == {
        "days": 14,
        "first": "2025-04-14",
        "last": "2025-05-06",
        "currencies": 4,
        "create": 55,
        "changed": 0,
        "unchanged": 0,
    }


@pytest.mark.django_db
def test_importing_again_changes_nothing_and_the_zip_is_the_same_file(program_admin: User) -> None:
    _import("eurofxref-hist.csv", program_admin)
    before = _held()
    again = _import("eurofxref-hist.zip", program_admin)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 55)
    assert _held() == before


@pytest.mark.django_db
def test_a_corrected_rate_replaces_the_one_held(program_admin: User) -> None:
    _import("eurofxref-hist.csv", program_admin)
    corrected = services.rates_import(actor=program_admin, file=io.BytesIO(b"Date,USD,\n2025-04-17,1.1356,\n"))
    assert (corrected.created, corrected.changed, corrected.unchanged) == (0, 1, 0)
    assert _held()[("USD", date(2025, 4, 17))] == Decimal("1.1356")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["eurofxref.csv", "eurofxref.zip", "eurofxref-daily.xml"])
def test_the_days_file_in_each_format_stores_its_30_currencies(name: str, program_admin: User) -> None:
    result = _import(name, program_admin)
    assert (result.days, result.created) == (1, 30)
    assert _held()[("USD", date(2025, 11, 28))] == Decimal("1.1590")
    assert _held()[("KRW", date(2025, 11, 28))] == Decimal("1702.88")


@pytest.mark.django_db
def test_a_file_that_is_not_the_ecbs_writes_nothing(program_admin: User) -> None:
    with pytest.raises(ValidationError, match="not a date"):
        services.rates_import(actor=program_admin, file=io.BytesIO(b"Date,USD,\n2025-04-17,1.1,\nyesterday,1.2,\n"))
    with pytest.raises(ValidationError, match="no rate of a currency Haven knows"):
        services.rates_import(actor=program_admin, file=io.BytesIO(b"Date,XAU,\n2025-04-17,3500.1,\n"))
    assert not EuroRate.objects.exists()
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="rates.import").exists()


@pytest.mark.django_db
def test_the_command_imports_any_format_and_the_log_names_it() -> None:
    out = io.StringIO()
    call_command("rates_import", str(DATA / "eurofxref-hist.zip"), stdout=out)
    assert "14 days from 2025-04-14 to 2025-05-06, 4 currencies: 55 rates new" in out.getvalue()
    call_command("rates_import", str(DATA / "eurofxref-daily.xml"), stdout=out)
    assert EuroRate.objects.count() == 85
    entries = list(AuditEntry.objects.dangerously_unscoped().filter(action="rates.import").order_by("seq"))
    assert [(entry.actor_id, entry.detail["via"]) for entry in entries] == [(None, "command:rates_import")] * 2


@pytest.mark.django_db
def test_the_command_refuses_a_bad_file_with_its_reason(tmp_path: Path) -> None:
    bad = tmp_path / "rates.csv"
    bad.write_bytes(b"Date,USD,\n2025-04-17,-1,\n")
    with pytest.raises(CommandError, match="positive decimal"):
        call_command("rates_import", str(bad))
    with pytest.raises(CommandError, match="missing.csv"):
        call_command("rates_import", str(tmp_path / "missing.csv"))
    assert not EuroRate.objects.exists()


@pytest.mark.django_db
def test_coverage_counts_working_days_without_a_rate_but_not_closing_days() -> None:
    first, last = date(2025, 4, 14), date(2025, 5, 6)
    missing = date(2025, 4, 29)
    EuroRate.objects.bulk_create(
        EuroRate(currency="USD", on=day, rate=Decimal("1.1")) for day in ecb.working_days(first, last) if day != missing
    )
    (usd,) = selectors.rate_coverage(["USD"], today=date(2025, 5, 9))
    assert (usd.first, usd.last, usd.days) == (first, last, 13)
    assert usd.gaps == [missing]  # Good Friday, Easter Monday, 1 May and the weekends are not missing
    assert usd.behind == 2  # 7 and 8 May
    assert usd.latest == Decimal("1.1000")


# -- The page -----------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(program_admin: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(program_admin)


def _upload(name: str, content: bytes) -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, content)}


@pytest.mark.django_db
def test_the_page_imports_an_upload_and_shows_the_latest_rate_and_coverage(admin_client: Client) -> None:
    assert reverse("grants:rates") == URL
    page = admin_client.get(URL)
    assert page.status_code == 200
    assert "No rate held" in page.content.decode()
    assert f'href="{URL}"' in page.content.decode()  # the menu's "Exchange rates"
    response = admin_client.post(URL, _upload("eurofxref-hist.zip", (DATA / "eurofxref-hist.zip").read_bytes()))
    assert response.status_code == 302
    assert EuroRate.objects.count() == 55
    shown = admin_client.get(URL).content.decode()
    assert "14 days of rates read, from 2025-04-14 to 2025-05-06: 55 rates new" in shown
    assert "1.1348" in shown  # the latest USD rate, of 6 May
    assert "May 6, 2025" in shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rates.csv", b"Date,USD,\n2025-04-17,1.1,\n2025-04-17,1.2,\n", "twice"),
        ("rates.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "document type"),
        ("rates.zip", b"PK\x03\x04 not really a zip", "cannot be read"),
        ("rates.pdf", b"%PDF-1.7", "as the ECB publishes it"),
    ],
)
def test_a_bad_upload_is_an_error_on_the_form_never_a_500(
    admin_client: Client, name: str, content: bytes, message: str
) -> None:
    response = admin_client.post(URL, _upload(name, content))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not EuroRate.objects.exists()


@pytest.mark.django_db
def test_a_zip_bomb_upload_is_refused_on_the_form(admin_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecb, "MAX_BYTES", 2**20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eurofxref-hist.csv", b"Date,USD,\n" + b"0" * (4 * 2**20))
    response = admin_client.post(URL, _upload("eurofxref-hist.zip", buffer.getvalue()))
    assert response.status_code == 400
    assert "more than 1 MB" in response.content.decode()


@pytest.mark.django_db
def test_the_rate_on_good_friday_is_thursdays_and_the_page_says_so(admin_client: Client, program_admin: User) -> None:
    _import("eurofxref-hist.csv", program_admin)
    page = admin_client.get(URL, {"currency": "USD", "day": "2025-04-18"}).content.decode()
    assert "1 EUR = 1.1355 USD" in page
    assert "Thursday April 17, 2025" in page
    assert "TARGET is closed (Good Friday)" in page
    before = admin_client.get(URL, {"currency": "USD", "day": "2025-04-13"}).content.decode()
    assert "No USD rate is held on or before April 13, 2025" in before


@pytest.mark.django_db
def test_the_page_is_in_french(admin_client: Client, program_admin: User) -> None:
    _import("eurofxref-hist.csv", program_admin)
    admin_client.cookies.load({"django_language": "fr"})
    page = admin_client.get(URL, {"currency": "USD", "day": "2025-04-18"}, headers={"accept-language": "fr"})
    text = page.content.decode()
    assert "Taux de change" in text
    assert "1 EUR = 1,1355 USD" in text
    assert "Vendredi saint" in text


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.FUNDER_VIEWER])
def test_only_program_admins_import(
    role: str,
    cac: Organization,
    funder: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    member = make_member(role, funder if role == Role.FUNDER_VIEWER else cac)
    client = signed_in(member)
    response = client.post(URL, _upload("eurofxref.csv", (DATA / "eurofxref.csv").read_bytes()))
    assert response.status_code in (403, 404)
    assert not EuroRate.objects.exists()
    assert f'href="{URL}"' not in client.get("/").content.decode()


def test_dates_of_the_samples_are_what_their_names_say() -> None:
    """The sample history has no row on the TARGET closing days it spans, and a row on each working day."""
    with (DATA / "eurofxref-hist.csv").open("rb") as file:
        days = [fixing.on for fixing in ecb.read(file)]
    assert days == list(ecb.working_days(days[0], days[-1]))
    assert days[-1] - days[0] == timedelta(days=22)
