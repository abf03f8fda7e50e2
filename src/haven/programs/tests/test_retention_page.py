"""The program's retention policy page (decision 0047): the program admin sets it, in plain words, audited; a CAC's
admin or a funder cannot."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import RetentionPolicy
from haven.training.tests.factories import make_program


@pytest.mark.django_db
def test_the_program_admin_sets_the_policy_and_reads_its_effect(
    national: Organization, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    program = make_program(national)
    client = signed_in(make_member(Role.PROGRAM_ADMIN, national))
    url = reverse("programs:retention", args=[program.pk])
    page = client.get(url)
    assert page.status_code == 200 and "has no retention policy yet" in page.content.decode()
    assert client.post(url, {"deidentify_after_years": "0"}).status_code == 200
    assert not RetentionPolicy.objects.in_org(national).exists()

    response = client.post(url, {"deidentify_after_years": "5"})
    assert response.status_code == 302
    assert RetentionPolicy.objects.in_org(national).get(program=program).deidentify_after_years == 5
    entry = AuditEntry.objects.dangerously_unscoped().get(action="retention.update")
    assert entry.detail["years"] == 5 and entry.detail["before"] is None
    text = client.get(url).content.decode()
    assert "de-identified 5 years after the program ends" in " ".join(text.split())
    assert "audit log is append-only" in text


@pytest.mark.django_db
def test_a_cac_admin_and_a_funder_cannot_see_or_change_it(
    national: Organization,
    cac: Organization,
    funder: Organization,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    program = make_program(national)
    url = reverse("programs:retention", args=[program.pk])
    for user in (make_member(Role.ORG_ADMIN, cac), make_member(Role.FUNDER_VIEWER, funder)):
        client = signed_in(user)
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, {"deidentify_after_years": "1"}).status_code in (403, 404)
    assert not RetentionPolicy.objects.dangerously_unscoped().exists()
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="retention.update").exists()
