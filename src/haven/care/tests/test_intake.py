"""Intake: the case number finds duplicates within the CAC through a keyed HMAC and is never kept."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from haven.accounts.models import User
from haven.care import identity, services
from haven.care.models import Child
from haven.organizations.models import Organization
from haven.programs.models import Program

from .factories import register


def test_the_same_case_number_is_a_duplicate_within_the_cac_whatever_its_spacing_or_case(
    cac: Organization, program: Program, clinician: User
) -> None:
    first = register(cac=cac, program=program, clinician=clinician, case_number="cac-2025-0042")
    with pytest.raises(services.DuplicateChild) as caught:
        register(cac=cac, program=program, clinician=clinician, case_number=" CAC-2025-0042 ")
    assert caught.value.child == first.child


def test_the_same_number_at_another_cac_is_another_child(
    cac: Organization, other_cac: Organization, program: Program, clinician: User, other_clinician: User
) -> None:
    a = register(cac=cac, program=program, clinician=clinician, case_number="0042")
    b = register(cac=other_cac, program=program, clinician=other_clinician, case_number="0042")
    assert a.child.case_key != b.child.case_key


def test_the_key_depends_on_the_secret_key(settings) -> None:
    before = identity.case_key(1, "0042")
    settings.HAVEN_HMAC_KEY = "another-key"
    assert identity.case_key(1, "0042") != before


def test_the_case_number_is_stored_nowhere(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    number = "ZQ-7731-UNIQUE"
    response = signed_in(clinician).post(
        "/care/children/new/",
        {
            "case_number": number,
            "age_at_referral": 9,
            "gender": "boy",
            "race_ethnicity": "not_recorded",
            "trauma_types": ["neglect"],
            "referred_on": "2026-06-01",
            "treatment_model": Child._meta.apps.get_model("care", "TreatmentModel").objects.get(code="tf-cbt").pk,
        },
    )
    assert response.status_code == 302
    assert Child.objects.in_org(cac).count() == 1
    # Not in any column of any table: dump the whole database as text and look for it.
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                assert number not in repr(row), table
                assert number.lower() not in repr(row).lower(), table


def test_a_duplicate_is_not_echoed_back_and_links_the_existing_child(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    episode = register(cac=cac, program=program, clinician=clinician, case_number="DUP-1")
    response = signed_in(clinician).post(
        "/care/children/new/",
        {
            "case_number": "DUP-1",
            "age_at_referral": 9,
            "gender": "boy",
            "race_ethnicity": "not_recorded",
            "trauma_types": ["neglect"],
            "referred_on": "2026-06-01",
            "treatment_model": episode.treatment_model_id,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "DUP-1" not in page
    assert f"/care/children/{episode.child_id}/" in page


def test_intake_refuses_a_future_referral_and_keeps_no_child(
    cac: Organization, program: Program, clinician: User
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    with pytest.raises(ValidationError):
        register(cac=cac, program=program, clinician=clinician, referred_on=timezone.now().date() + timedelta(days=1))
    assert not Child.objects.in_org(cac).exists()
