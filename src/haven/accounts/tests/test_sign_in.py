"""Signing in with e-mail and password, the lockout, and accepting an invitation, through the pages people use."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from haven.accounts.models import SignInThrottle, User
from haven.accounts.tests.factories import PASSWORD, UserFactory
from haven.audit.models import AuditEntry
from haven.organizations.models import Invitation, Membership, MembershipGrant, Organization
from haven.organizations.roles import Role
from haven.organizations.services import invitation_create, invitation_revoke, membership_grant_approve

SIGN_IN = "/account/sign-in/"
NOT_RIGHT = "The e-mail or password is not right."
TOO_MANY = "Too many failed attempts. Wait 15 minutes and try again."
NEW_PASSWORD = "a long new passphrase 42"


def sign_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(SIGN_IN, {"email": email, "password": password}, **extra)


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.dangerously_unscoped().filter(action=action).order_by("seq"))


@pytest.fixture
def trainer(provider: Organization, make_member: Callable[..., User]) -> User:
    """A role without a second factor, so a password signs in."""
    return make_member(Role.TRAINER, provider, email="tess.trainer@example.org", full_name="Tess Trainer")


# --- E-mail and password ---------------------------------------------------------------------------------------


def test_signing_in_with_any_case_of_the_e_mail(client: Client, trainer: User) -> None:
    response = sign_in(client, "Tess.TRAINER@Example.org", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == trainer.pk
    [entry] = entries("auth.sign_in")
    assert (entry.actor_id, entry.detail, entry.ip) == (trainer.pk, {"second_factor": False}, "127.0.0.1")
    assert client.get("/account/").status_code == 200


def test_a_wrong_password_is_refused_and_the_e_mail_kept(client: Client, trainer: User) -> None:
    typed_email, typed_password = "Tess.Trainer@example.org", "my cat's name, probably"
    response = sign_in(client, typed_email, typed_password)
    assert response.status_code == 200
    page = response.content.decode()
    assert NOT_RIGHT in page
    assert f'value="{typed_email}"' in page
    assert "probably" not in page
    assert signed_in_user_id(client) is None

    [entry] = entries("auth.sign_in_failed")
    assert (entry.actor_id, entry.organization_id, entry.detail) == (trainer.pk, None, {"known_user": True})
    # The request id ties the entry to the request, as the response reports it.
    assert entry.request_id == response["X-Request-ID"]


def test_an_unknown_e_mail_is_refused_with_the_same_words(client: Client, trainer: User) -> None:
    response = sign_in(client, "nobody@example.org", PASSWORD)
    assert NOT_RIGHT in response.content.decode()
    [entry] = entries("auth.sign_in_failed")
    assert (entry.actor_id, entry.detail) == (None, {"known_user": False})


def test_what_was_typed_is_never_written_to_the_audit_log(client: Client, trainer: User) -> None:
    # A password typed in the e-mail field is the classic leak: neither field may reach the log.
    typed = [("Tess.Trainer@example.org", "hunter2-secret"), ("hunter2-oops@example.org", PASSWORD)]
    for email, password in typed:
        sign_in(client, email, password)
    sign_in(client, "tess.trainer@example.org", PASSWORD)
    log = list(AuditEntry.objects.dangerously_unscoped().order_by("seq").values())
    assert [row["action"] for row in log] == [
        "auth.sign_in_failed",
        "auth.sign_in_failed",
        "auth.password_ok",
        "auth.sign_in",
    ]
    text = " ".join(str(value) for row in log for value in row.values()).lower()
    for secret in ("tess.trainer", "hunter2", PASSWORD):
        assert secret not in text


def test_signing_in_issues_a_new_session_id(client: Client, trainer: User) -> None:
    # A session id planted before sign-in (session fixation) must not become the signed-in session.
    planted = client.session
    planted["haven_next"] = "/account/"
    planted.save()
    before = planted.session_key
    sign_in(client, trainer.email, PASSWORD)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert signed_in_user_id(client) == trainer.pk


@pytest.mark.parametrize(
    ("next_url", "location"),
    [("/account/", "/account/"), ("https://evil.example/steal", "/"), ("//evil.example/", "/")],
)
def test_sign_in_goes_back_only_to_a_page_of_this_site(
    next_url: str, location: str, client: Client, trainer: User
) -> None:
    response = client.post(f"{SIGN_IN}?next={next_url}", {"email": trainer.email, "password": PASSWORD})
    assert response["Location"] == location


def test_a_signed_in_user_opening_sign_in_goes_home(client: Client, trainer: User) -> None:
    sign_in(client, trainer.email, PASSWORD)
    response = client.get(SIGN_IN)
    assert (response.status_code, response["Location"]) == (302, "/")


def test_signing_out_ends_the_session_and_is_recorded(client: Client, trainer: User) -> None:
    sign_in(client, trainer.email, PASSWORD)
    response = client.post("/account/sign-out/")
    assert response["Location"] == SIGN_IN
    assert signed_in_user_id(client) is None
    assert [entry.actor_id for entry in entries("auth.sign_out")] == [trainer.pk]
    assert client.get("/account/")["Location"] == "/account/sign-in/?next=/account/"


# --- Lockout ---------------------------------------------------------------------------------------------------


def fail(client: Client, email: str, times: int, **extra: Any) -> Any:
    response = None
    for _ in range(times):
        response = sign_in(client, email, "not the password", **extra)
    return response


def test_five_failures_lock_that_e_mail_from_that_address(client: Client, trainer: User) -> None:
    assert NOT_RIGHT in fail(client, "tess.trainer@example.org", 4).content.decode()
    fifth = fail(client, "TESS.trainer@example.org", 1)  # the case of the e-mail does not matter
    assert TOO_MANY in fifth.content.decode()

    refused = sign_in(client, trainer.email, PASSWORD)
    assert TOO_MANY in refused.content.decode()
    assert signed_in_user_id(client) is None

    [lockout] = entries("auth.lockout")
    assert (lockout.actor_id, lockout.detail, lockout.ip) == (trainer.pk, {"minutes": 15}, "127.0.0.1")
    assert len(entries("auth.sign_in_failed")) == 5
    assert entries("auth.sign_in") == []

    # A stranger elsewhere cannot lock the user out: the same e-mail from another address still signs in.
    elsewhere = Client()
    response = sign_in(elsewhere, trainer.email, PASSWORD, REMOTE_ADDR="10.0.0.2")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(elsewhere) == trainer.pk


def test_the_lockout_ends_after_fifteen_minutes(client: Client, trainer: User) -> None:
    fail(client, trainer.email, 5)
    assert TOO_MANY in sign_in(client, trainer.email, PASSWORD).content.decode()

    # Fifteen minutes and a second pass.
    throttle = SignInThrottle.objects.get()
    earlier = timedelta(seconds=settings.HAVEN_LOCKOUT_SECONDS + 1)
    throttle.window_started_at -= earlier
    throttle.locked_until -= earlier
    throttle.save()

    response = sign_in(client, trainer.email, PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == trainer.pk
    assert not SignInThrottle.objects.exists()


def test_a_lockout_of_an_unknown_e_mail_has_no_actor(client: Client, db: None) -> None:
    fail(client, "nobody@example.org", 5)
    [lockout] = entries("auth.lockout")
    assert lockout.actor_id is None


def test_a_successful_sign_in_clears_the_failures(client: Client, trainer: User) -> None:
    fail(client, trainer.email, 4)
    sign_in(client, trainer.email, PASSWORD)
    client.post("/account/sign-out/")
    assert NOT_RIGHT in fail(client, trainer.email, 4).content.decode()
    assert entries("auth.lockout") == []


def test_failures_older_than_the_window_do_not_count(client: Client, trainer: User) -> None:
    fail(client, trainer.email, 4)
    SignInThrottle.objects.update(window_started_at=timezone.now() - timedelta(minutes=16))
    assert NOT_RIGHT in fail(client, trainer.email, 4).content.decode()
    assert TOO_MANY in fail(client, trainer.email, 1).content.decode()


def test_the_throttle_stores_neither_the_e_mail_nor_the_address(client: Client, trainer: User) -> None:
    fail(client, trainer.email, 1)
    throttle = SignInThrottle.objects.get()
    assert "tess" not in throttle.key
    assert "127.0.0.1" not in throttle.key
    assert throttle.failures == 1


# --- Accepting an invitation -----------------------------------------------------------------------------------


@pytest.fixture
def cac_admin(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.ORG_ADMIN, cac, full_name="Casey Director")


def invite(admin: User, organization: Organization, email: str, role: str = Role.CLINICIAN) -> tuple[Invitation, str]:
    return invitation_create(actor=admin, organization=organization, email=email, role=role)


def test_a_newcomer_accepts_an_invitation_and_is_signed_in(
    client: Client, cac: Organization, cac_admin: User, make_member: Callable[..., User]
) -> None:
    invitation, token = invite(cac_admin, cac, "New.Clinician@Example.org")
    url = f"/account/invitations/{token}/"
    page = client.get(url).content.decode()
    assert "Join Franklin County CAC" in page
    assert "You are invited as Clinician, with the e-mail new.clinician@example.org." in page

    response = client.post(
        url, {"full_name": "Nia Newcomer", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    user = User.objects.get(email="new.clinician@example.org")
    assert user.full_name == "Nia Newcomer"
    assert user.check_password(NEW_PASSWORD)
    # A clinician sees child records: the role waits for a second person's approval (decision 0011).
    membership = Membership.objects.in_org(cac).get(user=user)
    assert (membership.role, membership.is_active) == (Role.CLINICIAN, False)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert signed_in_user_id(client) == user.pk
    log = AuditEntry.objects.dangerously_unscoped().filter(actor=user).order_by("seq")
    assert [(entry.action, entry.organization_id) for entry in log] == [
        ("user.create", cac.pk),
        ("membership.grant", cac.pk),
        ("auth.password_ok", None),
        ("auth.sign_in", None),
    ]
    assert "is waiting for a second person" in client.get("/").content.decode()
    # Once approved, the second factor comes before anything else.
    grant = MembershipGrant.objects.in_org(cac).get(membership=membership)
    membership_grant_approve(actor=make_member(Role.ORG_ADMIN, cac), grant=grant)
    assert client.get("/")["Location"] == "/account/mfa/setup/"
    # The token worked once.
    assert Client().get(url).status_code == 404


def test_a_newcomer_must_choose_a_sound_password(client: Client, cac: Organization, cac_admin: User) -> None:
    _invitation, token = invite(cac_admin, cac, "new@example.org")
    response = client.post(
        f"/account/invitations/{token}/",
        {"full_name": "Nia Newcomer", "new_password": NEW_PASSWORD, "new_password_again": "something else 42"},
    )
    assert response.status_code == 200
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(email="new@example.org").exists()


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown"])
def test_an_expired_revoked_or_unknown_token_is_404(
    how: str, client: Client, cac: Organization, cac_admin: User
) -> None:
    invitation, token = invite(cac_admin, cac, "new@example.org")
    if how == "expired":
        Invitation.objects.in_org(cac).filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "revoked":
        invitation_revoke(actor=cac_admin, invitation=invitation)
    elif how == "unknown":
        token = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    url = f"/account/invitations/{token}/"
    assert client.get(url).status_code == 404
    form = {"full_name": "Nia Newcomer", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert client.post(url, form).status_code == 404
    assert not User.objects.filter(email="new@example.org").exists()
    assert not Membership.objects.in_org(cac).filter(role=Role.CLINICIAN).exists()


def test_an_existing_user_signs_in_then_accepts_with_a_post(
    client: Client, cac: Organization, cac_admin: User, trainer: User, signed_in: Callable[[User], Client]
) -> None:
    invitation, token = invite(cac_admin, cac, trainer.email, role=Role.ORG_ADMIN)
    url = f"/account/invitations/{token}/"
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/account/sign-in/?next={url}")

    trainer_client = signed_in(trainer)
    page = trainer_client.get(url)
    assert "Accept the invitation" in page.content.decode()
    assert not Membership.objects.in_org(cac).filter(user=trainer).exists()  # looking is not accepting

    response = trainer_client.post(url, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "waits for a second person" in response.content.decode()
    membership = Membership.objects.in_org(cac).get(user=trainer)
    assert (membership.role, membership.is_active) == (Role.ORG_ADMIN, False)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    [entry] = AuditEntry.objects.in_org(cac).filter(action="membership.grant")
    grant = MembershipGrant.objects.in_org(cac).get(membership=membership)
    assert (entry.actor_id, entry.detail) == (
        trainer.pk,
        {
            "role": Role.ORG_ADMIN,
            "user": trainer.pk,
            "granted_by": cac_admin.pk,
            "path": "invitation",
            "grant": grant.pk,
        },
    )


def test_an_invitation_cannot_be_accepted_by_someone_else(
    cac: Organization, cac_admin: User, trainer: User, signed_in: Callable[[User], Client]
) -> None:
    invitation, token = invite(cac_admin, cac, trainer.email)
    somebody_else = UserFactory()
    response = signed_in(somebody_else).post(f"/account/invitations/{token}/", follow=True)
    assert "This invitation was sent to another e-mail address." in response.content.decode()
    assert not Membership.objects.in_org(cac).filter(role=Role.CLINICIAN).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
