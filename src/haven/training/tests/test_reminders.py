"""Certification renewal reminders: sent when due, once each, never after expiry."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from haven.accounts.models import User
from haven.care.tests.factories import completed_case
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.models import Milestone, RenewalReminder

from .factories import calls_of, enroll, make_cohort, record_calls


@pytest.fixture
def certified(program: Program, program_admin: User, trainer: User, cac: Organization, make_member):
    """A clinician certified on 2026-01-10, with their three completed cases in the care records."""
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    clinician = make_member(Role.CLINICIAN, cac)
    enrollment = enroll(program=program, cac=cac, clinician=clinician, actor=program_admin, cohort=cohort)
    for n, caregiver in enumerate((True, True, False)):
        completed_case(cac=cac, program=program, clinician=clinician, case_number=f"C-{n}", caregiver=caregiver)
    record_calls(cohort=cohort, actor=trainer, present={**{n: [enrollment] for n in range(1, 10)}, 12: []})
    for kind, day in (
        ("online_course", cohort.live_training_on - timedelta(days=5)),
        ("knowledge_test", date(2026, 1, 5)),
        ("certification", date(2026, 1, 10)),
    ):
        Milestone.objects.create(
            organization=cac, enrollment=enrollment, kind=kind, achieved_on=day, recorded_by=program_admin
        )
    assert len(calls_of(cohort)) == 12
    return clinician


def test_reminders_are_sent_once_each_when_due(certified: User) -> None:
    # Valid until 2031-01-10; reminders 180 and 60 days before.
    call_command("certification_reminders", "--today=2030-07-13")
    assert mail.outbox == []
    call_command("certification_reminders", "--today=2030-07-14")
    assert [m.to for m in mail.outbox] == [[certified.email]]
    assert "2031-01-10" in mail.outbox[0].subject
    call_command("certification_reminders", "--today=2030-08-01")
    assert len(mail.outbox) == 1
    call_command("certification_reminders", "--today=2030-11-11")
    assert len(mail.outbox) == 2
    assert (
        RenewalReminder.objects.in_org(RenewalReminder.objects.dangerously_unscoped().first().organization_id).count()
        == 2
    )
    call_command("certification_reminders", "--today=2031-02-01")
    assert len(mail.outbox) == 2


def test_certification_is_not_backdated_nor_recorded_twice_while_valid(certified: User, program_admin: User) -> None:
    from haven.training import services
    from haven.training.models import Enrollment

    enrollment = Enrollment.objects.dangerously_unscoped().get(clinician=certified)
    today = timezone.now().date()
    with pytest.raises(Exception, match="still valid"):
        services.milestone_record(actor=program_admin, enrollment=enrollment, kind="certification", achieved_on=today)
    Milestone.objects.filter(organization=enrollment.organization, kind="certification").delete()
    # Trained at the twelfth call, six months after the live training: a certification cannot predate it.
    with pytest.raises(Exception, match="cannot be dated before"):
        services.milestone_record(
            actor=program_admin, enrollment=enrollment, kind="certification", achieved_on=date(2026, 1, 6)
        )
    services.milestone_record(actor=program_admin, enrollment=enrollment, kind="certification", achieved_on=today)
