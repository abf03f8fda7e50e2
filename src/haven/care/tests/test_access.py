"""Only the treating clinician and their CAC's admin reach a child's records; every read is audited."""

from collections.abc import Callable

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care import services
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program

from .factories import register, sessions


@pytest.fixture
def episode(cac: Organization, program: Program, clinician: User):
    episode = register(cac=cac, program=program, clinician=clinician, case_number="A-100")
    sessions(episode, clinician, 2)
    return episode


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.dangerously_unscoped().filter(action=action).order_by("seq"))


def test_the_treating_clinician_sees_the_episode_and_the_read_is_audited(
    episode, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(clinician).get(f"/care/episodes/{episode.pk}/")
    assert response.status_code == 200
    assert episode.child.display_code in response.content.decode()
    viewed = _entries("child.view")
    assert [(e.actor_id, e.target_type, e.target_id) for e in viewed] == [
        (clinician.pk, "care.episode", str(episode.pk))
    ]


def test_another_clinician_of_the_same_cac_does_not(
    episode, colleague: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(colleague)
    assert client.get(f"/care/episodes/{episode.pk}/").status_code == 404
    assert client.get(f"/care/children/{episode.child_id}/").status_code == 404
    assert episode.child.display_code not in client.get("/care/").content.decode()


def test_the_cac_admin_sees_every_episode_of_their_cac(
    episode, cac_admin: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(cac_admin)
    assert client.get(f"/care/episodes/{episode.pk}/").status_code == 200
    assert episode.child.display_code in client.get("/care/").content.decode()


@pytest.mark.parametrize("role", [Role.PROGRAM_ADMIN, Role.TRAINER, Role.FUNDER_VIEWER])
def test_no_other_role_reaches_a_child_record(
    episode,
    role: str,
    national: Organization,
    provider: Organization,
    funder: Organization,
    make_member,
    signed_in: Callable[[User], Client],
) -> None:
    home = {Role.PROGRAM_ADMIN: national, Role.TRAINER: provider, Role.FUNDER_VIEWER: funder}[role]
    client = signed_in(make_member(role, home))
    for url in (f"/care/episodes/{episode.pk}/", f"/care/children/{episode.child_id}/", "/care/"):
        assert client.get(url).status_code == 404


def test_a_chapter_admin_is_not_a_clinical_supervisor(
    episode, cac: Organization, make_member, signed_in: Callable[[User], Client]
) -> None:
    chapter_admin = make_member(Role.ORG_ADMIN, cac.parent)
    client = signed_in(chapter_admin)
    assert client.get(f"/care/episodes/{episode.pk}/").status_code == 404
    assert client.get("/care/").status_code == 404


def test_the_caseload_is_one_audit_event_naming_every_child_it_shows(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    episodes = [register(cac=cac, program=program, clinician=clinician, case_number=f"L-{n}") for n in range(3)]
    response = signed_in(clinician).get("/care/")
    assert response.status_code == 200
    (listed,) = _entries("child.list")
    assert listed.detail["episodes"] == sorted(e.pk for e in episodes)
    assert listed.detail["children"] == sorted(e.child_id for e in episodes)


def test_a_handover_moves_the_episode_to_the_new_clinician(
    episode, clinician: User, colleague: User, signed_in: Callable[[User], Client]
) -> None:
    services.episode_handover(actor=clinician, episode=episode, to_clinician=colleague)
    assert signed_in(clinician).get(f"/care/episodes/{episode.pk}/").status_code == 404
    assert signed_in(colleague).get(f"/care/episodes/{episode.pk}/").status_code == 200
    # The sessions already given stay credited to whoever gave them.
    from haven.care.models import Session

    assert set(Session.objects.in_org(episode.organization_id).values_list("clinician_id", flat=True)) == {clinician.pk}
