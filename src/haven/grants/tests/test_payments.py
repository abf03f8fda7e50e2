"""Payments: four eyes above the program's threshold, paid once, never beyond what the grant owes, converted at the
day's euro reference rate without creating or losing a cent, and the exchange gain or loss since the commitment."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.core.money import Money
from haven.grants import ledger, selectors, services
from haven.grants.models import EuroRate, LedgerLeg, Payment, PaymentStatus
from haven.grants.tests.payment_builders import approved_grant

THRESHOLD = Money.of("25000", "USD")  # the default money rules: a second person above $25,000


def _legs_balance(program) -> dict[str, int]:
    return ledger.imbalance(LedgerLeg.objects.in_org(program.organization).values_list("currency", "amount_minor"))


def _set_rate(day: date, usd_per_eur: str) -> None:
    EuroRate.objects.filter(currency="USD", on=day).update(rate=Decimal(usd_per_eur))


def test_above_the_threshold_its_creator_may_not_approve_a_payment_another_admin_may(
    fund, chapter, program_admin, second_admin
) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("25000.01", "USD"))
    assert payment.needs_second_approval

    with pytest.raises(ValidationError):
        services.payment_approve(actor=program_admin, payment=payment)
    payment.refresh_from_db()
    assert (payment.status, payment.approved_by) == (PaymentStatus.PROPOSED, None)

    services.payment_approve(actor=second_admin, payment=payment)
    payment.refresh_from_db()
    assert (payment.status, payment.approved_by) == (PaymentStatus.APPROVED, second_admin)


def test_at_or_below_the_threshold_its_creator_may_approve_a_payment(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=THRESHOLD)
    assert not payment.needs_second_approval
    services.payment_approve(actor=program_admin, payment=payment)
    payment.refresh_from_db()
    assert payment.approved_by == program_admin


def test_a_euro_payment_is_held_to_the_dollar_threshold_at_the_days_rate(fund, chapter, program_admin) -> None:
    """€23,100 is $25,063.50 at 1.0850: above the program's $25,000, so its creator may not approve it."""
    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "EUR"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("23100", "EUR"))
    assert payment.needs_second_approval
    below = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("23000", "EUR"))
    assert not below.needs_second_approval


def test_the_database_refuses_a_creator_approving_above_the_threshold(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("30000", "USD"))
    payment.status, payment.approved_by = PaymentStatus.APPROVED, program_admin
    with pytest.raises(IntegrityError), transaction.atomic():
        payment.save()


def test_only_a_program_admin_of_the_program_approves(fund, chapter, program_admin, make_member) -> None:
    from haven.organizations.roles import Role

    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("30000", "USD"))
    chapter_admin = make_member(Role.ORG_ADMIN, chapter)
    with pytest.raises(ValidationError):
        services.payment_approve(actor=chapter_admin, payment=payment)


def test_a_payment_is_never_more_than_the_grant_still_owes(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    waiting = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("600", "USD"))
    with pytest.raises(ValidationError):  # 600 waiting: 400 left
        services.payment_create(actor=program_admin, grant=grant, amount=Money.of("400.01", "USD"))
    services.payment_approve(actor=program_admin, payment=waiting)
    services.payment_pay(actor=program_admin, payment=waiting, on=fund.starts_on + timedelta(days=20))
    services.payment_create(actor=program_admin, grant=grant, amount=Money.of("400", "USD"))
    with pytest.raises(ValidationError):
        services.payment_create(actor=program_admin, grant=grant, amount=Money.of("0.01", "USD"))


def test_a_draft_grant_takes_no_payment(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"), approve=False)
    with pytest.raises(ValidationError):
        services.payment_create(actor=program_admin, grant=grant, amount=Money.of("10", "USD"))


def test_a_payment_is_paid_once_even_from_a_stale_copy(fund, chapter, program_admin) -> None:
    """Two requests hold the same approved payment: the first pays it, the second is refused (its status is read
    again under the row's lock), and the ledger has one payment."""
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("500", "USD"))
    services.payment_approve(actor=program_admin, payment=payment)
    first, second = (Payment.objects.in_org(chapter).get(pk=payment.pk) for _n in range(2))
    day = fund.starts_on + timedelta(days=20)

    services.payment_pay(actor=program_admin, payment=first, on=day)
    with pytest.raises(ValidationError):
        services.payment_pay(actor=program_admin, payment=second, on=day)
    with pytest.raises(ValidationError):
        services.payment_pay(actor=program_admin, payment=first, on=day)
    assert services.grant_owed(grant) == Money.of("500", "USD")
    with pytest.raises(ValidationError):  # nor cancelled once paid
        services.payment_cancel(actor=program_admin, payment=first)


