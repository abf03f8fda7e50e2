"""What the audit log says of each way of signing in: the password step is its own event (``auth.password_ok``), and
"Signed in" (``auth.sign_in``) is recorded once, when the session is fully signed in: after the second factor, after
the first set-up for a role that requires one, or at once for a role that needs none."""

from collections.abc import Callable

import pytest
from django.test import Client

from haven.accounts.models import Authenticator, User
from haven.accounts.tests.factories import PASSWORD
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.organizations.services import invitation_create
from haven.organizations.tests.factories import ChapterFactory

from .test_mfa import SETUP, VERIFY, next_code, password_step, set_up_second_factor

NEW_PASSWORD = "a long new passphrase 42"


def log(user: User) -> list[tuple[str, dict[str, object]]]:
    rows = AuditEntry.objects.dangerously_unscoped().filter(actor=user).order_by("seq")
    return [(entry.action, entry.detail) for entry in rows]


@pytest.fixture
def clinician(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.CLINICIAN, cac)


@pytest.fixture
def trainer(provider: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.TRAINER, provider)


def test_a_role_without_a_second_factor_is_signed_in_by_the_password(client: Client, trainer: User) -> None:
    assert password_step(client, trainer)["Location"] == "/"
    assert log(trainer) == [("auth.password_ok", {}), ("auth.sign_in", {"second_factor": False})]


def test_with_a_second_factor_sign_in_is_recorded_after_the_code(client: Client, clinician: User) -> None:
    device = Authenticator.objects.create(user=clinician, name="phone", confirmed=True)
    assert password_step(client, clinician)["Location"] == VERIFY
    assert log(clinician) == [("auth.password_ok", {})]
    assert client.post(VERIFY, {"code": next_code(device)})["Location"] == "/"
    assert log(clinician) == [("auth.password_ok", {}), ("auth.sign_in", {"second_factor": True})]


def test_a_role_that_requires_a_second_factor_is_signed_in_after_setting_it_up(client: Client, clinician: User) -> None:
    assert password_step(client, clinician)["Location"] == "/"
    # The password opened a session that can only set up the second factor: not signed in yet.
    assert client.get("/account/")["Location"] == SETUP
    assert log(clinician) == [("auth.password_ok", {})]
    set_up_second_factor(client, clinician)
    assert [action for action, _detail in log(clinician)] == ["auth.password_ok", "mfa.enable", "auth.sign_in"]
    assert log(clinician)[-1] == ("auth.sign_in", {"second_factor": True})
    assert client.get("/account/").status_code == 200


def test_leaving_before_the_set_up_is_never_signed_in(client: Client, clinician: User) -> None:
    password_step(client, clinician)
    client.post("/account/sign-out/")
    assert [action for action, _detail in log(clinician)] == ["auth.password_ok", "auth.sign_out"]


def test_a_newcomer_who_must_use_a_second_factor_is_signed_in_after_setting_it_up(
    client: Client, make_member: Callable[..., User]
) -> None:
    # A chapter's admin needs a second factor and no second person's approval (the role sees no child record), so
    # the role works at once and the set-up comes before anything else.
    chapter = ChapterFactory()
    admin = make_member(Role.ORG_ADMIN, chapter)
    _invitation, token = invitation_create(
        actor=admin, organization=chapter, email="nia@example.org", role=Role.ORG_ADMIN
    )
    form = {"full_name": "Nia Newcomer", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    client.post(f"/account/invitations/{token}/", form)
    newcomer = User.objects.get(email="nia@example.org")
    assert "auth.sign_in" not in [action for action, _detail in log(newcomer)]
    assert log(newcomer)[-1] == ("auth.password_ok", {})
    set_up_second_factor(client, newcomer)
    assert [action for action, _detail in log(newcomer)][-3:] == ["auth.password_ok", "mfa.enable", "auth.sign_in"]


def test_a_newcomer_whose_role_waits_for_approval_is_signed_in_at_once(
    client: Client, cac: Organization, make_member: Callable[..., User]
) -> None:
    """A clinician's role waits for a second person: until then it needs no second factor, so the password completes
    the sign-in; once approved, the set-up comes before anything else."""
    admin = make_member(Role.ORG_ADMIN, cac)
    _invitation, token = invitation_create(actor=admin, organization=cac, email="nia@example.org", role=Role.CLINICIAN)
    form = {"full_name": "Nia Newcomer", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    client.post(f"/account/invitations/{token}/", form)
    newcomer = User.objects.get(email="nia@example.org")
    assert [action for action, _detail in log(newcomer)][-2:] == ["auth.password_ok", "auth.sign_in"]


def test_turning_on_a_second_factor_later_is_not_another_sign_in(client: Client, trainer: User) -> None:
    password_step(client, trainer)
    set_up_second_factor(client, trainer)
    assert [action for action, _detail in log(trainer)] == ["auth.password_ok", "auth.sign_in", "mfa.enable"]


def test_a_wrong_password_records_neither(client: Client, trainer: User) -> None:
    client.post("/account/sign-in/", {"email": trainer.email, "password": PASSWORD + "x"})
    assert log(trainer) == [("auth.sign_in_failed", {"known_user": True})]
