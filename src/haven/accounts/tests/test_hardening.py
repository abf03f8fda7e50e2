"""Second-factor step limits and re-confirmation before the second factor changes."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from haven.accounts.models import Authenticator, User
from haven.accounts.services import SESSION_PENDING_USER
from haven.accounts.tests.factories import PASSWORD
from haven.organizations.models import Organization
from haven.organizations.roles import Role


@pytest.fixture
def clinician(cac: Organization, make_member: Callable[..., User]) -> User:
    user = make_member(Role.CLINICIAN, cac)
    Authenticator.objects.create(user=user, name="phone", confirmed=True)
    return user


def _password_step(client: Client, user: User) -> None:
    response = client.post("/account/sign-in/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/account/sign-in/verify/"


def test_the_second_step_ends_after_five_wrong_codes(clinician: User) -> None:
    client = Client()
    _password_step(client, clinician)
    for _ in range(5):
        client.post("/account/sign-in/verify/", {"code": "000000"})
    device = Authenticator.objects.get(user=clinician)
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post("/account/sign-in/verify/", {"code": f"{totp(device.bin_key):06d}"})
    assert response["Location"] == "/account/sign-in/"
    assert client.get("/").status_code == 302


def test_the_second_step_ends_after_five_minutes(clinician: User) -> None:
    client = Client()
    _password_step(client, clinician)
    session = client.session
    pending = session[SESSION_PENDING_USER]
    session[SESSION_PENDING_USER] = {**pending, "since": int(timezone.now().timestamp()) - 301}
    session.save()
    device = Authenticator.objects.get(user=clinician)
    response = client.post("/account/sign-in/verify/", {"code": f"{totp(device.bin_key):06d}"})
    assert response["Location"] == "/account/sign-in/"


def test_replacing_the_authenticator_asks_for_the_password(
    clinician: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(clinician)
    page = client.get("/account/mfa/setup/").content.decode()
    assert 'name="password"' in page
    new_device = Authenticator.objects.get(user=clinician, confirmed=False)
    code = f"{totp(new_device.bin_key):06d}"
    response = client.post("/account/mfa/setup/", {"code": code, "password": "wrong"})
    assert "This is not your password." in response.content.decode()
    assert Authenticator.objects.filter(user=clinician, confirmed=False).exists()
    response = client.post("/account/mfa/setup/", {"code": code, "password": PASSWORD})
    assert response.status_code == 200
    assert list(Authenticator.objects.filter(user=clinician).values_list("pk", "confirmed")) == [(new_device.pk, True)]