def test_a_payment_keeps_its_days_rate_and_the_exchange_gain_since_the_commitment(
    fund, chapter, program_admin, second_admin
) -> None:
    """$108,500 committed at 1.0850 is €100,000. Paid in two halves, one on a day when a euro buys $1.2000
    (€45,208.33: a gain of €4,791.67) and one on a Saturday after a day at $1.0000 (the Friday's rate: €54,250, a
    loss of €4,250)."""
    committed_on = date(2025, 3, 3)
    grant = approved_grant(fund, chapter, program_admin, Money.of("108500", "USD"), on=committed_on)
    strong, friday, saturday = date(2025, 6, 2), date(2025, 6, 6), date(2025, 6, 7)
    _set_rate(strong, "1.2000")
    _set_rate(friday, "1.0000")
    halves = []
    for day in (strong, saturday):
        payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("54250", "USD"))
        services.payment_approve(actor=second_admin, payment=payment)
        halves.append(services.payment_pay(actor=program_admin, payment=payment, on=day))

    assert [(p.rate, p.rate_on, p.fund_minor) for p in halves] == [
        (Decimal("1.2000"), strong, 4520833),
        (Decimal("1.0000"), friday, 5425000),
    ]
    results = selectors.exchange_results(grant)
    assert [row.gain for row in results.rows] == [Money.of("4791.67", "EUR"), Money.of("-4250", "EUR")]
    assert results.total == Money.of("541.67", "EUR")
    assert services.grant_owed(grant) == Money.zero("USD")
    assert _legs_balance(fund.program) == {}


def test_a_payment_without_a_rate_is_refused(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("500", "USD"))
    services.payment_approve(actor=program_admin, payment=payment)
    with pytest.raises(ValidationError):
        services.payment_pay(actor=program_admin, payment=payment, on=date(2019, 6, 3))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED


