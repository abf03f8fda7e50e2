"""One form of an e-mail for storing, looking up and throttling: NFKC, then Unicode case folding.

A variant of an account's e-mail either reaches that account and counts against its one throttle counter, or
reaches nothing at all: never the account with a fresh counter (a dotless-i variant did on PostgreSQL, where
``UPPER('ı') = 'I'``), and never someone else's counter without the account.
"""

import importlib
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts import services, throttle
from haven.accounts.emails import normalize_email
from haven.accounts.models import SignInThrottle, User
from haven.accounts.tests.factories import PASSWORD, UserFactory
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.organizations.services import invitation_accept, invitation_create

EMAIL = "kiki.sisi@example.org"
# Other spellings of each character: the cases, the fullwidth form (NFKC folds it), and the four non-ASCII letters
# that Django's e-mail validator lets through because its pattern is [A-Z] with IGNORECASE: dotted and dotless i,
# the long s and the Kelvin sign.
EXTRA = {"i": "İı", "k": "\u212a", "s": "ſ"}


def spellings(char: str) -> list[str]:
    fullwidth = chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char
    return sorted({char, char.upper(), char.lower(), fullwidth, *EXTRA.get(char, "")})


variants = st.tuples(*(st.sampled_from(spellings(char)) for char in EMAIL)).map("".join)


