from binascii import unhexlify
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import second_factor
from .emails import normalize_email


class NormalizedEmailField(models.EmailField):
    """An e-mail kept in its one normal form (``emails.normalize_email``): on every save, and on the right-hand side
    of ``exact`` and ``in`` lookups, so ``filter(email=typed)`` finds the account whatever the spelling typed.

    Only lookups that prepare their value do this: ``iexact``, ``contains`` and the like compare the raw text with
    the database's own case rules (which differ between SQLite and PostgreSQL) and are not to be used on it.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return normalize_email(value) if isinstance(value, str) else value

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_email(value) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_email(username or ""))


class User(AbstractBaseUser):
    """A person who signs in by e-mail. What they may do comes from their memberships."""

    email = NormalizedEmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email


class SignInThrottle(models.Model):
    """Failed sign-ins of one (e-mail, IP) pair. Keyed by a hash of both, so neither is stored in clear.

    Keying on the pair means a stranger elsewhere cannot lock a user out: only failures from the same address
    count against that address.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}: {self.failures}"


class AccountSlowdown(models.Model):
    """Failed sign-ins on one e-mail from every address, whether or not an account has it. Keyed by a hash.

    Past a number of failures, attempts from browsers the account never signed in from must wait until
    ``slowed_until``; each further failure doubles the wait. Counting by e-mail, not by account, gives an e-mail
    with no account the same answers.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    slowed_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}: {self.failures}"


class KnownBrowser(models.Model):
    """A browser where the user fully signed in: it holds a random token in a long-lived cookie, we keep its hash.

    An account slowed down by failures from elsewhere still lets its owner in from such a browser.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_browsers")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_signed_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_signed_in_at"], name="known_browser_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.token_hash[:8]}"


class Authenticator(TOTPDevice):
    """A TOTP authenticator whose key is kept sealed (``second_factor``): the one way Haven makes, reads and checks
    one. The rows are django-otp's own (a proxy), so its middleware and views keep working."""

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:
        return second_factor.open_key(self._stored_key())

    def _stored_key(self) -> str:
        return str(self.__dict__["key"])  # django-otp's field, as the row holds it

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored = self._stored_key()
        if not second_factor.is_sealed(stored):
            self.key = second_factor.seal(unhexlify(stored.encode()))
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "key"}
        super().save(*args, **kwargs)


class RecoveryCodes(StaticDevice):
    """A person's recovery codes, kept as keyed hashes (``second_factor.code_forms``): a code is checked by its
    hash under the current otp key or an older one, with django-otp's throttling."""

    class Meta:
        proxy = True

    def verify_token(self, token: Any) -> bool:
        forms = second_factor.code_forms(str(token))
        stored = self.token_set.filter(token__in=forms).values_list("token", flat=True).first()
        return bool(super().verify_token(stored or forms[0]))

    @staticmethod
    def stored_form(code: str) -> str:
        return second_factor.code_forms(code)[0]
