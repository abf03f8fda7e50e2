"""A critical answer (PHQ-A item 9 above 0) reaches the clinician and the CAC admin until followed up."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from haven.accounts.models import User
from haven.care import services
from haven.care.models import CriticalAlert
from haven.organizations.models import Organization
from haven.programs.models import Program

from .factories import register


def _phq(episode, actor, item9: int):
    answers = {str(n): 1 for n in range(1, 10)}
    answers["9"] = item9
    return services.assessment_record(
        actor=actor,
        episode=episode,
        instrument_code="phq_a",
        timepoint="baseline",
        administered_on=episode.referred_on + timedelta(days=7),
        responses=answers,
    )


@pytest.fixture
def teen(cac: Organization, program: Program, clinician: User):
    return register(cac=cac, program=program, clinician=clinician, case_number="T-1", age=15)


@pytest.mark.parametrize(("answer", "alerts"), [(0, 0), (1, 1), (2, 1), (3, 1)])
def test_item_nine_above_zero_raises_one_alert(teen, clinician: User, answer: int, alerts: int) -> None:
    _phq(teen, clinician, answer)
    assert CriticalAlert.objects.in_org(teen.organization_id).count() == alerts


def test_the_alert_shows_to_the_clinician_and_the_admin_until_acknowledged_with_follow_up(
    teen, clinician: User, cac_admin: User, colleague: User, signed_in: Callable[[User], Client]
) -> None:
    _phq(teen, clinician, 2)
    alert = CriticalAlert.objects.in_org(teen.organization_id).get()
    for user in (clinician, cac_admin):
        assert "critical answer waits" in signed_in(user).get("/care/").content.decode()
    assert "critical answer waits" not in signed_in(colleague).get("/care/").content.decode()

    client = signed_in(clinician)
    refused = client.post(f"/care/alerts/{alert.pk}/", {})
    assert refused.status_code == 200
    alert.refresh_from_db()
    assert alert.acknowledged_at is None

    done = client.post(f"/care/alerts/{alert.pk}/", {"follow_up": ["risk_assessed", "safety_plan"]})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician and alert.follow_up == ["risk_assessed", "safety_plan"]
    assert "critical answer waits" not in signed_in(cac_admin).get("/care/").content.decode()


def test_an_alert_is_acknowledged_once_and_its_measure_cannot_be_deleted_before(teen, clinician: User) -> None:
    assessment = _phq(teen, clinician, 1)
    with pytest.raises(ValidationError):
        services.assessment_delete(actor=clinician, assessment=assessment)
    alert = CriticalAlert.objects.in_org(teen.organization_id).get()
    services.alert_acknowledge(actor=clinician, alert=alert, follow_up=["no_current_risk"])
    with pytest.raises(ValidationError):
        services.alert_acknowledge(actor=clinician, alert=alert, follow_up=["no_current_risk"])
