from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import throttle
from .services import SESSION_SIGNED_IN_AT, user_requires_second_factor


class KnownBrowserMiddleware:
    """Sets the cookie of a browser a full sign-in just remembered (``throttle.remember_browser``): a random token,
    out of reach of scripts, for a year."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = throttle.known_browser_cookie(request)
        if token:
            response.set_cookie(
                settings.HAVEN_KNOWN_BROWSER_COOKIE,
                token,
                max_age=settings.HAVEN_KNOWN_BROWSER_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after sign-in, however active it was (idle expiry is the cookie's age)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SESSION_SIGNED_IN_AT)
            now = int(timezone.now().timestamp())
            if signed_in_at is None or now - signed_in_at > settings.HAVEN_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{reverse(settings.LOGIN_URL)}?expired=1")
        return self.get_response(request)


class MfaRequiredMiddleware:
    """Sends a user whose role needs a second factor to set one up before anything else."""

    ALLOWED_URL_NAMES = frozenset({"accounts:mfa_setup", "accounts:mfa_qr", "accounts:sign_out", "set_language"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]
            and not request.path.startswith(settings.STATIC_URL)
            and self._view_name(request) not in self.ALLOWED_URL_NAMES
            and user_requires_second_factor(user)
        ):
            return redirect("accounts:mfa_setup")
        return self.get_response(request)

    @staticmethod
    def _view_name(request: HttpRequest) -> str:
        from django.urls import Resolver404, resolve

        try:
            return resolve(request.path_info).view_name
        except Resolver404:
            return ""
