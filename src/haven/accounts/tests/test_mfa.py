"""The second factor: forced set-up for roles that need it, the sign-in's second step, recovery codes, turning off."""

import base64
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from haven.accounts.models import Authenticator, RecoveryCodes, User
from haven.accounts.tests.factories import PASSWORD
from haven.audit.models import AuditEntry
from haven.organizations.models import Organization
from haven.organizations.roles import Role

SETUP = "/account/mfa/setup/"
VERIFY = "/account/sign-in/verify/"
WRONG_SETUP_CODE = "That code is not right. Check the time on your phone and try again."
WRONG_SIGN_IN_CODE = "That code is not right, or was used already. Wait for a new one and try again."


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def actions(user: User) -> list[str]:
    return list(
        AuditEntry.objects.dangerously_unscoped().filter(actor=user).order_by("seq").values_list("action", flat=True)
    )


def next_code(device: Authenticator) -> str:
    """What the phone shows next: the current step's code, or the next step's if the current one was used."""
    device.refresh_from_db()
    step = max(int(time.time()) // device.step, device.last_t + 1)
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits)
    clock.time = step * device.step
    return f"{clock.token():0{device.digits}d}"


def wrong_code(device: Authenticator) -> str:
    """A six-digit code the device does not accept at any step it would currently take."""
    valid = {totp(device.bin_key, step=device.step, t0=device.t0 + shift * device.step) for shift in range(-3, 4)}
    return f"{next(n for n in range(10**6) if n not in valid):06d}"


def wait_out_throttle(user: User) -> None:
    """As if the person waited a minute: a wrong code delays the next try by a second, then 2, 4..."""
    for model in (Authenticator, StaticDevice):
        for device in model.objects.filter(user=user, throttling_failure_timestamp__isnull=False):
            device.throttling_failure_timestamp -= timedelta(minutes=1)
            device.save(update_fields=["throttling_failure_timestamp"])


def password_step(client: Client, user: User) -> Any:
    return client.post("/account/sign-in/", {"email": user.email, "password": PASSWORD})


def set_up_second_factor(client: Client, user: User) -> list[str]:
    """Through the set-up page, as a person would; returns the recovery codes it shows."""
    client.get(SETUP)
    device = Authenticator.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": next_code(device)})
    assert response.status_code == 200
    return recovery_codes(response)


def recovery_codes(response: Any) -> list[str]:
    listing = re.search(r'<ul class="codes" data-testid="recovery-codes">(.*?)</ul>', response.content.decode(), re.S)
    assert listing is not None
    return re.findall(r"<li>([0-9a-f]+)</li>", listing.group(1))


@pytest.fixture
def clinician(cac: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.CLINICIAN, cac, full_name="Cleo Clinician")


@pytest.fixture
def trainer(provider: Organization, make_member: Callable[..., User]) -> User:
    return make_member(Role.TRAINER, provider, full_name="Tess Trainer")


@pytest.fixture
def clinician_with_codes(clinician: User) -> list[str]:
    """The clinician has set up an authenticator (and signed out); the recovery codes they were shown."""
    client = Client()
    password_step(client, clinician)
    codes = set_up_second_factor(client, clinician)
    client.post("/account/sign-out/")
    return codes


# --- Set-up is required before anything else -------------------------------------------------------------------


def test_a_clinician_without_a_second_factor_must_set_one_up_first(client: Client, clinician: User) -> None:
    response = password_step(client, clinician)
    assert (response.status_code, response["Location"]) == (302, "/")
    for url in ("/", "/account/", "/account/password/", "/organizations/"):
        response = client.get(url)
        assert (url, response.status_code, response["Location"]) == (url, 302, SETUP)

    page = client.get(SETUP)
    assert page.status_code == 200
    device = Authenticator.objects.get(user=clinician)
    assert device.confirmed is False
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert f'<span class="secret" data-testid="totp-secret">{secret}</span>' in page.content.decode()
    assert "Set it up now to continue." in page.content.decode()
    assert client.get("/account/mfa/qr.svg")["Content-Type"] == "image/svg+xml"

    # Signing out is always possible.
    assert client.post("/account/sign-out/")["Location"] == "/account/sign-in/"


def test_setting_up_the_authenticator(client: Client, clinician: User) -> None:
    password_step(client, clinician)
    client.get(SETUP)
    device = Authenticator.objects.get(user=clinician, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")

    refused = client.post(SETUP, {"code": wrong_code(device)})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert f'<ul class="errorlist" id="id_code_error"><li>{WRONG_SETUP_CODE}</li></ul>' in page
    assert secret in page  # the same key to scan again
    device.refresh_from_db()
    assert device.confirmed is False
    assert "mfa.enable" not in actions(clinician)
    assert client.get("/")["Location"] == SETUP

    wait_out_throttle(clinician)
    session_before = client.session.session_key
    accepted = client.post(SETUP, {"code": next_code(device)})
    assert accepted.status_code == 200
    codes = recovery_codes(accepted)
    assert len(codes) == 10 == len(set(codes))
    stored = set(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True))
    assert stored == {RecoveryCodes.stored_form(code) for code in codes}  # kept as keyed hashes
    assert not stored & set(codes)  # never in clear
    assert "Your second factor is on." in accepted.content.decode()
    device.refresh_from_db()
    assert device.confirmed is True
    entry = AuditEntry.objects.dangerously_unscoped().get(action="mfa.enable")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        clinician.pk,
        "accounts.authenticator",
        str(device.pk),
    )
    assert client.session.session_key != session_before
    assert client.get("/").status_code == 200
    assert client.get("/account/").status_code == 200


