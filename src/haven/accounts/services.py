"""Sign-in, lockout, multi-factor set-up and account changes. Every step is audited."""

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from haven.audit import services as audit
from haven.audit.middleware import client_ip
from haven.organizations.models import Invitation, Membership
from haven.organizations.roles import ROLES_REQUIRING_MFA
from haven.organizations.services import check_an_admin_remains, invitation_accept

from . import second_factor, throttle
from .emails import normalize_email
from .models import Authenticator, RecoveryCodes, User

RECOVERY_CODE_COUNT = 10
SESSION_SIGNED_IN_AT = "haven_signed_in_at"
SESSION_PENDING_USER = "haven_pending_sign_in"
# Signed in by password, for a role that requires a second factor it does not have yet: set-up completes sign-in.
SESSION_AWAITING_SECOND_FACTOR = "haven_awaiting_second_factor"
PENDING_SECONDS = 5 * 60
PENDING_FAILURES = 5


@dataclass(frozen=True)
class SignInOutcome:
    user: User | None
    needs_second_factor: bool = False
    locked: bool = False
    wait_seconds: int = 0


def sign_in_password(*, request: HttpRequest, email: str, password: str) -> SignInOutcome:
    """First step: e-mail and password. The session is fully signed in only once the second factor is checked, or
    set up for a role that requires one; until then the password step is recorded as ``auth.password_ok``."""
    email = normalize_email(email)
    ip = client_ip(request)
    known_browser = throttle.is_known_browser(request=request, email=email)
    wait = throttle.slowdown_wait(email=email, known_browser=known_browser)
    if wait:
        return SignInOutcome(user=None, locked=True, wait_seconds=wait)
    if not throttle.reserve_attempt(email=email, ip=ip):
        return SignInOutcome(user=None, locked=True, wait_seconds=settings.HAVEN_LOCKOUT_SECONDS)
    user = authenticate(request, username=email, password=password)
    if user is None:
        return _sign_in_failed(email=email, ip=ip)
    throttle.clear_attempts(email=email, ip=ip)
    audit.record(actor=user, action="auth.password_ok")
    if user_has_second_factor(user):
        request.session.cycle_key()
        request.session[SESSION_PENDING_USER] = {"id": user.pk, "since": int(timezone.now().timestamp()), "failures": 0}
        return SignInOutcome(user=user, needs_second_factor=True)
    _log_in(request=request, user=user, device=None)
    if user_requires_second_factor(user):
        # Signed in by password only: MfaRequiredMiddleware opens nothing but the set-up, which completes it.
        request.session[SESSION_AWAITING_SECOND_FACTOR] = True
    else:
        _signed_in(request=request, user=user, second_factor=False)
    return SignInOutcome(user=user)


@transaction.atomic
def _sign_in_failed(*, email: str, ip: str | None) -> SignInOutcome:
    """Record a failed attempt (already counted for the pair); lock the pair out once it reaches the limit."""
    known = User.objects.filter(email=email).first()
    # The e-mail typed is not recorded: it may be a mistyped password. A known user is recorded as the actor.
    audit.record(actor=known, action="auth.sign_in_failed", detail={"known_user": known is not None})
    throttle.slowdown_count_failure(email=email, user=known)
    locked = throttle.lock_out_if_due(email=email, ip=ip, user=known)
    return SignInOutcome(user=None, locked=locked, wait_seconds=settings.HAVEN_LOCKOUT_SECONDS if locked else 0)


def pending_user(request: HttpRequest) -> User | None:
    """The user between the password and the second factor: for 5 minutes and 5 wrong codes at most."""
    pending = request.session.get(SESSION_PENDING_USER)
    if not isinstance(pending, dict):
        return None
    fresh = int(timezone.now().timestamp()) - pending["since"] <= PENDING_SECONDS
    if not fresh or pending["failures"] >= PENDING_FAILURES:
        request.session.pop(SESSION_PENDING_USER, None)
        return None
    return User.objects.filter(pk=pending["id"], is_active=True).first()


@transaction.atomic
def sign_in_second_factor(*, request: HttpRequest, user: User, code: str) -> bool:
    """Second step: a TOTP code or a recovery code. A recovery code works once."""
    code = code.strip().replace(" ", "").replace("-", "")
    device = verify_code(user=user, code=code)
    if device is None:
        pending = request.session.get(SESSION_PENDING_USER)
        if isinstance(pending, dict):
            request.session[SESSION_PENDING_USER] = {**pending, "failures": pending["failures"] + 1}
        audit.record(actor=user, action="auth.mfa_failed")
        return False
    request.session.pop(SESSION_PENDING_USER, None)
    _log_in(request=request, user=user, device=device)
    _signed_in(request=request, user=user, second_factor=True)
    if isinstance(device, StaticDevice):
        audit.record(actor=user, action="mfa.recovery_code_used", detail={"left": device.token_set.count()})
    return True


def verify_code(*, user: User, code: str) -> Authenticator | RecoveryCodes | None:
    """The confirmed second factor that accepts ``code``: an authenticator still being set up signs no one in."""
    confirmed = [
        *Authenticator.objects.devices_for_user(user, confirmed=True),
        *RecoveryCodes.objects.devices_for_user(user, confirmed=True),
    ]
    for device in confirmed:
        if device.verify_token(code):
            return device
    return None


