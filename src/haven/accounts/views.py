import io
import math

import segno
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.core.permissions import signed_in
from haven.organizations.middleware import SESSION_KEY as MEMBERSHIP_SESSION_KEY
from haven.organizations.requests import SignedInRequest
from haven.organizations.services import invitation_accept, invitation_by_token

from . import services
from .forms import (
    AcceptInvitationForm,
    CodeForm,
    ConfirmPasswordForm,
    PasswordChangeForm,
    SetupCodeForm,
    SignInForm,
    SwitchMembershipForm,
)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("shell:home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.sign_in_password(
            request=request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if outcome.locked:
            # The same words for a lockout and a slowdown, for any e-mail: nothing says whether it has an account.
            minutes = max(1, math.ceil(outcome.wait_seconds / 60))
            form.add_error(
                None,
                ngettext(
                    "Too many failed attempts. Wait %(n)d minute and try again.",
                    "Too many failed attempts. Wait %(n)d minutes and try again.",
                    minutes,
                )
                % {"n": minutes},
            )
        elif outcome.user is None:
            form.add_error(None, _("The e-mail or password is not right."))
        elif outcome.needs_second_factor:
            request.session["haven_next"] = _next_url(request)
            return redirect("accounts:sign_in_verify")
        else:
            return redirect(_next_url(request))
    context = {"form": form, "next": request.GET.get("next", ""), "expired": "expired" in request.GET}
    return TemplateResponse(request, "accounts/sign_in.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_verify(request: HttpRequest) -> HttpResponse:
    user = services.pending_user(request)
    if user is None:
        return redirect("accounts:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        next_url = request.session.pop("haven_next", "/")
        if services.sign_in_second_factor(request=request, user=user, code=form.cleaned_data["code"]):
            return redirect(next_url)
        request.session["haven_next"] = next_url
        form.add_error("code", _("That code is not right, or was used already. Wait for a new one and try again."))
    return TemplateResponse(request, "accounts/sign_in_verify.html", {"form": form})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    services.sign_out(request=request)
    return redirect("accounts:sign_in")


@require_GET
@signed_in
def profile(request: SignedInRequest) -> HttpResponse:
    user = request.user
    context = {
        "has_second_factor": services.user_has_second_factor(user),
        "requires_second_factor": services.user_requires_second_factor(user),
        "recovery_codes_left": services.recovery_codes_left(user),
    }
    return TemplateResponse(request, "accounts/profile.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def mfa_setup(request: SignedInRequest) -> HttpResponse:
    user = request.user
    replacing = services.user_has_second_factor(user)
    device = services.mfa_pending_device(user=user)
    if request.method == "GET" or device is None:
        device = services.mfa_setup_begin(user=user)
        form = SetupCodeForm(user=user, replacing=replacing)
    else:
        form = SetupCodeForm(request.POST, user=user, replacing=replacing)
        if form.is_valid():
            try:
                codes = services.mfa_setup_confirm(request=request, user=user, code=form.cleaned_data["code"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return TemplateResponse(request, "accounts/recovery_codes.html", {"codes": codes, "first_time": True})
    context = {
        "form": form,
        "secret": _base32(device.bin_key),
        "required": services.user_requires_second_factor(user),
    }
    return TemplateResponse(request, "accounts/mfa_setup.html", context)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


@never_cache
@require_GET
@signed_in
def mfa_qr(request: SignedInRequest) -> HttpResponse:
    """The pending authenticator's key as a QR code (an image, so no inline markup or script is needed)."""
    device = services.mfa_pending_device(user=request.user)
    if device is None:
        raise Http404
    # A standalone SVG document: svg_inline() leaves out the SVG namespace, which an <img> cannot display.
    svg = io.BytesIO()
    segno.make(device.config_url, error="m").save(svg, kind="svg", scale=4, border=2)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")


@never_cache
@require_POST
@signed_in
def mfa_recovery_codes(request: SignedInRequest) -> HttpResponse:
    if not services.user_has_second_factor(request.user):
        raise Http404
    if not ConfirmPasswordForm(request.POST, user=request.user).is_valid():
        messages.error(request, _("Type your password to make new recovery codes."))
        return redirect("accounts:profile")
    codes = services.mfa_recovery_codes_regenerate(user=request.user)
    return TemplateResponse(request, "accounts/recovery_codes.html", {"codes": codes, "first_time": False})


@require_POST
@signed_in
def mfa_disable(request: SignedInRequest) -> HttpResponse:
    if not ConfirmPasswordForm(request.POST, user=request.user).is_valid():
        messages.error(request, _("Type your password to turn off the second factor."))
        return redirect("accounts:profile")
    try:
        services.mfa_disable(user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The second factor is off."))
    return redirect("accounts:profile")


@require_http_methods(["GET", "POST"])
@signed_in
def password_change(request: SignedInRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.password_change(request=request, user=request.user, new_password=form.cleaned_data["new_password"])
        messages.success(request, _("Your password was changed."))
        return redirect("accounts:profile")
    return TemplateResponse(request, "accounts/password_change.html", {"form": form})


@require_POST
@signed_in
def switch_membership(request: SignedInRequest) -> HttpResponse:
    form = SwitchMembershipForm(request.POST)
    memberships = getattr(request, "memberships", [])
    if not form.is_valid() or form.cleaned_data["membership"] not in {m.pk for m in memberships}:
        raise Http404
    request.session[MEMBERSHIP_SESSION_KEY] = form.cleaned_data["membership"]
    return redirect("shell:home")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if invitation is None:
        raise Http404
    from .models import User

    has_account = User.objects.filter(email=invitation.email).exists()  # the field's normal form
    if has_account:
        if not request.user.is_authenticated:
            messages.info(request, _("Sign in with %(email)s to accept the invitation.") % {"email": invitation.email})
            return redirect_to_login(request.path)
        if request.method == "POST":
            try:
                membership = invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as error:
                messages.error(request, error.messages[0])
                return redirect("shell:home")
            if membership.is_active:
                messages.success(request, _("You joined %(org)s.") % {"org": invitation.organization.name})
            else:
                messages.info(
                    request,
                    _("Your role at %(org)s waits for a second person's approval; its admins have been told.")
                    % {"org": invitation.organization.name},
                )
            return redirect("shell:home")
        return TemplateResponse(request, "accounts/invitation.html", {"invitation": invitation, "form": None})
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create_from_invitation(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            outcome = services.sign_in_password(
                request=request, email=user.email, password=form.cleaned_data["new_password"]
            )
            if outcome.user is not None:
                return redirect("shell:home")
            return redirect("accounts:sign_in")
    return TemplateResponse(request, "accounts/invitation.html", {"invitation": invitation, "form": form})
