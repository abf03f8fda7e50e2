"""How long a session lasts, and what ends it: idling, the 12-hour limit, deactivation, a password change."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from haven.accounts import services
from haven.accounts.models import User
from haven.accounts.services import SESSION_SIGNED_IN_AT
from haven.accounts.tests.factories import PASSWORD
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.organizations.services import membership_deactivate

NEW_PASSWORD = "a long new passphrase 42"


@pytest.fixture
def clinician(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.CLINICIAN, cac, full_name="Cleo Clinician")


@pytest.fixture
def cac_admin(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.ORG_ADMIN, cac, full_name="Casey Director")


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def signed_in_at(client: Client, moment: datetime) -> None:
    session = client.session
    session[SESSION_SIGNED_IN_AT] = int(moment.timestamp())
    session.save()


# --- Idle and absolute expiry ----------------------------------------------------------------------------------


def test_each_request_gives_the_session_another_thirty_minutes(
    clinician: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(clinician)
    # 29 minutes idle: one minute left.
    Session.objects.filter(pk=session_row(client).pk).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/account/").status_code == 200
    left = session_row(client).expire_date - timezone.now()
    assert timedelta(minutes=29, seconds=50) < left <= timedelta(minutes=30)


def test_a_session_idle_for_thirty_minutes_is_over(clinician: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(clinician)
    Session.objects.filter(pk=session_row(client).pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/account/")
    assert (response.status_code, response["Location"]) == (302, "/account/sign-in/?next=/account/")


def test_a_session_ends_twelve_hours_after_sign_in_however_active(
    clinician: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(clinician)
    signed_in_at(client, timezone.now() - timedelta(hours=12, seconds=-60))
    assert client.get("/account/").status_code == 200

    signed_in_at(client, timezone.now() - timedelta(hours=12, seconds=1))
    response = client.get("/account/")
    assert (response.status_code, response["Location"]) == (302, "/account/sign-in/?expired=1")
    assert client.session.get(SESSION_KEY) is None
    assert client.get("/account/")["Location"] == "/account/sign-in/?next=/account/"
    page = client.get(response["Location"]).content.decode()
    assert "Your session ended. Please sign in again." in page


def test_a_session_without_a_sign_in_time_is_ended(clinician: User, client: Client) -> None:
    client.force_login(clinician)  # signed in some other way than the sign-in flow
    response = client.get("/account/")
    assert (response.status_code, response["Location"]) == (302, "/account/sign-in/?expired=1")


# --- Deactivation ----------------------------------------------------------------------------------------------


def test_a_deactivated_user_is_signed_out_at_the_next_request(
    clinician: User, cac_admin: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(clinician)
    assert client.get("/account/").status_code == 200
    services.user_deactivate(actor=cac_admin, user=clinician)
    response = client.get("/account/")
    assert (response.status_code, response["Location"]) == (302, "/account/sign-in/?next=/account/")
    # Nor can they sign in again, and the page does not tell a stranger the account exists.
    refused = Client().post("/account/sign-in/", {"email": clinician.email, "password": PASSWORD})
    assert "The e-mail or password is not right." in refused.content.decode()
    entry = AuditEntry.objects.dangerously_unscoped().get(action="user.deactivate")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (cac_admin.pk, "accounts.user", str(clinician.pk))


def test_a_removed_membership_stops_giving_access_at_once(
    cac: Organization, cac_admin: User, make_member: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    colleague = make_member(Role.ORG_ADMIN, cac)
    client = signed_in(cac_admin)
    assert client.get("/organizations/").status_code == 200
    membership_deactivate(actor=colleague, membership=Membership.objects.in_org(cac).get(user=cac_admin))
    assert client.get("/organizations/").status_code == 404
    # Still signed in, as a person with no role: their own account page works.
    assert client.get("/account/").status_code == 200


# --- Password change -------------------------------------------------------------------------------------------


def field_errors(response: object, field: str) -> str:
    page = response.content.decode()  # type: ignore[attr-defined]
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def test_a_wrong_current_password_is_shown_next_to_the_field(
    clinician: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(clinician).post(
        "/account/password/",
        {"current_password": "not it", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert field_errors(response, "current_password") == "<li>This is not your current password.</li>"
    clinician.refresh_from_db()
    assert clinician.check_password(PASSWORD)
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="auth.password_change").exists()


def test_the_new_password_typed_twice_must_match(clinician: User, signed_in: Callable[[User], Client]) -> None:
    response = signed_in(clinician).post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "!"},
    )
    assert field_errors(response, "new_password_again") == "<li>The two passwords differ.</li>"
    clinician.refresh_from_db()
    assert clinician.check_password(PASSWORD)


def test_the_new_password_must_be_long_enough(clinician: User, signed_in: Callable[[User], Client]) -> None:
    response = signed_in(clinician).post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": "short 1", "new_password_again": "short 1"},
    )
    assert field_errors(response, "new_password") == (
        "<li>This password is too short. It must contain at least 12 characters.</li>"
    )


def test_changing_the_password(clinician: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(clinician)
    elsewhere = signed_in(clinician)  # the same person, signed in on another computer
    response = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [("/account/", 302)]
    assert "Your password was changed." in response.content.decode()
    clinician.refresh_from_db()
    assert clinician.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.dangerously_unscoped().get(action="auth.password_change")
    assert (entry.actor_id, entry.detail) == (clinician.pk, {})
    assert NEW_PASSWORD not in str(entry.detail)

    # This session goes on; the one on the other computer is over.
    assert client.get("/account/").status_code == 200
    assert elsewhere.get("/account/")["Location"] == "/account/sign-in/?next=/account/"