def _log_in(*, request: HttpRequest, user: User, device: Any) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # login() issues a new session id
    if device is not None:
        otp_login(request, device)
    request.session[SESSION_SIGNED_IN_AT] = int(timezone.now().timestamp())


def _signed_in(*, request: HttpRequest, user: User, second_factor: bool) -> None:
    """The session is fully signed in: recorded once, and this browser is remembered as the user's."""
    audit.record(actor=user, action="auth.sign_in", detail={"second_factor": second_factor})
    throttle.remember_browser(request=request, user=user)


def sign_out(*, request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        audit.record(actor=user, action="auth.sign_out")
    logout(request)


def user_has_second_factor(user: User) -> bool:
    return Authenticator.objects.devices_for_user(user, confirmed=True).exists()


def user_requires_second_factor(user: User) -> bool:
    """Admins and every role that can see child-level records must use a second factor."""
    return Membership.objects.of_user(user).active().filter(role__in=ROLES_REQUIRING_MFA).exists()


@transaction.atomic
def mfa_setup_begin(*, user: User) -> Authenticator:
    """An unconfirmed authenticator for the user to scan; it replaces any earlier unconfirmed one. Its key is
    sealed as it is saved (``second_factor``)."""
    Authenticator.objects.filter(user=user, confirmed=False).delete()
    return Authenticator.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def mfa_pending_device(*, user: User) -> Authenticator | None:
    return Authenticator.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def mfa_setup_confirm(*, request: HttpRequest, user: User, code: str) -> list[str]:
    """Confirm the authenticator with a code it shows; returns fresh recovery codes (shown once)."""
    device = mfa_pending_device(user=user)
    if device is None or not device.verify_token(code.strip().replace(" ", "")):
        raise ValidationError({"code": _("That code is not right. Check the time on your phone and try again.")})
    Authenticator.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _replace_recovery_codes(user)
    otp_login(request, device)
    request.session.cycle_key()
    audit.record(actor=user, action="mfa.enable", target=device)
    if request.session.pop(SESSION_AWAITING_SECOND_FACTOR, False):
        _signed_in(request=request, user=user, second_factor=True)
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    RecoveryCodes.objects.filter(user=user).delete()
    device = RecoveryCodes.objects.create(user=user, name=_("Recovery codes"), confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    # Shown once, kept only as keyed hashes.
    StaticToken.objects.bulk_create([StaticToken(device=device, token=RecoveryCodes.stored_form(c)) for c in codes])
    return codes


@transaction.atomic
def mfa_recovery_codes_regenerate(*, user: User) -> list[str]:
    codes = _replace_recovery_codes(user)
    audit.record(actor=user, action="mfa.recovery_codes_regenerate")
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def mfa_disable(*, user: User) -> None:
    if user_requires_second_factor(user):
        raise ValidationError(_("Your role requires a second factor; it cannot be turned off."))
    Authenticator.objects.filter(user=user).delete()
    RecoveryCodes.objects.filter(user=user).delete()
    audit.record(actor=user, action="mfa.disable")


@transaction.atomic
def password_change(*, request: HttpRequest, user: User, new_password: str) -> None:
    from django.contrib.auth import update_session_auth_hash

    user.set_password(new_password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    audit.record(actor=user, action="auth.password_change")


@transaction.atomic
def user_create_from_invitation(*, invitation: Invitation, full_name: str, password: str) -> User:
    """A newcomer's account, made when they accept an invitation sent to an e-mail with no account yet."""
    if User.objects.filter(email=normalize_email(invitation.email)).exists():
        raise ValidationError(_("An account with this e-mail exists: sign in to accept the invitation."))
    user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name)
    audit.record(actor=user, action="user.create", organization=invitation.organization_id, target=user)
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """Nobody can sign in as a deactivated user; open sessions end on their next request. Refused when it would
    leave an organization without an admin (``check_an_admin_remains``)."""
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    for membership in Membership.objects.of_user(user).active().select_related("user"):
        check_an_admin_remains(membership=membership)
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(actor=actor, action="user.deactivate", target=user)
    return user


def second_factors_reseal(*, batch: int = 500) -> tuple[int, int]:
    """Seal every authenticator key under the current otp key, a batch at a time, each in a short transaction (a
    person may sign in meanwhile: a key is replaced only if it is still the one read). Returns (resealed, already
    current); one audit entry with the counts."""
    resealed = current = after = 0
    while True:
        rows = list(Authenticator.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "key")[:batch])
        if not rows:
            break
        with transaction.atomic():
            for pk, stored in rows:
                if second_factor.is_current(stored):
                    current += 1
                    continue
                sealed = second_factor.seal(second_factor.open_key(stored))
                resealed += Authenticator.objects.filter(pk=pk, key=stored).update(key=sealed)
        after = rows[-1][0]
    audit.record(actor=None, action="mfa.reseal", detail={"resealed": resealed, "current": current})
    return resealed, current
