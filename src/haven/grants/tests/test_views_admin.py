"""The program admin's money pages, through HTTP: the figures they show come from the ledger, and every form refuses
what the books would not hold (a budget that does not add up, a grant beyond its fund's room, a receipt beyond the
pledge), with its errors on the form."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.core.money import Money
from haven.grants import selectors, services
from haven.grants.models import BudgetCategory, BudgetLine, Fund, Grant, GrantStatus, MoneyRules, Receipt
from haven.organizations.models import Organization

pytestmark = pytest.mark.django_db


def _grant(fund: Fund, grantee: Organization, actor: User, dollars: str, purpose: str = "Train clinicians") -> Grant:
    amount = Money.of(dollars, "USD")
    return services.grant_save(
        actor=actor,
        fund=fund,
        grant=None,
        grantee=grantee,
        purpose=purpose,
        amount=amount,
        starts_on=fund.starts_on,
        ends_on=fund.ends_on,
        budget={BudgetCategory.PERSONNEL: amount},
    )


def _weekday(fund: Fund, days: int) -> date:
    day = fund.starts_on + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def admin_client(program_admin: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(program_admin)


def _grant_form(fund: Fund, grantee: Organization, amount: str, **budget: str) -> dict[str, Any]:
    data = {
        "fund": fund.pk,
        "grantee": grantee.pk,
        "purpose": "Train twenty clinicians",
        "currency": "USD",
        "amount": amount,
        "starts_on": fund.starts_on.isoformat(),
        "ends_on": fund.ends_on.isoformat(),
    }
    data.update({f"budget_{category}": value for category, value in budget.items()})
    return data


def test_the_home_page_shows_each_funds_position_from_the_ledger(
    admin_client: Client, fund: Fund, chapter: Organization, program_admin: User
) -> None:
    services.receipt_record(
        actor=program_admin,
        fund=fund,
        received_on=_weekday(fund, 10),
        sent=Money.of("400000", "EUR"),
        arrived=Money.of("434000", "USD"),
    )
    grant = _grant(fund, chapter, program_admin, "108500")
    services.grant_approve(actor=program_admin, grant=grant, on=_weekday(fund, 14))

    page = admin_client.get(reverse("grants:home")).content.decode()

    assert "€1,000,000.00" in page  # pledged
    assert "€400,000.00" in page  # received
    assert "€100,000.00" in page  # committed: 108,500 dollars at 1.085 dollars a euro
    assert "€900,000.00" in page  # available
    assert "Train clinicians" in page and "$108,500.00" in page and chapter.name in page


def test_the_grants_are_filtered_by_status(
    admin_client: Client, fund: Fund, chapter: Organization, cac: Organization, program_admin: User
) -> None:
    approved = _grant(fund, chapter, program_admin, "1000", purpose="Approved purpose")
    services.grant_approve(actor=program_admin, grant=approved, on=_weekday(fund, 14))
    _grant(fund, cac, program_admin, "2000", purpose="Draft purpose")

    drafts = admin_client.get(reverse("grants:home"), {"status": "draft"}).content.decode()
    everything = admin_client.get(reverse("grants:home")).content.decode()

    assert "Draft purpose" in drafts and "Approved purpose" not in drafts
    assert "Draft purpose" in everything and "Approved purpose" in everything


def test_the_home_page_reads_in_a_fixed_number_of_queries(
    admin_client: Client,
    fund: Fund,
    chapter: Organization,
    program_admin: User,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(12):
        _grant(fund, chapter, program_admin, f"{1000 + n}", purpose=f"Grant {n}")
    with django_assert_max_num_queries(14):
        assert admin_client.get(reverse("grants:home")).status_code == 200


def test_a_fund_is_created_with_its_pledge(admin_client: Client, program, funder: Organization) -> None:
    response = admin_client.post(
        reverse("grants:fund_create"),
        {
            "name": "Second fund",
            "funder": funder.pk,
            "currency": "EUR",
            "amount": "250000.50",
            "starts_on": "2025-01-01",
            "ends_on": "2026-12-31",
        },
    )
    fund = Fund.objects.of_program(program).get(name="Second fund")
    assert response.status_code == 302 and response.url == reverse("grants:fund", args=[fund.pk])
    assert (fund.currency, fund.amount_minor) == ("EUR", 25_000_050)
    (position,) = selectors.fund_positions([fund])
    assert position.available == Money.of("250000.50", "EUR")


def test_a_fund_that_ends_before_it_starts_is_refused_on_the_form(
    admin_client: Client, program, funder: Organization
) -> None:
    response = admin_client.post(
        reverse("grants:fund_create"),
        {
            "name": "Backwards",
            "funder": funder.pk,
            "currency": "EUR",
            "amount": "1000",
            "starts_on": "2026-01-01",
            "ends_on": "2025-01-01",
        },
    )
    assert response.status_code == 422
    assert "A fund ends after it starts." in response.content.decode()
    assert not Fund.objects.of_program(program).filter(name="Backwards").exists()


def test_a_receipt_is_recorded_in_both_currencies(admin_client: Client, fund: Fund) -> None:
    response = admin_client.post(
        reverse("grants:receipt_create", args=[fund.pk]),
        {"received_on": "2025-02-03", "sent": "200000", "arrived": "216900.00", "reference": "SEPA 42"},
    )
    assert response.status_code == 302
    receipt = Receipt.objects.in_org(fund.organization_id).get(fund=fund)
    assert (receipt.amount_minor, receipt.arrived_minor, receipt.arrived_currency) == (20_000_000, 21_690_000, "USD")
    page = admin_client.get(reverse("grants:fund", args=[fund.pk])).content.decode()
    assert "€200,000.00" in page and "$216,900.00" in page and "SEPA 42" in page


def test_a_receipt_beyond_what_the_funder_still_owes_is_refused(admin_client: Client, fund: Fund) -> None:
    response = admin_client.post(
        reverse("grants:receipt_create", args=[fund.pk]),
        {"received_on": "2025-02-03", "sent": "1000000.01", "arrived": "1085000.00"},
    )
    assert response.status_code == 422
    assert "left to send on this fund" in response.content.decode()
    assert not Receipt.objects.in_org(fund.organization_id).filter(fund=fund).exists()


def test_a_grant_is_drafted_with_its_budget(admin_client: Client, fund: Fund, cac: Organization) -> None:
    response = admin_client.post(
        reverse("grants:grant_create"),
        _grant_form(fund, cac, "50000", personnel="30000", fringe="9000", travel="1000.50", indirect="9999.50"),
    )
    grant = Grant.objects.in_org(cac).get()
    assert response.status_code == 302 and response.url == reverse("grants:grant", args=[grant.pk])
    assert (grant.status, grant.amount_minor, grant.currency) == (GrantStatus.DRAFT, 5_000_000, "USD")
    lines = dict(BudgetLine.objects.in_org(cac).filter(grant=grant).values_list("category", "amount_minor"))
    assert lines == {"personnel": 3_000_000, "fringe": 900_000, "travel": 100_050, "indirect": 999_950}


def test_a_budget_that_does_not_add_up_is_shown_on_the_form(
    admin_client: Client, fund: Fund, cac: Organization
) -> None:
    response = admin_client.post(
        reverse("grants:grant_create"),
        _grant_form(fund, cac, "50000", personnel="30000", fringe="9000"),
    )
    assert response.status_code == 422
    assert "The budget adds up to $39,000.00, not the grant&#x27;s $50,000.00" in response.content.decode()
    assert not Grant.objects.in_org(cac).exists()


def test_a_draft_beyond_the_funds_room_is_refused_on_the_form(
    admin_client: Client, fund: Fund, chapter: Organization, cac: Organization, program_admin: User
) -> None:
    first = _grant(fund, chapter, program_admin, "1000000")  # 921,658.99 euros
    services.grant_approve(actor=program_admin, grant=first, on=_weekday(fund, 14))
    response = admin_client.post(
        reverse("grants:grant_create"), _grant_form(fund, cac, "100000", personnel="100000")
    )  # 92,165.90 euros, more than the 78,341.01 left
    assert response.status_code == 422
    assert "the fund has €78,341.01 left to commit" in response.content.decode()
    assert not Grant.objects.in_org(cac).exists()


def test_an_approval_beyond_the_funds_room_is_refused_and_the_grant_stays_a_draft(
    admin_client: Client, fund: Fund, chapter: Organization, cac: Organization, program_admin: User
) -> None:
    day = _weekday(fund, 14)
    first, second = (_grant(fund, chapter, program_admin, "1000000"), _grant(fund, cac, program_admin, "100000"))
    services.grant_approve(actor=program_admin, grant=first, on=day)
    response = admin_client.post(reverse("grants:grant_approve", args=[second.pk]), {"on": day.isoformat()})
    assert response.status_code == 422
    assert "left to commit" in response.content.decode()
    second.refresh_from_db()
    assert second.status == GrantStatus.DRAFT
    (position,) = selectors.fund_positions([fund])
    assert position.committed == Money.of("921658.99", "EUR")


def test_a_grant_is_approved_started_and_closed_from_its_page(
    admin_client: Client, fund: Fund, chapter: Organization, program_admin: User
) -> None:
    grant = _grant(fund, chapter, program_admin, "108500")
    day = _weekday(fund, 14)

    assert (
        admin_client.post(reverse("grants:grant_approve", args=[grant.pk]), {"on": day.isoformat()}).status_code == 302
    )
    page = admin_client.get(reverse("grants:grant", args=[grant.pk])).content.decode()
    assert "€100,000.00" in page and "1 EUR = 1.0850 USD" in page

    assert admin_client.post(reverse("grants:grant_activate", args=[grant.pk])).status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE

    close = reverse("grants:grant_close", args=[grant.pk])
    asked = admin_client.post(close, {"on": (day + timedelta(days=30)).isoformat()})
    grant.refresh_from_db()
    assert asked.status_code == 200 and grant.status == GrantStatus.ACTIVE  # the button only asks
    done = admin_client.post(close, {"on": (day + timedelta(days=30)).isoformat(), "confirmed": "yes"})
    grant.refresh_from_db()
    assert done.status_code == 302 and grant.status == GrantStatus.CLOSED
    (position,) = selectors.fund_positions([fund])
    assert position.committed == Money.zero("EUR")


def test_an_approved_grant_cannot_be_changed(
    admin_client: Client, fund: Fund, chapter: Organization, program_admin: User
) -> None:
    grant = _grant(fund, chapter, program_admin, "1000")
    services.grant_approve(actor=program_admin, grant=grant, on=_weekday(fund, 14))
    response = admin_client.post(
        reverse("grants:grant_edit", args=[grant.pk]), _grant_form(fund, chapter, "2000", personnel="2000")
    )
    grant.refresh_from_db()
    assert response.status_code == 302 and grant.amount_minor == 100_000


def test_the_money_rules_are_saved_and_audited(admin_client: Client, program, program_admin: User) -> None:
    response = admin_client.post(
        reverse("grants:rules"), {"second_approval_above": "10000", "reminder_days": "7, 21,-2"}
    )
    assert response.status_code == 302
    rules = MoneyRules.objects.in_org(program.organization_id).get(program=program)
    assert (rules.second_approval_above_minor, rules.reminder_days) == (1_000_000, [21, 7, -2])
    event = AuditEntry.objects.in_org(program.organization_id).get(action="money.rules")
    assert event.actor_id == program_admin.pk


def test_reminder_days_that_are_not_numbers_are_refused(admin_client: Client, program) -> None:
    response = admin_client.post(reverse("grants:rules"), {"second_approval_above": "10000", "reminder_days": "soon"})
    assert response.status_code == 422
    assert "is not a whole number of days" in response.content.decode()
    assert not MoneyRules.objects.in_org(program.organization_id).exists()


def test_another_national_offices_admin_sees_none_of_it(
    fund: Fund,
    chapter: Organization,
    program_admin: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    from haven.organizations.roles import Role
    from haven.organizations.tests.factories import NationalOfficeFactory

    grant = _grant(fund, chapter, program_admin, "1000")
    stranger = signed_in(make_member(Role.PROGRAM_ADMIN, NationalOfficeFactory()))
    for url in (
        reverse("grants:fund", args=[fund.pk]),
        reverse("grants:grant", args=[grant.pk]),
        reverse("grants:grant_edit", args=[grant.pk]),
        reverse("grants:receipt_create", args=[fund.pk]),
    ):
        assert stranger.get(url).status_code == 404, url


def test_a_receipt_to_a_dollar_fund_arrives_as_it_was_sent(
    admin_client: Client, program, funder: Organization, program_admin: User
) -> None:
    fund = services.fund_create(
        actor=program_admin,
        program=program,
        funder=funder,
        name="Dollar fund",
        amount=Money.of("1000", "USD"),
        starts_on=program.starts_on,
        ends_on=program.ends_on,
    )
    response = admin_client.post(
        reverse("grants:receipt_create", args=[fund.pk]),
        {"received_on": "2025-02-03", "sent": "0.01", "arrived": "0.08"},
    )
    assert response.status_code == 422
    assert "the amount arrived is the amount sent" in response.content.decode()
    assert not Receipt.objects.in_org(fund.organization_id).filter(fund=fund).exists()


def test_an_amount_is_typed_as_a_french_reader_writes_it(admin_client: Client, fund: Fund, cac: Organization) -> None:
    from django.conf import settings

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = admin_client.post(
        reverse("grants:grant_create"), _grant_form(fund, cac, "1250,50", personnel="1000", other="250,50")
    )
    assert response.status_code == 302
    grant = Grant.objects.in_org(cac).get()
    assert grant.amount_minor == 125_050


def test_a_form_that_succeeds_goes_on_to_the_grants_page(admin_client: Client, fund: Fund, cac: Organization) -> None:
    response = admin_client.post(reverse("grants:grant_create"), _grant_form(fund, cac, "1000", personnel="1000"))
    grant = Grant.objects.in_org(cac).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:grant", args=[grant.pk])


def test_the_grants_are_paged_and_the_filter_is_kept_across_pages(
    admin_client: Client,
    fund: Fund,
    chapter: Organization,
    cac: Organization,
    program_admin: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two grants a page here (50 in use), with plain links to the other pages that keep the status filter."""
    from haven.grants import views

    monkeypatch.setattr(views, "GRANTS_PER_PAGE", 2)
    for n in range(3):
        _grant(fund, chapter, program_admin, f"{1000 + n}", purpose=f"Draft {n}")
    approved = _grant(fund, cac, program_admin, "5000", purpose="Approved one")
    services.grant_approve(actor=program_admin, grant=approved, on=_weekday(fund, 14))

    def purposes(page: str) -> list[str]:
        return [p for p in ("Draft 0", "Draft 1", "Draft 2", "Approved one") if p in page]

    first = admin_client.get(reverse("grants:home")).content.decode()
    second = admin_client.get(reverse("grants:home"), {"page": 2}).content.decode()
    assert len(purposes(first)) == 2 and len(purposes(second)) == 2
    assert set(purposes(first) + purposes(second)) == {"Draft 0", "Draft 1", "Draft 2", "Approved one"}
    drafts = admin_client.get(reverse("grants:home"), {"status": "draft"}).content.decode()
    assert purposes(drafts) == ["Draft 0", "Draft 1"]
    assert f'href="?program={fund.program_id}&amp;status=draft&amp;page=2#grants-heading"' in drafts
    drafts_after = admin_client.get(reverse("grants:home"), {"status": "draft", "page": 2}).content.decode()
    assert purposes(drafts_after) == ["Draft 2"]
