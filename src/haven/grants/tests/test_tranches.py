"""Tranches: planned within the grant's amount, met when their day comes or when the grantee's figure reaches the
level (read from reporting), released by a person into one payment, never two."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care.tests import factories as care_factories
from haven.core.money import Money
from haven.grants import services
from haven.grants.models import Payment, PaymentStatus, Tranche, TrancheMetric, TrancheStatus
from haven.grants.tests.payment_builders import approved_grant
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.reporting.tests.builders import train_and_certify
from haven.training.models import CertificationPath
from haven.training.tests.factories import enroll, make_cohort


def _tranche(grant, actor, dollars: str, **condition) -> Tranche:
    return services.tranche_save(actor=actor, grant=grant, tranche=None, amount=Money.of(dollars, "USD"), **condition)


def test_tranches_never_add_up_to_more_than_their_grant_and_are_numbered_in_order(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("100000", "USD"), approve=False)
    day = fund.starts_on + timedelta(days=90)
    first = _tranche(grant, program_admin, "40000", due_on=day)
    second = _tranche(grant, program_admin, "35000", metric=TrancheMetric.CLINICIANS_TRAINED, threshold=10)
    with pytest.raises(ValidationError):
        _tranche(grant, program_admin, "25000.01", due_on=day)
    third = _tranche(grant, program_admin, "25000", due_on=day + timedelta(days=90))
    with pytest.raises(ValidationError):  # changing one may not overshoot either
        services.tranche_save(
            actor=program_admin, grant=grant, tranche=first, amount=Money.of("40000.01", "USD"), due_on=day
        )
    assert [t.number for t in (first, second, third)] == [1, 2, 3]

    services.tranche_delete(actor=program_admin, tranche=first)
    rows = Tranche.objects.in_org(chapter).filter(grant=grant).order_by("number")
    assert [(t.pk, t.number) for t in rows] == [(second.pk, 1), (third.pk, 2)]
    assert _tranche(grant, program_admin, "40000", due_on=day).number == 3


def test_a_tranche_waits_for_a_date_or_a_figure_not_both_nor_neither(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"), approve=False)
    with pytest.raises(ValidationError):
        _tranche(grant, program_admin, "10", due_on=fund.starts_on, metric=TrancheMetric.CHILDREN_SERVED, threshold=3)
    with pytest.raises(ValidationError):
        _tranche(grant, program_admin, "10")
    with pytest.raises(ValidationError):
        _tranche(grant, program_admin, "10", metric=TrancheMetric.CHILDREN_SERVED, threshold=0)


def test_a_date_tranche_is_met_on_its_day_and_not_before(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    day = fund.starts_on + timedelta(days=60)
    tranche = _tranche(grant, program_admin, "500", due_on=day)

    assert services.tranches_evaluate(program=fund.program, on=day - timedelta(days=1), actor=program_admin) == []
    tranche.refresh_from_db()
    assert tranche.status == TrancheStatus.WAITING

    assert services.tranches_evaluate(program=fund.program, on=day, actor=program_admin) == [tranche]
    tranche.refresh_from_db()
    assert (tranche.status, tranche.met_on, tranche.met_value) == (TrancheStatus.MET, day, None)
    assert AuditEntry.objects.in_org(chapter).filter(action="tranche.met", target_id=str(tranche.pk)).count() == 1
    # Evaluated again, it is not met twice.
    assert services.tranches_evaluate(program=fund.program, on=day + timedelta(days=1)) == []


def test_a_draft_grants_tranches_wait_until_it_is_approved(fund, chapter, program_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"), approve=False)
    tranche = _tranche(grant, program_admin, "500", due_on=fund.starts_on)
    assert services.tranches_evaluate(program=fund.program, on=fund.starts_on + timedelta(days=30)) == []
    tranche.refresh_from_db()
    assert tranche.status == TrancheStatus.WAITING


def test_a_figure_tranche_is_met_exactly_when_the_chapters_clinicians_trained_reach_the_level(
    fund, chapter, cac, other_cac, program_admin, provider: Organization, make_member: Callable[..., User]
) -> None:
    """Two clinicians of a CAC under the chapter are trained on two different days (one of the Texas CAC, not the
    chapter's, too): a tranche waiting for 2 clinicians trained is met on the second day, with the figure 2."""
    program = fund.program
    CertificationPath.objects.create(
        organization=program.organization, program=program, cases_required=0, cases_with_caregiver_required=0
    )
    today = timezone.now().date()
    starts_on = today - timedelta(days=480)
    cohort = make_cohort(
        program=program,
        actor=program_admin,
        trainers=[make_member(Role.TRAINER, provider)],
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=365),
        live_training_on=starts_on + timedelta(days=2),
    )
    ours = [
        enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort)
        for _n in range(2)
    ]
    theirs = enroll(
        program=program,
        cac=other_cac,
        clinician=make_member(Role.CLINICIAN, other_cac),
        actor=program_admin,
        cohort=cohort,
    )
    first_day, second_day = today - timedelta(days=60), today - timedelta(days=30)
    train_and_certify(
        cohort=cohort,
        actor=program_admin,
        courses=[([ours[0], theirs], first_day), ([ours[1]], second_day)],
    )
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    tranche = _tranche(grant, program_admin, "500", metric=TrancheMetric.CLINICIANS_TRAINED, threshold=2)

    assert services.tranches_evaluate(program=program, on=second_day - timedelta(days=1)) == []
    tranche.refresh_from_db()
    assert tranche.status == TrancheStatus.WAITING

    assert services.tranches_evaluate(program=program, on=second_day) == [tranche]
    tranche.refresh_from_db()
    assert (tranche.status, tranche.met_on, tranche.met_value) == (TrancheStatus.MET, second_day, 2)