def test_a_trainer_is_not_made_to_set_one_up(client: Client, trainer: User) -> None:
    password_step(client, trainer)
    assert client.get("/").status_code == 200
    profile = client.get("/account/")
    assert profile.status_code == 200
    assert "Set up a second factor" in profile.content.decode()
    assert not Authenticator.objects.filter(user=trainer).exists()


# --- Signing in with the second factor -------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(clinician: User, clinician_with_codes: list[str]) -> None:
    client = Client()
    response = password_step(client, clinician)
    assert (response.status_code, response["Location"]) == (302, VERIFY)
    assert signed_in_user_id(client) is None
    # Between the two steps nothing else opens.
    assert client.get("/account/")["Location"] == "/account/sign-in/?next=/account/"

    device = Authenticator.objects.get(user=clinician)
    refused = client.post(VERIFY, {"code": wrong_code(device)})
    assert refused.status_code == 200
    assert WRONG_SIGN_IN_CODE in refused.content.decode()
    assert signed_in_user_id(client) is None
    assert actions(clinician)[-1] == "auth.mfa_failed"

    wait_out_throttle(clinician)
    response = client.post(VERIFY, {"code": next_code(device)})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == clinician.pk
    sign_in = (
        AuditEntry.objects.dangerously_unscoped().filter(action="auth.sign_in", actor=clinician).order_by("seq").last()
    )
    assert sign_in is not None and sign_in.detail == {"second_factor": True}
    assert client.get("/").status_code == 200


def test_the_second_step_goes_to_the_page_asked_for(clinician: User, clinician_with_codes: list[str]) -> None:
    client = Client()
    client.post("/account/sign-in/?next=/account/", {"email": clinician.email, "password": PASSWORD})
    response = client.post(VERIFY, {"code": next_code(Authenticator.objects.get(user=clinician))})
    assert response["Location"] == "/account/"


def test_the_same_code_does_not_work_twice(clinician: User, clinician_with_codes: list[str]) -> None:
    device = Authenticator.objects.get(user=clinician)
    first = Client()
    password_step(first, clinician)
    code = next_code(device)
    assert first.post(VERIFY, {"code": code})["Location"] == "/"
    second = Client()
    password_step(second, clinician)
    assert WRONG_SIGN_IN_CODE in second.post(VERIFY, {"code": code}).content.decode()
    assert signed_in_user_id(second) is None


def test_the_session_id_changes_at_each_step(clinician: User, clinician_with_codes: list[str]) -> None:
    client = Client()
    client.get("/account/sign-in/")
    planted = client.session
    planted.save()
    keys = [planted.session_key]
    password_step(client, clinician)
    keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    client.post(VERIFY, {"code": next_code(Authenticator.objects.get(user=clinician))})
    keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert len(set(keys)) == 3


def test_a_recovery_code_works_once(clinician: User, clinician_with_codes: list[str]) -> None:
    code = clinician_with_codes[3]
    client = Client()
    password_step(client, clinician)
    response = client.post(VERIFY, {"code": code})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == clinician.pk
    used = AuditEntry.objects.dangerously_unscoped().get(action="mfa.recovery_code_used")
    assert (used.actor_id, used.detail) == (clinician.pk, {"left": 9})
    assert code not in str(used.detail)
    client.post("/account/sign-out/")

    again = Client()
    password_step(again, clinician)
    wait_out_throttle(clinician)
    assert WRONG_SIGN_IN_CODE in again.post(VERIFY, {"code": code}).content.decode()
    assert signed_in_user_id(again) is None
    # Another, unused one still works.
    wait_out_throttle(clinician)
    assert again.post(VERIFY, {"code": clinician_with_codes[4]})["Location"] == "/"


# --- Turning it off --------------------------------------------------------------------------------------------


def test_a_clinician_cannot_turn_the_second_factor_off(clinician: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(clinician)
    response = client.post("/account/mfa/disable/", {"password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/account/", 302)]
    assert "Your role requires a second factor; it cannot be turned off." in response.content.decode()
    assert Authenticator.objects.filter(user=clinician, confirmed=True).count() == 1
    assert "mfa.disable" not in actions(clinician)


def test_a_trainer_can_turn_the_second_factor_off(trainer: User) -> None:
    client = Client()
    password_step(client, trainer)
    set_up_second_factor(client, trainer)
    client.post("/account/sign-out/")
    # With an authenticator, the trainer's sign-in has two steps too.
    assert password_step(client, trainer)["Location"] == VERIFY
    client.post(VERIFY, {"code": next_code(Authenticator.objects.get(user=trainer))})

    response = client.post("/account/mfa/disable/", {"password": "not my password"}, follow=True)
    assert "Type your password to turn off the second factor." in response.content.decode()
    assert Authenticator.objects.filter(user=trainer).exists()
    response = client.post("/account/mfa/disable/", {"password": PASSWORD}, follow=True)
    assert "The second factor is off." in response.content.decode()
    assert not Authenticator.objects.filter(user=trainer).exists()
    assert not StaticDevice.objects.filter(user=trainer).exists()
    assert actions(trainer)[-1] == "mfa.disable"
    client.post("/account/sign-out/")
    assert password_step(client, trainer)["Location"] == "/"


def test_new_recovery_codes_replace_the_old_ones(clinician: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(clinician)
    refused = client.post("/account/mfa/recovery-codes/", follow=True)
    assert "Type your password to make new recovery codes." in refused.content.decode()
    assert actions(clinician) == []
    first = recovery_codes(client.post("/account/mfa/recovery-codes/", {"password": PASSWORD}))
    second = recovery_codes(client.post("/account/mfa/recovery-codes/", {"password": PASSWORD}))
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    stored = set(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True))
    assert stored == {RecoveryCodes.stored_form(code) for code in second}
    assert actions(clinician) == ["mfa.recovery_codes_regenerate", "mfa.recovery_codes_regenerate"]