operations = st.lists(
    st.tuples(
        st.sampled_from(["pay", "cancel", "leave"]),
        st.integers(min_value=1, max_value=40_000_00),  # minor units
        st.integers(min_value=0, max_value=400),  # days after the commitment
        st.decimals(min_value=Decimal("0.8"), max_value=Decimal("1.6"), places=4),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(currency=st.sampled_from(["USD", "EUR"]), steps=operations)
def test_payments_at_any_rates_never_create_or_lose_a_cent(
    fund, chapter, program_admin, second_admin, currency: str, steps
) -> None:
    """After any payments of a dollar or a euro grant at any rates: the books balance in each currency, what was
    paid and what is still owed make the grant's amount, a payment's bank leg is its amount at the day's rate to
    within half a cent, and its exchange gain is what the commitment and the payment say in the fund's currency."""
    with transaction.atomic():
        committed_on = date(2025, 3, 3)
        amount = Money.of("100000", currency)
        grant = approved_grant(fund, chapter, program_admin, amount, on=committed_on)
        paid = []
        for action, minor, days, rate in steps:
            day = committed_on + timedelta(days=days)
            EuroRate.objects.update_or_create(currency="USD", on=day, defaults={"rate": rate})
            room = services.grant_owed(grant).minor
            if room == 0:
                break
            payment = services.payment_create(
                actor=program_admin, grant=grant, amount=Money(min(minor, room), currency)
            )
            services.payment_approve(actor=second_admin, payment=payment)
            if action == "pay":
                paid.append(services.payment_pay(actor=program_admin, payment=payment, on=day))
            elif action == "cancel":
                services.payment_cancel(actor=program_admin, payment=payment)

        assert _legs_balance(fund.program) == {}
        paid_total = sum(p.amount_minor for p in paid)
        assert paid_total + services.grant_owed(grant).minor == amount.minor
        for payment in paid:
            bank = LedgerLeg.objects.in_org(fund.organization).get(
                transaction=payment.transaction, account__code="bank"
            )
            exact = Decimal(payment.amount_minor) * (payment.rate if currency == "EUR" else 1)
            assert abs(Decimal(-bank.amount_minor) - exact) <= Decimal("0.5")
        results = selectors.exchange_results(grant)
        committed_rate = grant.committed_rate
        for row in results.rows:
            at_commitment = (
                Decimal(row.payment.amount_minor) / committed_rate if currency == "USD" else row.payment.amount_minor
            )
            assert row.at_commitment.minor == int(Decimal(at_commitment).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert results.total.minor == sum(row.at_commitment.minor - row.payment.fund_minor for row in results.rows)
        transaction.set_rollback(True)


# -- Pages ----------------------------------------------------------------------------------------------------------


def test_the_queue_hides_approve_from_the_creator_above_the_threshold_and_says_why(
    fund, chapter, program_admin, second_admin, signed_in
) -> None:
    from django.urls import reverse

    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    payment = services.payment_create(actor=program_admin, grant=grant, amount=Money.of("30000", "USD"))
    approve = reverse("grants:payment_approve", args=[payment.pk])
    queue = f"{reverse('grants:payments')}?program={fund.program_id}"

    creator = signed_in(program_admin)
    page = creator.get(queue).content.decode()
    assert approve not in page
    assert "another program admin approves the payment than its creator" in page
    forged = creator.post(approve, {"back": "queue"})
    assert forged.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROPOSED

    other = signed_in(second_admin)
    assert approve in other.get(queue).content.decode()
    assert other.post(approve, {"back": "queue"}).status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.approved_by) == (PaymentStatus.APPROVED, second_admin)


def test_a_payment_is_paid_from_the_grants_page_on_the_day_given(fund, chapter, program_admin, signed_in) -> None:
    from django.urls import reverse

    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    client = signed_in(program_admin)
    page = reverse("grants:grant_payments", args=[grant.pk])
    assert (
        client.post(reverse("grants:payment_create", args=[grant.pk]), {"payment-amount": "250.00"}).status_code == 302
    )
    payment = Payment.objects.in_org(chapter).get(grant=grant)
    assert client.post(reverse("grants:payment_approve", args=[payment.pk])).status_code == 302
    paid = client.post(reverse("grants:payment_pay", args=[payment.pk]), {"paid_on": "2025-06-02"})
    assert paid.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.paid_on, payment.fund_minor) == (PaymentStatus.PAID, date(2025, 6, 2), 23041)
    assert client.post(reverse("grants:payment_pay", args=[payment.pk]), {"paid_on": "2025-06-03"}).status_code == 400
    assert "$750.00" in client.get(page).content.decode()  # still owed


def test_the_grants_payments_page_reads_the_same_number_of_queries_whatever_its_payments(
    fund, chapter, program_admin, second_admin, signed_in, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    client = signed_in(program_admin)
    url = reverse("grants:grant_payments", args=[grant.pk])

    def pay(count: int) -> None:
        for _n in range(count):
            payment = services.payment_create(actor=second_admin, grant=grant, amount=Money.of("100", "USD"))
            services.payment_approve(actor=program_admin, payment=payment)
            services.payment_pay(actor=program_admin, payment=payment, on=date(2025, 6, 2))
        services.tranche_save(
            actor=program_admin, grant=grant, tranche=None, amount=Money.of("100", "USD"), due_on=date(2026, 1, 5)
        )

    pay(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    pay(5)
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_the_four_eyes_queue_reads_the_same_number_of_queries_whatever_its_payments(
    fund, chapter, cac, program_admin, second_admin, signed_in, django_assert_max_num_queries
) -> None:
    """Whether the reader may approve is read once for the queue, not once per payment awaiting approval."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    grants = [approved_grant(fund, grantee, program_admin, Money.of("100000", "USD")) for grantee in (chapter, cac)]
    client = signed_in(program_admin)
    url = reverse("grants:payments") + f"?program={fund.program_id}"

    def propose(count: int) -> None:
        for n in range(count):
            services.payment_create(actor=second_admin, grant=grants[n % 2], amount=Money.of("10000", "USD"))

    propose(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    propose(6)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.content.decode().count("Approve") >= 7


def test_the_four_eyes_queue_shows_its_payments_a_page_at_a_time_oldest_first(
    fund, chapter, program_admin, second_admin, signed_in, monkeypatch
) -> None:
    """However long the queue grows, a page reads and shows ``PAYMENTS_PER_PAGE`` payments; the next page has the
    rest, and every payment is on one page."""
    from django.urls import reverse

    from haven.grants import views_payments

    monkeypatch.setattr(views_payments, "PAYMENTS_PER_PAGE", 2)
    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    proposed = [
        services.payment_create(actor=second_admin, grant=grant, amount=Money.of(f"{100 + n}", "USD")) for n in range(3)
    ]
    client = signed_in(program_admin)
    url = reverse("grants:payments") + f"?program={fund.program_id}"

    first = client.get(url).content.decode()
    second = client.get(url + "&page=2").content.decode()
    shown = {
        page: [p.pk for p in proposed if f"/grants/payments/{p.pk}/approve/" in text]
        for page, text in (("first", first), ("second", second))
    }
    assert shown == {"first": [proposed[0].pk, proposed[1].pk], "second": [proposed[2].pk]}
    assert f"?program={fund.program_id}&amp;page=2#queue-heading" in first
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_grant_page_reads_the_budget_and_the_payments_once(
    fund, chapter, program_admin, second_admin, signed_in
) -> None:
    """The grant page's three sections (the grant, its tranches and payments, its reports against the budget) share
    one read of the budget lines and one of the payments: paid is summed from the payments it shows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"))
    payment = services.payment_create(actor=second_admin, grant=grant, amount=Money.of("250", "USD"))
    services.payment_approve(actor=program_admin, payment=payment)
    services.payment_pay(actor=program_admin, payment=payment, on=date(2025, 6, 2))
    client = signed_in(program_admin)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("grants:grant", args=[grant.pk])).content.decode()
    reads = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "grants_budgetline"' in sql for sql in reads) == 1
    assert sum('FROM "grants_payment"' in sql for sql in reads) == 1
    assert page.count("$250.00") >= 2  # paid, in the payments and against the budget