def test_a_figure_tranche_waits_for_the_children_served_at_the_grantees_cac(
    fund, cac, program_admin, provider: Organization, make_member: Callable[..., User]
) -> None:
    """A CAC's grant waiting for 2 children served: met once the second child has had a session with a clinician
    placed in the program, not before."""
    program = fund.program
    clinician = make_member(Role.CLINICIAN, cac)
    cohort = make_cohort(program=program, actor=program_admin, trainers=[make_member(Role.TRAINER, provider)])
    enroll(program=program, cac=cac, clinician=clinician, actor=program_admin, cohort=cohort)
    grant = approved_grant(fund, cac, program_admin, Money.of("1000", "USD"))
    tranche = _tranche(grant, program_admin, "1000", metric=TrancheMetric.CHILDREN_SERVED, threshold=2)
    today = timezone.now().date()

    first = care_factories.register(cac=cac, program=program, clinician=clinician, case_number="2025-0001")
    care_factories.sessions(first, clinician, 1)
    assert services.tranches_evaluate(program=program, on=today) == []

    second = care_factories.register(cac=cac, program=program, clinician=clinician, case_number="2025-0002")
    care_factories.sessions(second, clinician, 1)
    assert services.tranches_evaluate(program=program, on=today) == [tranche]
    tranche.refresh_from_db()
    assert tranche.met_value == 2


def test_a_met_tranche_is_released_once_into_one_payment(fund, chapter, program_admin, second_admin) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    day = fund.starts_on + timedelta(days=60)
    tranche = _tranche(grant, program_admin, "400", due_on=day)

    with pytest.raises(ValidationError):  # not met yet
        services.tranche_release(actor=program_admin, tranche=tranche)

    services.tranches_evaluate(program=fund.program, on=day)
    tranche.refresh_from_db()
    payment = services.tranche_release(actor=program_admin, tranche=tranche)
    assert (payment.status, payment.amount_minor, payment.tranche_id) == (PaymentStatus.PROPOSED, 40000, tranche.pk)
    tranche.refresh_from_db()
    assert (tranche.status, tranche.released_by) == (TrancheStatus.RELEASED, program_admin)

    with pytest.raises(ValidationError):  # a second release, by anyone
        services.tranche_release(actor=second_admin, tranche=tranche)
    # The database refuses a second live payment of the tranche, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            organization=chapter, grant=grant, tranche=tranche, amount_minor=40000, created_by=second_admin
        )
    assert Payment.objects.in_org(chapter).filter(tranche=tranche).count() == 1


def test_a_cancelled_tranche_payment_lets_it_be_released_again_and_still_paid_once(
    fund, chapter, program_admin
) -> None:
    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    day = fund.starts_on + timedelta(days=60)
    tranche = _tranche(grant, program_admin, "400", due_on=day)
    services.tranches_evaluate(program=fund.program, on=day)
    first = services.tranche_release(actor=program_admin, tranche=tranche)
    services.payment_cancel(actor=program_admin, payment=first)
    tranche.refresh_from_db()
    assert tranche.status == TrancheStatus.MET

    again = services.tranche_release(actor=program_admin, tranche=tranche)
    services.payment_approve(actor=program_admin, payment=again)
    services.payment_pay(actor=program_admin, payment=again, on=day)
    paid = Payment.objects.in_org(chapter).filter(tranche=tranche, status=PaymentStatus.PAID)
    assert paid.count() == 1
    assert services.grant_owed(grant) == Money.of("600", "USD")


def test_the_daily_command_meets_the_tranches_of_every_program(fund, chapter, program_admin) -> None:
    from io import StringIO

    from django.core.management import call_command

    grant = approved_grant(fund, chapter, program_admin, Money.of("1000", "USD"))
    day = fund.starts_on + timedelta(days=60)
    tranche = _tranche(grant, program_admin, "500", due_on=day)
    out = StringIO()
    call_command("tranches_evaluate", "--today", day.isoformat(), stdout=out)
    assert out.getvalue().strip() == "1 tranche(s) met."
    tranche.refresh_from_db()
    assert tranche.status == TrancheStatus.MET