@given(st.text())
def test_the_normal_form_is_stable(text: str) -> None:
    once = normalize_email(text)
    assert normalize_email(once) == once
    assert once == once.strip()


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_case_does_not_matter(text: str) -> None:
    assert normalize_email(text.upper()) == normalize_email(text.lower()) == normalize_email(text.swapcase())


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_an_ascii_address_reaches_the_same_form_by_the_short_way(text: str) -> None:
    """ASCII skips Unicode normalization (a staff table of 20,000 addresses): the form must be the same."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    assert normalize_email(text) == folded.strip()


def test_the_normal_form_of_some_spellings() -> None:
    assert normalize_email("  Tess.TRAINER@Example.ORG ") == "tess.trainer@example.org"
    assert normalize_email("\u212aate@example.org") == "kate@example.org"  # the Kelvin sign is a K
    assert normalize_email("ｔｅｓｓ@example.org") == "tess@example.org"  # fullwidth letters
    assert normalize_email("ſam@example.org") == "sam@example.org"  # the long s
    assert normalize_email("ıpek@example.org") == "ıpek@example.org"  # the dotless i is another letter
    assert normalize_email("İpek@example.org") == unicodedata.normalize("NFKC", "i\u0307pek@example.org")


def test_an_account_is_stored_in_the_normal_form(db: None) -> None:
    user = User.objects.create_user(email=" \u212aate.Smith@Example.ORG", password=PASSWORD, full_name="Kate")
    assert user.email == "kate.smith@example.org"
    assert User.objects.values_list("email", flat=True).get(pk=user.pk) == "kate.smith@example.org"
    # Any way of writing a user stores the normal form, the ORM's save included.
    user.email = "KATE@Example.org"
    user.save()
    assert User.objects.values_list("email", flat=True).get(pk=user.pk) == "kate@example.org"


def test_an_account_cannot_be_made_twice_with_another_spelling(db: None) -> None:
    User.objects.create_user(email="kate@example.org", password=PASSWORD, full_name="Kate")
    with pytest.raises(ValidationError):
        User(email="\u212aATE@example.org", full_name="Kate again").validate_unique()


def test_a_variant_reaches_the_account_exactly_when_it_shares_its_counter(db: None) -> None:
    user = UserFactory(email=EMAIL)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(variant=variants)
    def check(variant: str) -> None:
        with transaction.atomic():
            client = Client(REMOTE_ADDR="203.0.113.7")
            client.post("/account/sign-in/", {"email": variant, "password": "not the password"})
            failed = AuditEntry.objects.dangerously_unscoped().filter(action="auth.sign_in_failed").first()
            # The canonical spelling, from the same address: one more failure on the account's own counter.
            client.post("/account/sign-in/", {"email": EMAIL, "password": "not the password"})
            counters = sorted(SignInThrottle.objects.values_list("failures", flat=True))
            with_password = Client(REMOTE_ADDR="203.0.113.8")
            with_password.post("/account/sign-in/", {"email": variant, "password": PASSWORD})
            signed_in = with_password.session.get("_auth_user_id") == str(user.pk)

            if failed is None:  # not an e-mail address at all: the form refused it before any attempt
                assert counters == [1] and not signed_in
            elif failed.actor_id == user.pk:
                assert counters == [2], (ascii(variant), counters)
                assert signed_in, ascii(variant)
            else:
                assert failed.actor_id is None
                assert counters == [1, 1], (ascii(variant), counters)
                assert not signed_in, ascii(variant)
            transaction.set_rollback(True)

    check()


def test_the_dotless_i_reaches_nothing(db: None) -> None:
    UserFactory(email=EMAIL)
    client = Client()
    client.post("/account/sign-in/", {"email": EMAIL.replace("i", "ı"), "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.dangerously_unscoped().get(action="auth.sign_in_failed").actor_id is None


def test_the_throttle_key_is_the_one_normal_form(db: None) -> None:
    assert throttle._throttle_key("\u212aiki.sisi@EXAMPLE.org", "10.0.0.1") == throttle._throttle_key(EMAIL, "10.0.0.1")
    assert throttle._throttle_key(EMAIL.replace("i", "ı"), "10.0.0.1") != throttle._throttle_key(EMAIL, "10.0.0.1")


def test_an_invitation_is_kept_and_matched_in_the_normal_form(
    cac: Organization, make_member: Callable[..., User]
) -> None:
    admin = make_member(Role.ORG_ADMIN, cac)
    invitation, _token = invitation_create(
        actor=admin, organization=cac, email="\u212aiki.Sisi@Example.org", role=Role.CLINICIAN
    )
    assert invitation.email == EMAIL
    invitee = UserFactory(email=EMAIL)
    membership = invitation_accept(invitation=invitation, user=invitee)
    assert Membership.objects.in_org(cac).get(pk=membership.pk).user_id == invitee.pk


def test_a_newcomer_whose_e_mail_has_an_account_under_another_spelling_is_told_to_sign_in(
    cac: Organization, make_member: Callable[..., User]
) -> None:
    admin = make_member(Role.ORG_ADMIN, cac)
    UserFactory(email=EMAIL)
    invitation, _token = invitation_create(actor=admin, organization=cac, email=EMAIL.upper(), role=Role.CLINICIAN)
    with pytest.raises(ValidationError, match="An account with this e-mail exists"):
        services.user_create_from_invitation(invitation=invitation, full_name="Kiki", password=PASSWORD)


def _migration() -> Any:
    return importlib.import_module("haven.accounts.migrations.0002_email_normal_form")


def _store_raw(user: User, email: str) -> None:
    """Write an e-mail as an older version of Haven stored it, past the field's normalization."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {User._meta.db_table} SET email = %s WHERE id = %s", [email, user.pk])  # noqa: S608


def test_the_migration_brings_stored_e_mails_to_the_normal_form(db: None) -> None:
    kate, tess = UserFactory(), UserFactory()
    _store_raw(kate, "\u212aate@Example.org")
    _store_raw(tess, "tess@example.org")
    _migration().normalize_stored_emails(django_apps, None)
    assert dict(User.objects.values_list("pk", "email")) == {kate.pk: "kate@example.org", tess.pk: "tess@example.org"}


def test_the_migration_refuses_to_merge_two_accounts(db: None) -> None:
    kate, other = UserFactory(), UserFactory()
    _store_raw(kate, "kate@example.org")
    _store_raw(other, "KATE@example.org")
    with pytest.raises(RuntimeError, match=rf"User ids, by group: {kate.pk}, {other.pk}$"):
        _migration().normalize_stored_emails(django_apps, None)
    assert User.objects.values_list("email", flat=True).get(pk=other.pk) == "KATE@example.org"
