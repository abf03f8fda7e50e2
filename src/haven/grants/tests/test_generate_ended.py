"""A generated program that has ended (its 36 months over): its money is settled. Apart from test_generate.py,
whose module-wide generation would leave this one no empty database."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from haven.core.dates import add_months
from haven.grants import ledger
from haven.grants.models import EuroRate, Grant, GrantReport, GrantStatus, Payment, PaymentStatus, ReportStatus
from haven.grants.tests.test_generate import _legs_off_balance
from haven.programs.models import Program


@pytest.mark.django_db
def test_a_program_that_has_ended_has_its_money_settled() -> None:
    """Generated from 40 months ago, the 36-month program is over: every grant closed, nothing owed, the books
    balanced, reports all in."""
    today = timezone.now().date()
    start = add_months(date(today.year, today.month, 1), -40)
    call_command("generate", "--scale", "demo", "--seed", "2", f"--start={start.isoformat()}", stdout=StringIO())
    program = Program.objects.dangerously_unscoped().get()
    assert not _legs_off_balance()
    grants = Grant.objects.of_program(program)
    assert set(grants.values_list("status", flat=True)) == {GrantStatus.CLOSED}
    payable = ledger.balances_by_code(program, [f"payable:{grant.pk}" for grant in grants])
    assert payable and all(balance.minor == 0 for balance in payable.values())
    assert not Payment.objects.of_program(program).filter(status__in=[PaymentStatus.PROPOSED, PaymentStatus.APPROVED])
    assert not GrantReport.objects.of_program(program).exclude(status=ReportStatus.ACCEPTED).exists()
    assert not EuroRate.objects.filter(on__gt=program.ends_on).exists()
