"""Second-factor secrets at rest (issue 17, item 6): an authenticator's key is sealed under the otp key, a recovery
code kept only as a keyed hash; a copy of the database alone gives neither. The otp key rotates: what the old key
sealed keeps working until ``otp_reseal`` moves it under the new one."""

import importlib
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from haven.accounts import second_factor, services
from haven.accounts.models import Authenticator, RecoveryCodes, User
from haven.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

OLD, NEW = "the otp key before", "the otp key after"


def code_of(device: Authenticator) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def rotated(settings: Any) -> None:
    settings.HAVEN_OTP_KEY, settings.HAVEN_OTP_KEYS_OLD = NEW, [OLD]


@pytest.fixture
def person(settings: Any) -> User:
    settings.HAVEN_OTP_KEY, settings.HAVEN_OTP_KEYS_OLD = OLD, []
    return User.objects.create_user(email="sealed@example.org", full_name="Sealed")


def test_an_authenticators_key_is_sealed_in_the_database_and_still_gives_its_codes(person: User) -> None:
    device = services.mfa_setup_begin(user=person)
    row = TOTPDevice.objects.get(pk=device.pk)  # as django-otp and a copy of the database see it
    secret = Authenticator.objects.get(pk=device.pk).bin_key
    assert len(secret) == 20
    assert row.key.startswith(second_factor.PREFIX) and len(row.key) <= 80
    assert secret.hex() not in row.key
    assert services.verify_code(user=person, code=code_of(device)) is None  # still being set up: signs no one in
    device.refresh_from_db()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    assert services.verify_code(user=person, code=code_of(device)) is not None


def test_a_rotation_keeps_every_authenticator_working_and_reseal_moves_it_under_the_new_key(
    person: User, settings: Any
) -> None:
    device = Authenticator.objects.create(user=person, name="phone", confirmed=True)
    secret = device.bin_key
    rotated(settings)
    assert Authenticator.objects.get(pk=device.pk).bin_key == secret  # opened by the older key
    out = StringIO()
    call_command("otp_reseal", stdout=out)
    assert "Resealed 1 authenticator key(s); 0 already" in out.getvalue()
    stored = Authenticator.objects.get(pk=device.pk)
    assert second_factor.is_current(stored.key) and stored.bin_key == secret
    settings.HAVEN_OTP_KEYS_OLD = []  # the old key dropped: the resealed key still opens
    assert services.verify_code(user=person, code=code_of(Authenticator.objects.get(pk=device.pk))) is not None
    entry = AuditEntry.objects.dangerously_unscoped().get(action="mfa.reseal")
    assert entry.detail == {"resealed": 1, "current": 0}
    call_command("otp_reseal", stdout=StringIO())  # a second run has nothing to do
    assert (
        AuditEntry.objects.dangerously_unscoped().filter(action="mfa.reseal").order_by("seq").last().detail["resealed"]
        == 0
    )


def test_a_key_sealed_under_a_key_this_process_does_not_know_or_altered_fails_closed(
    person: User, settings: Any
) -> None:
    device = Authenticator.objects.create(user=person, name="phone", confirmed=True)
    settings.HAVEN_OTP_KEY = NEW  # the old key lost, not kept among the older keys
    with pytest.raises(second_factor.Unopenable):
        Authenticator.objects.get(pk=device.pk).bin_key  # noqa: B018
    settings.HAVEN_OTP_KEY = OLD
    sealed = Authenticator.objects.get(pk=device.pk).key
    altered = sealed[:-2] + ("AA" if not sealed.endswith("AA") else "BB")
    TOTPDevice.objects.filter(pk=device.pk).update(key=altered)
    with pytest.raises(second_factor.Unopenable):
        Authenticator.objects.get(pk=device.pk).bin_key  # noqa: B018


def test_recovery_codes_are_kept_as_keyed_hashes_work_once_and_across_a_rotation(person: User, settings: Any) -> None:
    codes = services.mfa_recovery_codes_regenerate(user=person)
    stored = set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True))
    assert not stored & set(codes)
    assert services.verify_code(user=person, code=codes[0]) is not None
    assert services.verify_code(user=person, code=codes[0]) is None  # used once
    rotated(settings)
    device = RecoveryCodes.objects.get(user=person)
    device.throttling_failure_count = 0
    device.save()
    assert services.verify_code(user=person, code=codes[1]) is not None  # hashed under the older key
    # What a copy of the database holds is not a code.
    device.refresh_from_db()
    some_stored = StaticToken.objects.filter(device__user=person).values_list("token", flat=True).first()
    device.throttling_failure_count = 0
    device.save()
    assert services.verify_code(user=person, code=some_stored) is None


def test_the_migration_seals_keys_and_hashes_codes_kept_in_clear(person: User) -> None:
    clear = TOTPDevice.objects.create(user=person, name="phone", confirmed=True)
    secret = clear.bin_key
    recovery = RecoveryCodes.objects.create(user=person, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=recovery, token="0123456789")
    migration = importlib.import_module("haven.accounts.migrations.0004_second_factors_sealed")
    migration.seal_existing(django_apps, None)
    migration.seal_existing(django_apps, None)  # twice: nothing sealed or hashed again
    row = TOTPDevice.objects.get(pk=clear.pk)
    assert second_factor.is_sealed(row.key) and Authenticator.objects.get(pk=clear.pk).bin_key == secret
    assert list(StaticToken.objects.filter(device=recovery).values_list("token", flat=True)) == [
        RecoveryCodes.stored_form("0123456789")
    ]
    assert services.verify_code(user=person, code="0123456789") is not None
