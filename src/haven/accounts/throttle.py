"""What holds back password guessing: the (e-mail, address) lockout, the per-e-mail slowdown, and the browsers
exempt from the slowdown because their owner signed in there before (decision 0016).

Every key is a hash of the e-mail in its normal form (``emails.normalize_email``), so the lookup of the account and
the counters agree on which spellings are the same e-mail, and no e-mail or address is stored in clear.
"""

import hashlib
import math
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from haven.audit import services as audit

from .emails import normalize_email
from .models import AccountSlowdown, KnownBrowser, SignInThrottle, User

# Where a sign-in leaves the browser's new token for ``KnownBrowserMiddleware`` to set as a cookie.
_REQUEST_ATTRIBUTE = "_haven_known_browser_token"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _throttle_key(email: str, ip: str | None) -> str:
    return _hash(f"{normalize_email(email)}|{ip or ''}")


def _slowdown_key(email: str) -> str:
    return _hash(f"account|{normalize_email(email)}")


# --- The (e-mail, address) lockout ------------------------------------------------------------------------------


@transaction.atomic
def reserve_attempt(*, email: str, ip: str | None) -> bool:
    """Count an attempt for the (e-mail, IP) pair before the password is checked, so that parallel guesses
    cannot slip past the limit. False when the pair is locked out or out of attempts."""
    now = timezone.now()
    window = timedelta(seconds=settings.HAVEN_LOCKOUT_WINDOW_SECONDS)
    throttle, _created = SignInThrottle.objects.get_or_create(
        key=_throttle_key(email, ip), defaults={"failures": 0, "window_started_at": now}
    )
    if throttle.locked_until and throttle.locked_until > now:
        return False
    if throttle.window_started_at + window < now or throttle.locked_until:
        throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
        throttle.save(update_fields=["failures", "window_started_at", "locked_until"])
    SignInThrottle.objects.filter(pk=throttle.pk).update(failures=F("failures") + 1)
    throttle.refresh_from_db(fields=["failures"])
    return throttle.failures <= settings.HAVEN_LOCKOUT_FAILURES


@transaction.atomic
def lock_out_if_due(*, email: str, ip: str | None, user: User | None) -> bool:
    """After a failure (already counted): lock the pair out once it reaches the limit."""
    throttle = SignInThrottle.objects.get(key=_throttle_key(email, ip))
    if throttle.failures >= settings.HAVEN_LOCKOUT_FAILURES and throttle.locked_until is None:
        throttle.locked_until = timezone.now() + timedelta(seconds=settings.HAVEN_LOCKOUT_SECONDS)
        throttle.save(update_fields=["locked_until"])
        audit.record(actor=user, action="auth.lockout", detail={"minutes": settings.HAVEN_LOCKOUT_SECONDS // 60})
        return True
    return False


def clear_attempts(*, email: str, ip: str | None) -> None:
    SignInThrottle.objects.filter(key=_throttle_key(email, ip)).delete()


# --- The per-e-mail slowdown ------------------------------------------------------------------------------------


def _delay(failures: int) -> timedelta:
    beyond = max(failures - settings.HAVEN_SLOWDOWN_FAILURES, 0)
    seconds = settings.HAVEN_SLOWDOWN_SECONDS * 2 ** min(beyond, 32)
    return timedelta(seconds=min(seconds, settings.HAVEN_SLOWDOWN_MAX_SECONDS))


@transaction.atomic
def slowdown_wait(*, email: str, known_browser: bool) -> int:
    """Seconds this attempt must still wait (0: it may go ahead), reserving the next slot when it goes ahead.

    Past the limit, an attempt from an unknown browser that goes ahead pushes ``slowed_until`` forward before the
    password is checked, so parallel guesses cannot share one slot. A known browser always goes ahead.
    """
    now = timezone.now()
    slowdown, _created = AccountSlowdown.objects.get_or_create(key=_slowdown_key(email))
    slowdown = AccountSlowdown.objects.select_for_update().get(pk=slowdown.pk)
    quiet_since = now - timedelta(seconds=settings.HAVEN_SLOWDOWN_WINDOW_SECONDS)
    slowed = slowdown.slowed_until is not None and slowdown.slowed_until > now
    if slowdown.last_failure_at is not None and slowdown.last_failure_at < quiet_since and not slowed:
        slowdown.failures, slowdown.last_failure_at, slowdown.slowed_until = 0, None, None
        slowdown.save(update_fields=["failures", "last_failure_at", "slowed_until"])
    if known_browser:
        return 0
    if slowed:
        return math.ceil((slowdown.slowed_until - now).total_seconds())  # type: ignore[operator]
    if slowdown.failures >= settings.HAVEN_SLOWDOWN_FAILURES:
        slowdown.slowed_until = now + _delay(slowdown.failures)
        slowdown.save(update_fields=["slowed_until"])
    return 0


@transaction.atomic
def slowdown_count_failure(*, email: str, user: User | None) -> None:
    """Count a failure on the e-mail; the one that reaches the limit is audited (ids and counts only)."""
    AccountSlowdown.objects.filter(key=_slowdown_key(email)).update(
        failures=F("failures") + 1, last_failure_at=timezone.now()
    )
    failures = AccountSlowdown.objects.values_list("failures", flat=True).get(key=_slowdown_key(email))
    if failures == settings.HAVEN_SLOWDOWN_FAILURES:
        audit.record(actor=user, action="auth.slowdown", detail={"failures": failures})


# --- Known browsers ---------------------------------------------------------------------------------------------


def _browser_token(request: HttpRequest) -> str:
    return request.COOKIES.get(settings.HAVEN_KNOWN_BROWSER_COOKIE, "")


def is_known_browser(*, request: HttpRequest, email: str) -> bool:
    """Whether the account with this e-mail (if any) fully signed in from this browser before."""
    token = _browser_token(request)
    if not token:
        return False
    return KnownBrowser.objects.filter(user__email=normalize_email(email), token_hash=_hash(token)).exists()


@transaction.atomic
def remember_browser(*, request: HttpRequest, user: User) -> None:
    """After a full sign-in: this browser is known to the user. A new token is handed out (and set as a cookie by
    ``KnownBrowserMiddleware``) unless the browser already holds one of theirs; the user keeps their most recent
    few browsers."""
    now = timezone.now()
    token = _browser_token(request)
    if token and KnownBrowser.objects.filter(user=user, token_hash=_hash(token)).update(last_signed_in_at=now):
        return
    token = secrets.token_urlsafe(32)
    KnownBrowser.objects.create(user=user, token_hash=_hash(token), created_at=now, last_signed_in_at=now)
    keep = settings.HAVEN_KNOWN_BROWSERS_PER_USER
    recent = KnownBrowser.objects.filter(user=user).order_by("-last_signed_in_at", "-pk")
    KnownBrowser.objects.filter(pk__in=list(recent.values_list("pk", flat=True)[keep:])).delete()
    setattr(request, _REQUEST_ATTRIBUTE, token)


def known_browser_cookie(request: HttpRequest) -> Any:
    """The token handed out during this request, if any."""
    return getattr(request, _REQUEST_ATTRIBUTE, None)
